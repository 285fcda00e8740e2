"""Checkpoint the audit chain now, as the worker does every AUDIT_CHECKPOINT_EVERY seconds."""

from django.core.management.base import BaseCommand, CommandError

from hostup_dash.checkpoints import selectors, services
from hostup_dash.checkpoints.signing import KeyFileError


class Command(BaseCommand):
    help = "Sign the audit chain's head, store the checkpoint and write its file to AUDIT_CHECKPOINT_DIR."

    def handle(self, *args, **options) -> str:
        try:
            checkpoint = services.checkpoint_create()
        except (services.CheckpointsOff, KeyFileError) as error:
            raise CommandError(str(error)) from error
        except OSError as error:
            raise CommandError(f"The checkpoint file could not be written, so none was stored: {error}") from error
        if checkpoint is None:
            latest = selectors.checkpoint_latest()
            where = f"checkpoint #{latest.number} is at record #{latest.head_id}" if latest else "the chain is empty"
            return f"No checkpoint: no records since the last one, or another process is making one ({where})."
        return (
            f"Checkpoint #{checkpoint.number}: {checkpoint.chain_length} records, head #{checkpoint.head_id}, "
            f"key {checkpoint.key_id}"
        )

"""Walk the audit hash chain and report the first record that does not match."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hostup_dash.audit.models import GENESIS_HASH, AuditRecord
from hostup_dash.checkpoints.offline import export_verify
from hostup_dash.checkpoints.signing import KeyFileError, trusted_keys
from hostup_dash.checkpoints.verify import HeadCheck, SignedCheckpoint, VerifyError, checkpoints_read


class Command(BaseCommand):
    help = "Check every audit record's hash and its link to the record before it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--checkpoints", metavar="DIR", help="also check the signed checkpoints in DIR")
        parser.add_argument(
            "--export", metavar="FILE.jsonl", help="check this JSON Lines export, not the database (never connects)"
        )
        parser.add_argument(
            "--public-key",
            metavar="PUB.pem",
            action="append",
            default=[],
            help="a trusted public key, repeated for keys rotated out (default: AUDIT_SIGNING_KEY_FILE's)",
        )

    def handle(self, *args, **options) -> str:
        try:
            checkpoints = self._checkpoints(options)
            if options["export"]:
                return export_verify(options["export"], checkpoints).summary()
            heads = HeadCheck(checkpoints)
            count = self._walk(heads)
            heads.end(count)
        except (VerifyError, KeyFileError) as error:
            raise CommandError(str(error)) from error
        signed = f"; {heads.matched} of {len(checkpoints)} checkpoints found in it" if options["checkpoints"] else ""
        return f"{count} records, chain intact{signed}"

    def _checkpoints(self, options) -> list[SignedCheckpoint]:
        if not options["checkpoints"]:
            return []
        keys = trusted_keys(options["public_key"], signing_key_file=settings.AUDIT_SIGNING_KEY_FILE)
        return checkpoints_read(options["checkpoints"], keys)

    def _walk(self, heads: HeadCheck) -> int:
        expected_prev = GENESIS_HASH
        count = 0
        for record in AuditRecord.objects.order_by("id").iterator(chunk_size=5000):
            if record.prev_hash != expected_prev:
                raise CommandError(
                    f"Chain broken at record #{record.id}: its prev_hash does not match the hash of the record "
                    f"before it (a record was removed, inserted or re-hashed). {count} records before it are intact."
                )
            if record.compute_hash() != record.hash:
                raise CommandError(
                    f"Chain broken at record #{record.id}: its content does not match its hash (the record was "
                    f"altered). {count} records before it are intact."
                )
            expected_prev = record.hash
            count += 1
            heads.record(count, record.id, record.hash)
        return count

"""Making checkpoints: the chain's head signed, stored, written to a file and logged.

Single-flight across workers and hosts (an advisory lock, and one checkpoint per head in the
table). The signing key never leaves this module: no page, log line or record holds it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hostup_dash.core.locks import advisory_lock

from . import selectors
from .models import Checkpoint, SigningKey
from .signing import GENESIS_HASH, Statement, key_fingerprint, key_id, private_key_load, public_pem, statement_sign
from .verify import checkpoint_file_name, checkpoint_file_text

logger = logging.getLogger(__name__)

CHECKPOINT_LOCK = "audit-checkpoint"
OFF = 'Checkpoints are off: set AUDIT_SIGNING_KEY_FILE and AUDIT_CHECKPOINT_DIR (README "Audit").'


class CheckpointsOff(Exception):
    """No signing key or no directory is configured."""


def checkpoints_enabled() -> bool:
    return bool(settings.AUDIT_SIGNING_KEY_FILE and settings.AUDIT_CHECKPOINT_DIR)


def signing_key_load() -> Ed25519PrivateKey:
    """The configured signing key; raises CheckpointsOff when none is set, KeyFileError when it cannot be read."""
    if not checkpoints_enabled():
        raise CheckpointsOff(OFF)
    return private_key_load(settings.AUDIT_SIGNING_KEY_FILE)


def _key_record(public_key: Ed25519PublicKey, *, now: datetime) -> str:
    """The key's id, its public half listed the first time it signs (kept after rotation)."""
    kid = key_id(public_key)
    listed = {"fingerprint": key_fingerprint(public_key), "public_key": public_pem(public_key), "first_used_at": now}
    SigningKey.objects.get_or_create(key_id=kid, defaults=listed)
    return kid


def checkpoint_create() -> Checkpoint | None:
    """Sign the chain's head when records were added since the last checkpoint; None when there are none or
    another process holds the lock. Raises CheckpointsOff, KeyFileError, or OSError when the file cannot be written
    (then nothing is stored)."""
    private_key = signing_key_load()
    with advisory_lock(CHECKPOINT_LOCK) as acquired:
        if not acquired:
            return None
        last = selectors.checkpoint_latest()
        head = selectors.chain_head()
        if head is None or (last is not None and last.head_id == head.id):
            return None
        now = timezone.now()
        with transaction.atomic():
            statement = Statement(
                number=last.number + 1 if last else 1,
                chain_length=head.length,
                head_id=head.id,
                head_hash=head.hash,
                created_at=now.isoformat(),
                prev_hash=last.hash if last else GENESIS_HASH,
                key_id=_key_record(private_key.public_key(), now=now),
            )
            signature = statement_sign(statement, private_key)
            checkpoint = Checkpoint.objects.create(
                **{**asdict(statement), "created_at": now}, signature=signature, hash=statement.hash()
            )
            # Written before the commit, so every stored checkpoint has its file; "x" never replaces one.
            path = Path(settings.AUDIT_CHECKPOINT_DIR) / checkpoint_file_name(statement.number)
            with path.open("x", encoding="utf-8") as file:
                file.write(checkpoint_file_text(statement, signature))
    # The whole signed statement, so the log holds a third copy a verifier could use.
    fields = {f"checkpoint_{name}": value for name, value in asdict(statement).items()}
    logger.info(
        "audit checkpoint #%s at record #%s",
        statement.number,
        statement.head_id,
        extra={**fields, "checkpoint_signature": signature, "checkpoint_hash": checkpoint.hash},
    )
    return checkpoint

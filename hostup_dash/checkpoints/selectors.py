"""Reads for checkpoints: the chain's head as a checkpoint states it, and the list with each one's status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from hostup_dash.audit.models import AuditRecord

from .models import Checkpoint, SigningKey
from .signing import GENESIS_HASH, KeyFileError, public_key_parse, signature_is_valid

AUDIT_TABLE = AuditRecord._meta.db_table
# The head and its position in one statement, so both come from one snapshot. Appends hold the chain lock
# until they commit, so the records a snapshot sees are always a prefix of the chain.
CHAIN_HEAD_SQL = (
    f"SELECT head.id, head.hash, (SELECT count(*) FROM {AUDIT_TABLE} WHERE id <= head.id) "
    f"FROM (SELECT id, hash FROM {AUDIT_TABLE} ORDER BY id DESC LIMIT 1) head"
)
PAGE_SIZE = 50

VERIFIED = "verified"
BAD_SIGNATURE = "signature does not match"
UNKNOWN_KEY = "signed by a key not listed"
BAD_LINK = "does not link to the checkpoint before it"
HEAD_MISSING = "its head record is gone"
HEAD_DIFFERS = "its head record's hash differs"


@dataclass(frozen=True)
class ChainHead:
    length: int
    id: int
    hash: str


@dataclass(frozen=True)
class CheckpointRow:
    checkpoint: Checkpoint
    status: str

    @property
    def is_verified(self) -> bool:
        return self.status == VERIFIED


def chain_head() -> ChainHead | None:
    """The newest audit record and the chain's length up to it; None while the chain is empty."""
    with connection.cursor() as cursor:
        cursor.execute(CHAIN_HEAD_SQL)
        row = cursor.fetchone()
    return ChainHead(id=row[0], hash=row[1], length=row[2]) if row else None


def checkpoint_latest() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-number").first()


def checkpoint_is_due(*, every_s: int) -> bool:
    """No checkpoint yet, or the newest is older than `every_s` seconds (the service checks for new records)."""
    latest = checkpoint_latest()
    return latest is None or latest.created_at <= timezone.now() - timedelta(seconds=every_s)


def signing_keys() -> list[SigningKey]:
    """Every key that has signed a checkpoint, newest first."""
    return list(SigningKey.objects.all())


def checkpoint_page(*, keys: list[SigningKey], size: int = PAGE_SIZE) -> list[CheckpointRow]:
    """The newest checkpoints, each with what a look at the table and the chain says of it (three queries).

    The page checks what the database can tell; the files in AUDIT_CHECKPOINT_DIR, checked by
    `audit_verify --checkpoints`, are what an altered database cannot fake.
    """
    checkpoints = list(Checkpoint.objects.order_by("-number")[: size + 1])
    heads = dict(AuditRecord.objects.filter(id__in=[c.head_id for c in checkpoints]).values_list("id", "hash"))
    public_keys = {}
    for key in keys:
        try:
            public_keys[key.key_id] = public_key_parse(key.public_key.encode(), source=f"key {key.key_id}")
        except KeyFileError:
            continue  # shown as signed by an unlisted key
    rows = []
    for index, checkpoint in enumerate(checkpoints[:size]):
        before = checkpoints[index + 1] if index + 1 < len(checkpoints) else None
        rows.append(CheckpointRow(checkpoint, _status(checkpoint, before, heads, public_keys)))
    return rows


def _status(checkpoint: Checkpoint, before: Checkpoint | None, heads: dict, public_keys: dict) -> str:
    statement = checkpoint.statement
    key = public_keys.get(statement.key_id)
    if key is None:
        return UNKNOWN_KEY
    if not signature_is_valid(statement, checkpoint.signature, key):
        return BAD_SIGNATURE
    expected_prev = before.hash if before else GENESIS_HASH
    if statement.prev_hash != expected_prev and (before or statement.number == 1):
        return BAD_LINK
    if checkpoint.head_id not in heads:
        return HEAD_MISSING
    if heads[checkpoint.head_id] != checkpoint.head_hash:
        return HEAD_DIFFERS
    return VERIFIED

"""Signed checkpoints of the audit chain, and the public keys that signed them.

Both tables are append-only, as the audit log is (a trigger, migration 0002), and their
names start with `audit_` so that `db_roles` and the deploy check treat them as audit
tables. The table is a convenience for the page: the copies that count are the files in
AUDIT_CHECKPOINT_DIR, kept where a database administrator cannot reach them.
"""

from django.db import models

from .signing import Statement


class SigningKey(models.Model):
    """A public key that has signed checkpoints; kept after rotation so old checkpoints stay verifiable."""

    key_id = models.CharField(max_length=16, unique=True, editable=False)
    fingerprint = models.CharField(max_length=60, editable=False)
    public_key = models.TextField(editable=False)
    first_used_at = models.DateTimeField(editable=False)

    class Meta:
        db_table = "audit_signingkey"
        ordering = ["-first_used_at"]

    def __str__(self) -> str:
        return f"{self.key_id} {self.fingerprint}"


class Checkpoint(models.Model):
    number = models.PositiveBigIntegerField(unique=True, editable=False)
    chain_length = models.PositiveBigIntegerField(editable=False)
    # One checkpoint per head: two workers racing past the lock still cannot sign the same head twice.
    head_id = models.BigIntegerField(unique=True, editable=False)
    head_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    key_id = models.CharField(max_length=16, editable=False)
    signature = models.CharField(max_length=88, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        db_table = "audit_checkpoint"
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"checkpoint #{self.number} at record #{self.head_id}"

    @property
    def statement(self) -> Statement:
        return Statement(
            number=self.number,
            chain_length=self.chain_length,
            head_id=self.head_id,
            head_hash=self.head_hash,
            created_at=self.created_at.isoformat(),
            prev_hash=self.prev_hash,
            key_id=self.key_id,
        )

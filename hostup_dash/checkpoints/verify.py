"""Checkpoint files checked one by one, and a walk of the chain checked against them.

Plain Python over files and values: the online check (audit_verify reading the database)
and the offline one (an export file) share it, and the offline one never connects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .signing import GENESIS_HASH, Statement, signature_is_valid

FILE_GLOB = "checkpoint-*.json"
NO_CHECKPOINTS = "No checkpoint files (checkpoint-*.json) in {directory}."
UNREADABLE = "Checkpoint file {name} is not a checkpoint: {reason}."
MISSING = "Checkpoint #{number} is missing from the sequence: the file after #{before} is {name}."
UNTRUSTED_KEY = "Checkpoint #{number} ({name}) is signed with key {key_id}, which is not a trusted public key."
BAD_SIGNATURE = "Checkpoint #{number} ({name}): its signature does not match its content (the file was altered)."
BAD_LINK = "Checkpoint #{number} ({name}) does not link to checkpoint #{before} (the sequence was altered)."
NOT_LONGER = "Checkpoint #{number} ({name}) states no newer head than checkpoint #{before}."
REWRITTEN = (
    "Checkpoint #{number}: position {position} of the chain holds record #{found_id} with hash {found_hash}, "
    "but the checkpoint states record #{head_id} with hash {head_hash} (the chain was rewritten at or before "
    "position {position}{since})."
)
CUT_OFF = (
    "Checkpoint #{number} states a chain of {length} records ending at record #{head_id}, but the chain has "
    "{found} (records after position {found} were deleted)."
)


class VerifyError(Exception):
    """The first thing found wrong; its message says which checkpoint or record and what."""


@dataclass(frozen=True)
class SignedCheckpoint:
    statement: Statement
    signature: str
    name: str


def checkpoint_file_name(number: int) -> str:
    return f"checkpoint-{number:08d}.json"


def checkpoint_file_text(statement: Statement, signature: str) -> str:
    return json.dumps({**asdict(statement), "signature": signature}, indent=2, sort_keys=True) + "\n"


def _parsed(path: Path) -> SignedCheckpoint:
    try:
        content = json.loads(path.read_text())
        statement = Statement(**{field.name: content[field.name] for field in fields(Statement)})
        return SignedCheckpoint(statement=statement, signature=content["signature"], name=path.name)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise VerifyError(UNREADABLE.format(name=path.name, reason=error)) from error


def checkpoints_read(directory: str | Path, public_keys: dict[str, Ed25519PublicKey]) -> list[SignedCheckpoint]:
    """Every checkpoint in `directory`, oldest first, each signature and link checked; raises VerifyError."""
    paths = sorted(Path(directory).glob(FILE_GLOB))
    if not paths:
        raise VerifyError(NO_CHECKPOINTS.format(directory=directory))
    checkpoints: list[SignedCheckpoint] = []
    for path in paths:
        checkpoint = _parsed(path)
        _check(checkpoint, checkpoints[-1] if checkpoints else None, public_keys)
        checkpoints.append(checkpoint)
    return checkpoints


def _check(checkpoint: SignedCheckpoint, before: SignedCheckpoint | None, keys: dict[str, Ed25519PublicKey]) -> None:
    statement, name = checkpoint.statement, checkpoint.name
    expected = before.statement.number + 1 if before else 1
    # A file renamed into a gap is caught here too: the name must be the one its number gives.
    if statement.number != expected or name != checkpoint_file_name(expected):
        raise VerifyError(MISSING.format(number=expected, before=expected - 1, name=name))
    key = keys.get(statement.key_id)
    if key is None:
        raise VerifyError(UNTRUSTED_KEY.format(number=expected, name=name, key_id=statement.key_id))
    if not signature_is_valid(statement, checkpoint.signature, key):
        raise VerifyError(BAD_SIGNATURE.format(number=expected, name=name))
    if statement.prev_hash != (before.statement.hash() if before else GENESIS_HASH):
        raise VerifyError(BAD_LINK.format(number=expected, before=expected - 1, name=name))
    if before and statement.chain_length <= before.statement.chain_length:
        raise VerifyError(NOT_LONGER.format(number=expected, name=name, before=expected - 1))


class HeadCheck:
    """Follows a walk of the whole chain, oldest first, and compares each checkpoint's head as the walk passes
    its position: a rewrite from some record on shows at the first checkpoint at or after it."""

    def __init__(self, checkpoints: Iterable[SignedCheckpoint]) -> None:
        self._pending = [checkpoint.statement for checkpoint in reversed(list(checkpoints))]
        self._last_matched: Statement | None = None
        self.matched = 0

    def record(self, position: int, record_id: int, record_hash: str) -> None:
        """Position counts from 1; raises VerifyError when a checkpoint's head is not the record found there."""
        if not self._pending or self._pending[-1].chain_length != position:
            return
        statement = self._pending.pop()
        if (record_id, record_hash) != (statement.head_id, statement.head_hash):
            last = self._last_matched
            since = f", after position {last.chain_length} of checkpoint #{last.number}" if last else ""
            raise VerifyError(
                REWRITTEN.format(
                    number=statement.number,
                    position=position,
                    found_id=record_id,
                    found_hash=record_hash,
                    head_id=statement.head_id,
                    head_hash=statement.head_hash,
                    since=since,
                )
            )
        self._last_matched = statement
        self.matched += 1

    def end(self, length: int) -> None:
        """The walk saw `length` records; raises VerifyError when a checkpoint states more."""
        if self._pending:
            statement = self._pending[-1]
            found = {"length": statement.chain_length, "head_id": statement.head_id, "found": length}
            raise VerifyError(CUT_OFF.format(number=statement.number, **found))

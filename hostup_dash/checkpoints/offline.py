"""An audit export (JSON Lines, newest first) checked against the checkpoints, with no database.

Every record is checked against its own hash, recomputed from the fields in the file. The
chain is checked where it is continuous: between neighbouring ids in a filtered export, and
from the first record to the last in an unfiltered one, which must then also hold the head of
every checkpoint made before it was exported. Reads the file once, in constant memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from hostup_dash.audit.models import GENESIS_HASH, AuditRecord
from hostup_dash.audit.selectors import Source

from .signing import Statement
from .verify import SignedCheckpoint, VerifyError

EXPORT_TAG = "hostup-dash audit"
HOSTUP_SOURCE = Source.HOSTUP.value
# What a line must carry to recompute the record's hash.
REQUIRED = ("id", *AuditRecord.HASHED_FIELDS, "prev_hash", "hash")
# Hashed only when set: absent from an older export means unset (and a value taken out of a line breaks its hash).
OPTIONAL = AuditRecord.OPTIONAL_HASHED_FIELDS
UNREADABLE = "Cannot read {name}: {reason}."
NOT_AN_EXPORT = "{name} is not a hostup-dash audit export (JSON Lines, its header line first)."
BAD_LINE = "Line {line} of the export is not a record: {reason}."
LACKS_FIELDS = "Record #{id} in the export lacks {names}, which its hash covers (export it again from this version)."
BAD_HASH = "Record #{id} in the export does not match its hash (the record was altered)."
BAD_LINK = (
    "Record #{id}'s prev_hash is not the hash of record #{before}, the record before it in the export "
    "(a record was removed, inserted or re-hashed)."
)
NOT_FROM_START = "The export is unfiltered, but its oldest record #{id} does not start the chain (records were lost)."
HEAD_DIFFERS = (
    "Checkpoint #{number} states record #{head_id} with hash {head_hash}, but the export's record #{head_id} has "
    "hash {found} (the chain was rewritten at or before it)."
)
HEAD_MISSING = (
    "Checkpoint #{number} states a chain of {length} records ending at record #{head_id}, made before the export, "
    "but the unfiltered export does not hold that record (records were deleted)."
)


@dataclass(frozen=True)
class ExportReport:
    records: int
    links: int
    heads: int
    is_full: bool
    newer_checkpoints: int

    def summary(self) -> str:
        if self.is_full:
            chain = f"the chain unbroken from the first record ({self.links} links)"
        else:
            chain = f"a filtered export: {self.links} links between neighbouring records checked"
        newer = f"; {self.newer_checkpoints} checkpoints newer than the export" if self.newer_checkpoints else ""
        return (
            f"{self.records} records, each matching its hash; {chain}; "
            f"{self.heads} checkpoint heads found and matching{newer}"
        )


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        file = path.open(encoding="utf-8")
    except OSError as error:
        raise VerifyError(UNREADABLE.format(name=path, reason=error.strerror)) from error
    with file:
        for number, text in enumerate(file, start=1):
            try:
                content = json.loads(text)
            except ValueError as error:
                raise VerifyError(BAD_LINE.format(line=number, reason=error)) from error
            if not isinstance(content, dict):
                raise VerifyError(BAD_LINE.format(line=number, reason="not a JSON object"))
            yield number, content


def _record_hash(line: dict[str, Any]) -> str:
    """The hash the record's own fields give, computed by the model's canonical form (no database involved)."""
    values = {name: line[name] for name in REQUIRED if name not in ("id", "hash")}
    values |= {name: line[name] for name in OPTIONAL if name in line}
    values["created_at"] = datetime.fromisoformat(values["created_at"])
    return AuditRecord(**values).compute_hash()


def export_verify(path: str | Path, checkpoints: Iterable[SignedCheckpoint]) -> ExportReport:
    """Check an export file against checkpoints already read and checked; raises VerifyError at the first fault."""
    path = Path(path)
    lines = _lines(path)
    header = next(lines, (0, {}))[1]
    if header.get("export") != EXPORT_TAG:
        raise VerifyError(NOT_AN_EXPORT.format(name=path.name))
    is_full = not header.get("filter")
    exported_at = datetime.fromisoformat(header["exported_at"])
    heads = {checkpoint.statement.head_id: checkpoint.statement for checkpoint in checkpoints}
    newer: dict[str, Any] | None = None
    records = links = matched = 0
    # Read newest first, but reported oldest first: the first checkpoint after the rewritten record.
    differs: list[tuple[Statement, str]] = []
    for number, line in lines:
        if line.get("source") == HOSTUP_SOURCE:
            continue  # an imported HostUp event (hostup_dash.trail): HostUp's, not in our chain
        missing = [name for name in REQUIRED if name not in line]
        if missing:
            raise VerifyError(LACKS_FIELDS.format(id=line.get("id", f"on line {number}"), names=", ".join(missing)))
        if _record_hash(line) != line["hash"]:
            raise VerifyError(BAD_HASH.format(id=line["id"]))
        # Newest first: the record read before this one is the next in the chain when no id lies between.
        if newer is not None and (is_full or newer["id"] == line["id"] + 1):
            if newer["prev_hash"] != line["hash"]:
                raise VerifyError(BAD_LINK.format(id=newer["id"], before=line["id"]))
            links += 1
        statement = heads.pop(line["id"], None)
        if statement is not None and statement.head_hash != line["hash"]:
            differs.append((statement, line["hash"]))
        elif statement is not None:
            matched += 1
        newer = line
        records += 1
    if differs:
        statement, found = min(differs, key=lambda pair: pair[0].number)
        raise VerifyError(
            HEAD_DIFFERS.format(
                number=statement.number, head_id=statement.head_id, head_hash=statement.head_hash, found=found
            )
        )
    if is_full and newer is not None and newer["prev_hash"] != GENESIS_HASH:
        raise VerifyError(NOT_FROM_START.format(id=newer["id"]))
    made_before = [s for s in heads.values() if datetime.fromisoformat(s.created_at) <= exported_at]
    if is_full and made_before:
        first = min(made_before, key=lambda statement: statement.number)
        raise VerifyError(HEAD_MISSING.format(number=first.number, length=first.chain_length, head_id=first.head_id))
    newer_count = len(heads) - len(made_before) if is_full else 0
    return ExportReport(records=records, links=links, heads=matched, is_full=is_full, newer_checkpoints=newer_count)

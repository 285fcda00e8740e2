"""How HostUp writes ids and timestamps; every part of the simulator formats them through here."""

import random
from datetime import UTC, datetime

# Lower-case Crockford base32 (no i, l, o, u): HostUp's ids look like lower-case ULIDs (NOTES.md).
ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_LENGTH = 26


def new_id(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def now() -> datetime:
    """The current time, cut to milliseconds so stored values equal what the API shows."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and `Z`, HostUp's timestamp format."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)

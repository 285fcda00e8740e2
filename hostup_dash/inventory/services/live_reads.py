"""Each user's per-minute budget of live HostUp reads from VPS page views, shared by every web process."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.utils import timezone

from ..models import LiveReadCount

# One round trip: forget the user's earlier minutes, then count this read in the current one.
_COUNT_SQL = f"""
WITH earlier AS (DELETE FROM {LiveReadCount._meta.db_table} WHERE user_id = %(user)s AND minute < %(minute)s)
INSERT INTO {LiveReadCount._meta.db_table} (user_id, minute, reads) VALUES (%(user)s, %(minute)s, 1)
ON CONFLICT (user_id, minute) DO UPDATE SET reads = {LiveReadCount._meta.db_table}.reads + 1
RETURNING reads
"""


def live_read_take(*, user_id: int) -> bool:
    """Count one live read for the user; False when this minute's LIVE_READS_PER_USER_MINUTE are spent."""
    minute = timezone.now().replace(second=0, microsecond=0)
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_SQL, {"user": user_id, "minute": minute})
        (reads,) = cursor.fetchone()
    return reads <= settings.LIVE_READS_PER_USER_MINUTE

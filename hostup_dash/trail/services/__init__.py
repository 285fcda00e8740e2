"""The only code that writes the trail: the import, its verdicts, reconciliation, outside changes.

Callers import this package (`from hostup_dash.trail import services`).
"""

from .imports import EVENTS_IMPORT_TASK, events_import, gap_note
from .outside import VPS_REREAD_TASK, outside_changes_act, vps_reread
from .reconcile import NO_RECORD, reconcile_unknown

__all__ = [
    "EVENTS_IMPORT_TASK",
    "NO_RECORD",
    "VPS_REREAD_TASK",
    "events_import",
    "gap_note",
    "outside_changes_act",
    "reconcile_unknown",
    "vps_reread",
]

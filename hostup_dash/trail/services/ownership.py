"""Whose request an imported event was: one of our actions, or a change made outside the dashboard.

The one exact link is the request id HostUp returned to us, which our outcome record keeps
(NOTES.md "Account audit log"). A request whose reply never reached us (a timeout, a killed
process) left no id: its event is ours when it came from our API key and an intent of ours
explains it. A routed-IPv6 change that is neither went through HostUp's panel, its staff, a
system job or another API key.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from hostup_dash.audit.models import AuditRecord
from hostup_dash.hostup.audit_log import AuditEvent, is_routed_ipv6, vps_id_of

from ..models import OwnApiKey

Action = AuditRecord.Action
Outcome = AuditRecord.Outcome

# How our actions appear in HostUp's log (the vocabulary is assumed, NOTES.md); refresh and
# allocate are both POSTs to one path, so `action` tells them apart.
VPS_ACTION_EVENTS = {
    Action.ALLOCATE: ("POST", "routed_ipv6.allocate"),
    Action.REFRESH_NEXT_HOP: ("POST", "routed_ipv6.refresh_next_hop"),
    Action.RELEASE: ("DELETE", "routed_ipv6.release"),
}
# The account's writes name no VPS in their path; one runs at a time (the account lock), so the
# method, the action and the time are enough to find ours.
ACCOUNT_ACTION_EVENTS = {
    Action.POOL_ALLOCATE: ("POST", "routed_ipv6_pool.allocate"),
    Action.POOL_RELEASE: ("DELETE", "routed_ipv6_pool.release"),
    Action.ROUTE_CREATE: ("POST", "routed_ipv6_route.create"),
    Action.ROUTE_DELETE: ("DELETE", "routed_ipv6_route.delete"),
}
ACTION_EVENTS = VPS_ACTION_EVENTS | ACCOUNT_ACTION_EVENTS
EVENT_ACTIONS = {event_action: action for action, (_, event_action) in ACTION_EVENTS.items()}
API_ACTOR = "api"
# Our clock and HostUp's may differ a little.
CLOCK_SLACK = timedelta(seconds=1)
READ_METHODS = ("GET", "HEAD", "OPTIONS")
# HostUp's default window, and all the simulator keeps: older events may be gone.
HOSTUP_KEEPS = timedelta(hours=12)
SETTLE_MARGIN = timedelta(seconds=2)


def request_window() -> timedelta:
    """How long after its intent our request can reach HostUp: the client gives up connecting after HOSTUP_TIMEOUT."""
    return timedelta(seconds=settings.HOSTUP_TIMEOUT) + CLOCK_SLACK


def event_settle() -> timedelta:
    """How old an event must be to be imported: by then our record of the request, if it was ours, is written."""
    return request_window() + SETTLE_MARGIN


def carried_out(success: bool | None, status_code: int | None) -> bool:
    """HostUp carried the request out. `success` may be absent (NOTES.md): then a status below 400 says so."""
    if success is not None:
        return success
    return status_code is not None and 200 <= status_code < 400


def is_routed_change(event: AuditEvent) -> bool:
    """A routed-IPv6 write that HostUp carried out (a refused or failed attempt changed nothing)."""
    return (
        is_routed_ipv6(event)
        and (event.method or "GET") not in READ_METHODS
        and carried_out(event.success, event.status_code)
    )


def own_keys() -> set[str]:
    return set(OwnApiKey.objects.values_list("actor_id", flat=True))


def is_from_own_key(actor_type: str | None, actor_id: str | None, keys: set[str]) -> bool:
    """From our API key. Before any event of ours was linked, any API key may be ours."""
    return actor_type == API_ACTOR and (actor_id in keys if keys else True)


def own_request_ids(events: Iterable[AuditEvent]) -> set[str]:
    """The request ids among these events that one of our records holds (an outcome, or a failed write's problem)."""
    events = [event for event in events if event.request_id]
    if not events:
        return set()
    # Our record is written after HostUp answered, but how long after has no bound (the append may
    # wait for the chain's lock): only the earliest time narrows the search (the time index).
    earliest = min(event.occurred_at for event in events) - CLOCK_SLACK
    records = AuditRecord.objects.filter(
        created_at__gte=earliest, hostup_request_id__in={event.request_id for event in events}
    )
    return set(records.values_list("hostup_request_id", flat=True))


def own_keys_learn(events: Iterable[AuditEvent], request_ids: set[str]) -> None:
    """Remember the actorId of every API-key event linked to a record of ours: that key is ours."""
    learned = {
        event.actor_id: event.id
        for event in events
        if event.request_id in request_ids and event.actor_type == API_ACTOR and event.actor_id
    }
    OwnApiKey.objects.bulk_create(
        [OwnApiKey(actor_id=actor_id, learned_from=event_id) for actor_id, event_id in learned.items()],
        ignore_conflicts=True,
    )


def unsettled_intents() -> QuerySet[AuditRecord]:
    """Intents of our routed-IPv6 actions with no outcome, or only an unknown one: their reply never reached us."""
    settled = AuditRecord.objects.filter(intent=OuterRef("pk"), action=OuterRef("action")).exclude(
        outcome=Outcome.UNKNOWN
    )
    return AuditRecord.objects.filter(outcome=Outcome.PENDING, action__in=ACTION_EVENTS).exclude(Exists(settled))


def explaining_intent(event: AuditEvent) -> AuditRecord | None:
    """Our intent whose unanswered request this event can be: same action (and VPS, for a VPS's own
    routed IPv6), sent just before it arrived."""
    action, vps_id = EVENT_ACTIONS.get(event.action or ""), vps_id_of(event)
    if action is None or event.method != ACTION_EVENTS[action][0]:
        return None
    sent = (event.occurred_at - request_window(), event.occurred_at + CLOCK_SLACK)
    intents = unsettled_intents().filter(action=action, created_at__range=sent)
    if action in VPS_ACTION_EVENTS:
        if vps_id is None:
            return None
        intents = intents.filter(vps_id=vps_id)
    return intents.order_by("-id").first()


def outside_changes(events: list[AuditEvent]) -> set[str]:
    """The ids of the events that are routed-IPv6 changes made outside the dashboard; learns our key on the way."""
    ours = own_request_ids(events)
    own_keys_learn(events, ours)
    keys = own_keys()
    outside = set()
    for event in events:
        if not is_routed_change(event) or event.request_id in ours:
            continue
        if is_from_own_key(event.actor_type, event.actor_id, keys) and explaining_intent(event) is not None:
            continue  # our own request whose reply we never got: reconciliation settles it
        outside.add(event.id)
    return outside

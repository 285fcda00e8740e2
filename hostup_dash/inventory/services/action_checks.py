"""An action's checks before anything is sent: the input (ids, reason and ticket, a release's typed prefix)
against the VPS on record, and a release's typed prefix against HostUp's live state under the VPS's lock.
Every refusal here is audited; nothing reaches HostUp.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from hostup_dash.audit import services as audit
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.errors import Refusal
from hostup_dash.core.reasons import REASON_INVALID, ChangeReason, reason_errors, reason_refusal, reason_required
from hostup_dash.hostup import FieldError, HostupClient, HostupError, InvalidRequest, check_rack_id, check_vps_id

from ..models import VpsSnapshot
from .snapshot import vps_state_refresh, vps_state_store

Action = AuditRecord.Action

NOT_CONFIRMED = "not_confirmed"
# A release is confirmed by typing the prefix it gives up, compared on the server with the one on record.
NOT_CONFIRMED_DETAIL = "Releasing starts a cooldown: type the prefix being released, {prefix}, exactly."
NO_PREFIX_DETAIL = "No prefix of this VPS is on record to confirm: re-check its state first."
# The record can be older than HostUp: the typed prefix is also compared with HostUp's live one before sending.
LIVE_MISMATCH_DETAIL = (
    "HostUp now shows {live} for this VPS, not {typed} as the page did; the page is updated. "
    "Nothing was sent: type {live} to release it."
)
LIVE_NONE_DETAIL = "HostUp shows no routed prefix on this VPS any more; the page is updated. Nothing was sent."
CONFIRM_UNREAD = "confirm_unread"
CONFIRM_UNREAD_DETAIL = "The prefix could not be checked against HostUp ({title}). Nothing was sent; try again."


def _fields_check(*, vps_id: str, rack_id: str | None, change: ChangeReason, confirm: str | None, prefix: str) -> None:
    """Raises Refusal for input that must not reach HostUp: every field error at once, so the form shows them all."""
    try:
        check_vps_id(vps_id)
        check_rack_id(rack_id)
    except InvalidRequest as invalid:
        raise Refusal(code=invalid.code, title=invalid.title, detail=invalid.detail, errors=invalid.errors) from None
    # A release (the one action with a confirmation) always needs a reason.
    errors = reason_errors(change, required=reason_required(always=confirm is not None))
    unconfirmed = confirm is not None and (not prefix or confirm != prefix)
    if unconfirmed:
        detail = NOT_CONFIRMED_DETAIL.format(prefix=prefix) if prefix else NO_PREFIX_DETAIL
        errors = (FieldError(pointer="/confirm", detail=detail, code="not_confirmed"), *errors)
    if errors:
        raise reason_refusal(errors, code=NOT_CONFIRMED if unconfirmed else REASON_INVALID)


def ipv6_input_check(
    *,
    actor: AbstractBaseUser,
    action: str,
    vps_id: str,
    client_ip: str | None,
    change: ChangeReason,
    rack_id: str | None = None,
    confirm: str | None = None,
) -> None:
    """An action's checks before sending, alone (a change request holds only what its action would accept).
    Raises Refusal, audited as the action refused; nothing is ever sent."""
    body = {} if action == Action.RELEASE else {"action": action, **({"rackId": rack_id} if rack_id else {})}
    why = {"reason": change.reason, "ticket": change.ticket, "change_request_id": None}
    input_checked(actor, action, vps_id, body, client_ip, None, why, rack_id=rack_id, change=change, confirm=confirm)


def input_checked(
    actor: AbstractBaseUser,
    action: str,
    vps_id: str,
    body: dict[str, Any],
    client_ip: str | None,
    bulk_run_id: int | None,
    why: dict[str, Any],
    /,
    *,
    rack_id: str | None,
    change: ChangeReason,
    confirm: str | None,
) -> dict[str, Any]:
    """Check the input against the VPS on record; returns the fields a refusal of this attempt records
    (its VPS name among them): who, what, where from, and `why` (reason, ticket, change request).
    Raises Refusal, audited."""
    snapshot = VpsSnapshot.objects.filter(vps_id=vps_id).values_list("name", "routed_prefix").first()
    vps_name, prefix = snapshot or ("", "")
    if snapshot is not None and confirm is not None and confirm != prefix:
        prefix = _prefix_reread(vps_id, on_record=prefix)
    refusal = {
        "actor": actor,
        "action": action,
        "vps_id": vps_id,
        "vps_name": vps_name,
        "request_body": body,
        "client_ip": client_ip,
        "bulk_run_id": bulk_run_id,
        **why,
    }
    try:
        _fields_check(vps_id=vps_id, rack_id=rack_id, change=change, confirm=confirm, prefix=prefix)
    except Refusal as problem:
        audit.audit_refusal_record(**refusal, problem=problem)
        raise
    return refusal


def _prefix_reread(vps_id: str, *, on_record: str) -> str:
    """A typed prefix the record does not hold may be HostUp's newer one: read the state live (stored, so the
    page shows it) and confirm against that; the record's prefix stands when HostUp cannot be read."""
    try:
        vps_state_refresh(vps_id=vps_id)
    except HostupError:
        return on_record
    return VpsSnapshot.objects.filter(vps_id=vps_id).values_list("routed_prefix", flat=True).first() or ""


def confirm_live_check(client: HostupClient, *, vps_id: str, confirm: str, refusal: dict[str, Any]) -> None:
    """A release's typed prefix against HostUp's live state, under the VPS's lock, before the intent: a record
    older than HostUp must not let another prefix than the one typed be released. Raises Refusal (audited),
    after storing the live state so the form shown again names the prefix there is."""
    try:
        live = client.get_routed_ipv6(vps_id)
    except HostupError as unread:
        detail = CONFIRM_UNREAD_DETAIL.format(title=unread.title)
        problem = Refusal(code=CONFIRM_UNREAD, title="State not read", detail=detail, status=502)
    else:
        active = live.active_allocation
        if active is not None and active.prefix == confirm:
            return
        vps_state_store(vps_id=vps_id, state=live)
        detail = LIVE_MISMATCH_DETAIL.format(live=active.prefix, typed=confirm) if active else LIVE_NONE_DETAIL
        errors = (FieldError(pointer="/confirm", detail=detail, code=NOT_CONFIRMED),)
        problem = Refusal(code=NOT_CONFIRMED, title="The VPS changed", detail=detail, status=409, errors=errors)
    audit.audit_refusal_record(**refusal, problem=problem)
    raise problem

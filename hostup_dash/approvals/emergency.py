"""Break-glass: an emergency change made at once, without the approval APPROVAL_REQUIRED_FOR asks for.

Only a holder of approve_change (an admin) may, and only with a reason. The BREAK_GLASS record
comes first, so the trail (and the `break_glass` notification) says so before the action's
own intent and outcome.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser

from hostup_dash.accounts import roles
from hostup_dash.audit import services as audit
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.errors import Refusal
from hostup_dash.core.reasons import ChangeReason
from hostup_dash.hostup import FieldError
from hostup_dash.inventory import selectors as inventory_selectors
from hostup_dash.inventory import services as inventory

NOT_ALLOWED = "break_glass_not_allowed"
NOT_ALLOWED_DETAIL = "Only an admin may make an emergency change without approval."
NO_REASON = "break_glass_no_reason"
REASON_REQUIRED = "An emergency change needs a reason: say why it cannot wait for approval."


def break_glass_run(
    *,
    actor: AbstractBaseUser,
    action: str,
    vps_id: str,
    change: ChangeReason,
    client_ip: str | None,
    run: Callable[[], inventory.ActionResult],
    rack_id: str | None = None,
    confirm: str | None = None,
) -> inventory.ActionResult:
    """An emergency change without approval: only for a holder of approve_change, only with a reason.
    After the action's own input checks, records BREAK_GLASS (always notified), then `run()`s the action,
    whose own records follow. Raises Refusal (audited), or whatever `run` raises."""
    vps = inventory_selectors.vps_get(vps_id=vps_id)
    fields = {
        "actor": actor,
        "action": AuditRecord.Action.BREAK_GLASS,
        "vps_id": vps_id,
        "vps_name": vps.name if vps else "",
        "request_body": {"action": action},
        "client_ip": client_ip,
        "reason": change.reason,
        "ticket": change.ticket,
    }
    problem = None
    if not actor.has_perm(roles.APPROVE_CHANGE):
        problem = Refusal(code=NOT_ALLOWED, title="Not allowed", detail=NOT_ALLOWED_DETAIL, status=403)
    elif not change.reason:
        problem = Refusal(
            code=NO_REASON,
            title="No reason given",
            detail=REASON_REQUIRED,
            errors=(FieldError(pointer="/reason", detail=REASON_REQUIRED, code="required"),),
        )
    if problem is not None:
        audit.audit_refusal_record(**fields, problem=problem)
        raise problem
    inventory.ipv6_input_check(
        actor=actor, action=action, vps_id=vps_id, client_ip=client_ip, change=change, rack_id=rack_id, confirm=confirm
    )
    audit.audit_change_record(**fields, change_request_id=None)
    return run()

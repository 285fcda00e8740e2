"""The top bar's link to /approvals/, with the number of waiting requests for those who decide them."""

from django import template

from hostup_dash.accounts import roles

from .. import selectors
from ..models import ChangeRequest

register = template.Library()


@register.inclusion_tag("approvals/_nav_link.html", takes_context=True)
def approvals_link(context, oob: bool = False) -> dict:
    """Shown to whoever may see change requests; approvers also get the count (one indexed COUNT).
    `oob`: swapped into the top bar by an htmx decision's answer, so the count follows it."""
    request = context["request"]
    user = request.user
    visible = user.has_perm(roles.VIEW_VPS_HISTORY)
    is_approver = visible and user.has_perm(roles.APPROVE_CHANGE)
    return {
        "visible": visible,
        "pending": selectors.change_request_pending_count() if is_approver else None,
        "is_current": bool(request.resolver_match and request.resolver_match.app_name == "approvals"),
        "oob": oob,
    }


@register.filter
def decidable_by(change: ChangeRequest, user) -> bool:
    """Whether `user` is offered Approve and Reject for the request (the service checks again)."""
    return change.is_open and user.has_perm(roles.APPROVE_CHANGE) and not change.is_requested_by(user)


@register.filter
def requested_by(change: ChangeRequest, user) -> bool:
    return change.is_requested_by(user)

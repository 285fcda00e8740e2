"""/approvals/: the change requests, and approving or rejecting one. Parse, check, call one service, render."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from hostup_dash.accounts import roles
from hostup_dash.accounts.decorators import permission_required_audited
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.errors import Refusal
from hostup_dash.core.htmx import HtmxHttpRequest, is_partial
from hostup_dash.core.http import client_ip

from . import selectors, services

AuditAction = AuditRecord.Action


@require_GET
@permission_required_audited(roles.VIEW_VPS_HISTORY, action=AuditAction.VIEW_HISTORY)
def request_list(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "approvals/request_list.html", {"lists": selectors.change_request_lists()})


@require_GET
@permission_required_audited(roles.VIEW_VPS_HISTORY, action=AuditAction.VIEW_HISTORY)
def request_detail(request: HtmxHttpRequest, change_request_id: int) -> HttpResponse:
    change = selectors.change_request_get(change_request_id=change_request_id)
    if change is None:
        raise Http404("No such change request")
    context = {"change": change, "trail": selectors.change_request_trail(change)}
    return render(request, "approvals/request_detail.html", context)


def _decision_response(request: HtmxHttpRequest, change_request_id: int, decide) -> HttpResponse:
    """htmx gets /approvals/'s lists again, the request now where it belongs (with the problem on its row when
    refused). A plain form POST is redirected with a message (back to /approvals/ when sent from there, else to
    the request's page), or shown that page again with the problem."""
    problem, status = None, 200
    try:
        decide(actor=request.user, change_request_id=change_request_id, client_ip=client_ip(request))
    except Refusal as refused:
        problem, status = refused, refused.status
    change = selectors.change_request_get(change_request_id=change_request_id)
    if change is None:
        raise Http404("No such change request")
    from_list = is_partial(request) or request.POST.get("back") == "list"
    if problem is None and not is_partial(request):
        messages.success(request, _decided_words(change))
        if from_list:
            return redirect("approvals:request-list")
        return redirect("approvals:request-detail", change_request_id=change.id)
    if from_list:
        context = {"lists": selectors.change_request_lists(), "problem": problem, "problem_for": change.id}
        if is_partial(request):
            context |= {"oob": True, "message": _decided_words(change)}
            return render(request, "approvals/request_list.html#change-lists", context, status=status)
        return render(request, "approvals/request_list.html", context, status=status)
    context = {"change": change, "trail": selectors.change_request_trail(change), "problem": problem}
    return render(request, "approvals/request_detail.html", context, status=status)


def _decided_words(change) -> str:
    return f"Request #{change.id}: {change.get_status_display()}. {change.status_detail}".strip()


@require_POST
@permission_required_audited(roles.APPROVE_CHANGE, action=AuditAction.CHANGE_APPROVE)
def request_approve(request: HtmxHttpRequest, change_request_id: int) -> HttpResponse:
    return _decision_response(request, change_request_id, services.change_request_approve)


@require_POST
@permission_required_audited(roles.APPROVE_CHANGE, action=AuditAction.CHANGE_REJECT)
def request_reject(request: HtmxHttpRequest, change_request_id: int) -> HttpResponse:
    return _decision_response(request, change_request_id, services.change_request_reject)

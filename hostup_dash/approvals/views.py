"""/approvals/: the change requests, and approving or rejecting one. Parse, check, call one service, render."""

from __future__ import annotations

from collections.abc import Callable

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
from .models import ChangeRequest

AuditAction = AuditRecord.Action
# services.change_request_approve or change_request_reject.
Decide = Callable[..., ChangeRequest]


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


def _decision_response(request: HtmxHttpRequest, change_request_id: int, decide: Decide) -> HttpResponse:
    """htmx gets /approvals/'s lists again, the request now where it belongs (with the problem on its row when
    refused). A plain form POST is redirected with a message (back to /approvals/ when sent from there, else to
    the request's page), or shown that page again with the problem."""
    problem = None
    try:
        decide(actor=request.user, change_request_id=change_request_id, client_ip=client_ip(request))
    except Refusal as refused:
        problem = refused
    change = selectors.change_request_get(change_request_id=change_request_id)
    if change is None:
        raise Http404("No such change request")
    from_list = is_partial(request) or request.POST.get("back") == "list"
    if problem is None and not is_partial(request):
        return _redirect_told(request, change, from_list)
    return (_list_answer if from_list else _detail_answer)(request, change, problem)


def _redirect_told(request: HtmxHttpRequest, change: ChangeRequest, from_list: bool) -> HttpResponse:
    """POST/redirect/GET: the outcome goes with the messages framework, which base.html shows once."""
    messages.add_message(request, _decided_level(change), _decided_words(change))
    if from_list:
        return redirect("approvals:request-list")
    return redirect("approvals:request-detail", change_request_id=change.id)


def _list_answer(request: HtmxHttpRequest, change: ChangeRequest, problem: Refusal | None) -> HttpResponse:
    """/approvals/, the problem on the request's row; htmx gets the lists only, with the top bar's count and
    the outcome (seen, or only heard when refused) out of band."""
    context = {"lists": selectors.change_request_lists(), "problem": problem, "problem_for": change.id}
    template = "approvals/request_list.html"
    if is_partial(request):
        level = messages.DEFAULT_TAGS[_decided_level(change)]
        context |= {"oob": True, "message": _decided_words(change), "message_level": level}
        template += "#change-lists"
    return render(request, template, context, status=_status(problem))


def _detail_answer(request: HtmxHttpRequest, change: ChangeRequest, problem: Refusal | None) -> HttpResponse:
    context = {"change": change, "trail": selectors.change_request_trail(change), "problem": problem}
    return render(request, "approvals/request_detail.html", context, status=_status(problem))


def _status(problem: Refusal | None) -> int:
    return problem.status if problem else 200


def _decided_words(change: ChangeRequest) -> str:
    return f"Request #{change.id}: {change.get_status_display()}. {change.status_detail}".strip()


# An approval whose action failed, or whose outcome is unknown, is not shown as a success.
_DECIDED_LEVELS = {
    ChangeRequest.Status.FAILED: messages.ERROR,
    ChangeRequest.Status.UNKNOWN: messages.WARNING,
    ChangeRequest.Status.INVALIDATED: messages.WARNING,
}


def _decided_level(change: ChangeRequest) -> int:
    return _DECIDED_LEVELS.get(change.status, messages.SUCCESS)


@require_POST
@permission_required_audited(roles.APPROVE_CHANGE, action=AuditAction.CHANGE_APPROVE)
def request_approve(request: HtmxHttpRequest, change_request_id: int) -> HttpResponse:
    return _decision_response(request, change_request_id, services.change_request_approve)


@require_POST
@permission_required_audited(roles.APPROVE_CHANGE, action=AuditAction.CHANGE_REJECT)
def request_reject(request: HtmxHttpRequest, change_request_id: int) -> HttpResponse:
    return _decision_response(request, change_request_id, services.change_request_reject)

"""Bulk runs: start one, watch it, cancel it, list the recent ones. Parse, check, call one service, render."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from hostup_dash.accounts import roles
from hostup_dash.accounts.decorators import permission_required_audited
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.errors import Refusal
from hostup_dash.core.htmx import HtmxHttpRequest, is_partial
from hostup_dash.core.http import client_ip
from hostup_dash.core.reasons import reason_required

from . import selectors, services
from .forms import BulkTargetForm
from .models import BulkRun

AuditAction = AuditRecord.Action


def _create(request: HtmxHttpRequest, action: str) -> HttpResponse:
    """Start a run; htmx is sent to its page with HX-Redirect, a plain form POST with a redirect."""
    try:
        vps_ids = BulkTargetForm(request.POST).vps_ids()
        run = services.bulk_run_create(
            actor=request.user,
            action=action,
            vps_ids=vps_ids,
            client_ip=client_ip(request),
            reason=request.POST.get("reason", ""),
            ticket=request.POST.get("ticket", ""),
        )
    except Refusal as problem:
        template = "bulk/bulk_refused.html#bulk-problem" if is_partial(request) else "bulk/bulk_refused.html"
        # htmx also puts the reason fields back, as typed, with their errors beside them.
        typed = {name: request.POST.get(name, "") for name in ("reason", "ticket")}
        typed["errors"] = {error.field: error.detail for error in problem.errors}
        context = {"problem": problem, "typed": typed, "reason_required": reason_required()}
        return render(request, template, context, status=problem.status)
    url = reverse("bulk:run-detail", args=[run.id])
    return HttpResponseClientRedirect(url) if is_partial(request) else redirect(url)


@require_POST
@permission_required_audited(roles.REFRESH_NEXT_HOP, action=AuditAction.REFRESH_NEXT_HOP)
def bulk_refresh_next_hop(request: HtmxHttpRequest) -> HttpResponse:
    return _create(request, BulkRun.Action.REFRESH_NEXT_HOP)


@require_POST
@permission_required_audited(roles.ALLOCATE_IPV6, action=AuditAction.ALLOCATE)
def bulk_allocate(request: HtmxHttpRequest) -> HttpResponse:
    return _create(request, BulkRun.Action.ALLOCATE)


def _detail_context(request: HtmxHttpRequest, run_id: int) -> dict:
    detail = selectors.bulk_run_detail(run_id=run_id)
    if detail is None:
        raise Http404("No such bulk run")
    may_act = request.user.has_perm(services.PERMISSIONS[detail.run.action])
    return {"detail": detail, "run": detail.run, "can_cancel": may_act and not detail.run.is_done}


@require_GET
@permission_required_audited(roles.VIEW_INVENTORY, action=AuditAction.VIEW_INVENTORY)
def bulk_run_detail(request: HtmxHttpRequest, run_id: int) -> HttpResponse:
    """The run page; htmx (its own polling every 2 s while the run goes on) gets the progress part alone."""
    template = "bulk/run_detail.html#bulk-progress" if is_partial(request) else "bulk/run_detail.html"
    return render(request, template, _detail_context(request, run_id))


@require_POST
@permission_required_audited(roles.VIEW_INVENTORY, action=AuditAction.VIEW_INVENTORY)
def bulk_run_cancel(request: HtmxHttpRequest, run_id: int) -> HttpResponse:
    """Cancel: the permission is the run's action's, so the service checks it (and audits a refusal)."""
    run = selectors.bulk_run_get(run_id=run_id)
    if run is None:
        raise Http404("No such bulk run")
    try:
        services.bulk_run_cancel(run=run, actor=request.user, client_ip=client_ip(request))
    except Refusal:
        raise PermissionDenied from None
    if not is_partial(request):
        return redirect("bulk:run-detail", run_id=run_id)
    return render(request, "bulk/run_detail.html#bulk-progress", _detail_context(request, run_id))


@require_GET
@permission_required_audited(roles.VIEW_INVENTORY, action=AuditAction.VIEW_INVENTORY)
def bulk_run_list(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "bulk/run_list.html", {"runs": selectors.bulk_run_list()})

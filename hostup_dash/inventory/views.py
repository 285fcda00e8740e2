"""Inventory pages and routed-IPv6 actions: parse, check, call one service, render."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from hostup_dash.accounts import roles
from hostup_dash.accounts.decorators import permission_required_audited
from hostup_dash.approvals import emergency
from hostup_dash.approvals import selectors as approvals_selectors
from hostup_dash.approvals import services as approvals
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.errors import Refusal
from hostup_dash.core.htmx import HtmxHttpRequest, is_partial
from hostup_dash.core.http import client_ip
from hostup_dash.core.problems import problem_headers, problem_status
from hostup_dash.core.reasons import ChangeReason, reason_required
from hostup_dash.hostup import HostupError
from hostup_dash.trail import selectors as trail_selectors

from . import selectors, services
from .forms import VpsFilterForm

Action = AuditRecord.Action
# Sent after every attempt: the history panel reloads on it, since a failed attempt is recorded too.
IPV6_CHANGED = "ipv6-changed"
APPROVABLE = (Action.ALLOCATE, Action.REFRESH_NEXT_HOP, Action.RELEASE)


def _list_context(params) -> dict:
    form = VpsFilterForm(params, power_states=selectors.power_states())
    form.is_valid()  # a field that is not valid filters nothing; a bad sort or cursor gives the first page by name
    found = form.cleaned_data
    rows = selectors.vps_list(
        query=found.get("q", ""),
        power_state=found.get("power", ""),
        has_routed_ipv6=form.has_routed_ipv6,
        state=found.get("state", ""),
    )
    sync = selectors.sync_status()
    count = selectors.vps_count(rows, filtered=form.is_filtered, sync=sync)
    page = selectors.vps_page(
        rows, sort=form.ordering, after=found.get("after"), before=found.get("before"), few=count.is_few
    )
    # Only stale data raises the question of whether a worker is keeping it fresh.
    worker_silent = sync.is_stale and services.worker_is_silent()
    counts = selectors.state_counts()
    return {
        "form": form,
        "page": page,
        "count": count,
        "sync": sync,
        "worker_silent": worker_silent,
        "state_counts": [(state, state.label, counts.get(state, 0)) for state in selectors.VpsState],
    }


def _bulk_rights(user) -> dict:
    """Which bulk buttons the list offers; without either, it has no checkboxes."""
    can_refresh, can_allocate = user.has_perm(roles.REFRESH_NEXT_HOP), user.has_perm(roles.ALLOCATE_IPV6)
    return {
        "can_bulk_refresh": can_refresh,
        "can_bulk_allocate": can_allocate,
        "can_bulk": can_refresh or can_allocate,
        "bulk_reason_required": reason_required(),
    }


@require_GET
@permission_required_audited(roles.VIEW_INVENTORY, action=Action.VIEW_INVENTORY)
def vps_list(request: HtmxHttpRequest) -> HttpResponse:
    template = "inventory/vps_list.html#vps-rows" if is_partial(request) else "inventory/vps_list.html"
    return render(request, template, _list_context(request.GET) | _bulk_rights(request.user))


@require_POST
@permission_required_audited(roles.VIEW_INVENTORY, action=Action.VIEW_INVENTORY)
def inventory_refresh(request: HtmxHttpRequest) -> HttpResponse:
    """The list's stale-data refresh: ask a worker for an inventory pass, then poll until a newer sync has ended."""
    context = _list_context(request.POST) | _bulk_rights(request.user)
    last_run = context["sync"].last_run
    waiting_since = request.POST.get("waiting_since", "")
    if not (waiting_since.isascii() and waiting_since.isdigit()):  # the first ask from this page ("²" is a digit)
        waiting_since = str(last_run.id if last_run else 0)
        services.inventory_refresh_request()
    ended = last_run is not None and last_run.id > int(waiting_since) and last_run.finished_at is not None
    # `refreshed` stops the rows from asking again, even when the sync failed: no loop while HostUp is down.
    polling = not ended and not context["worker_silent"]
    context |= {"refreshed": True, "refreshing": polling, "waiting_since": waiting_since}
    return render(request, "inventory/vps_list.html#vps-rows", context)


def _detail_context(vps_id: str, user, *, partial: bool, loading: bool = False, **extra) -> dict:
    # The history panel is on the full page only: after a partial, it reloads itself on IPV6_CHANGED.
    history = None
    may_see_history = user.has_perm(roles.VIEW_VPS_HISTORY)
    if not partial and may_see_history:
        history = trail_selectors.vps_history(vps_id=vps_id)
    vps = selectors.vps_get(vps_id=vps_id)
    # Allocate stays offered while the state is unknown: HostUp answers it with the allocation there is, if any.
    active = bool(vps and vps.has_active_allocation)
    # While the live state is `loading` no action is offered: a form typed into would be swapped away.
    return {
        "vps": vps,
        "vps_id": vps_id,
        "history": history,
        "loading": loading,
        "can_allocate": not loading and user.has_perm(roles.ALLOCATE_IPV6) and not active,
        "can_refresh": not loading and user.has_perm(roles.REFRESH_NEXT_HOP) and active,
        "can_release": not loading and user.has_perm(roles.RELEASE_IPV6) and active,
        "change_reason_required": reason_required(),
        # Actions that wait for a second person's approval; an admin may tick "emergency" instead.
        "needs_approval": {action: approvals.approval_is_required(action) for action in APPROVABLE},
        "can_break_glass": user.has_perm(roles.APPROVE_CHANGE),
        # Requests carry reasons: shown to whoever may read the VPS's history.
        "waiting": approvals_selectors.change_requests_waiting(vps_id=vps_id) if may_see_history else [],
        **extra,
    }


@require_GET
@permission_required_audited(roles.VIEW_INVENTORY, action=Action.VIEW_INVENTORY)
def vps_detail(request: HtmxHttpRequest, vps_id: str) -> HttpResponse:
    """The VPS page. A VPS already in the snapshot renders at once from it, and its panel then
    reads HostUp over htmx (a slow HostUp slows one panel, not the page); the panel's request,
    a VPS not yet synced, and `?live=1` (Re-check without JavaScript) read the state live."""
    partial = is_partial(request)
    if not partial and "live" not in request.GET and selectors.vps_get(vps_id=vps_id) is not None:
        return render(
            request, "inventory/vps_detail.html", _detail_context(vps_id, request.user, partial=False, loading=True)
        )
    problem, note = None, ""
    try:
        note = services.vps_state_refresh(vps_id=vps_id, user=request.user).note
    except HostupError as error:
        if error.status == 404 and selectors.vps_get(vps_id=vps_id) is None:
            raise Http404("No such VPS") from None
        problem = error
    context = _detail_context(vps_id, request.user, partial=partial, problem=problem, note=note)
    template = "inventory/vps_detail.html#ipv6-panel" if partial else "inventory/vps_detail.html"
    # Turned away before asking HostUp: the page is the snapshot, and the status says to try again.
    status = problem_status(problem) if problem is not None and problem.is_busy else 200
    return render(request, template, context, status=status)


@require_GET
@permission_required_audited(roles.VIEW_VPS_HISTORY, action=Action.VIEW_HISTORY)
def vps_history(request: HtmxHttpRequest, vps_id: str) -> HttpResponse:
    history = trail_selectors.vps_history(vps_id=vps_id)
    return render(request, "inventory/vps_detail.html#history", {"vps_id": vps_id, "history": history})


def _action_response(request: HtmxHttpRequest, vps_id: str, run, *, form: str, action: str) -> HttpResponse:
    """Run one action service (or ask for approval: `_gated`). htmx gets the panel. A plain form POST gets a
    redirect when it worked (POST/redirect/GET) and otherwise the whole page with the problem, under the
    dashboard's own status; the `form` sent ("change" or "release") shows its field errors and keeps what was typed."""
    partial = is_partial(request)
    template = "inventory/vps_detail.html#ipv6-panel" if partial else "inventory/vps_detail.html"
    try:
        result = _gated(request, vps_id, action, run)
    except (HostupError, Refusal) as problem:
        # The refused form keeps all that was typed (its details then open) and shows its errors by field.
        typed = {name: request.POST.get(name, "") for name in ("reason", "ticket", "confirm", "emergency")}
        typed["errors"] = {error.field: error.detail for error in problem.errors}
        context = _detail_context(
            vps_id,
            request.user,
            partial=partial,
            problem=problem,
            rack_id=request.POST.get("rack_id", ""),
            typed={form: typed},
            focus=_error_focus(form, typed["errors"]),
        )
        response = render(request, template, context, status=problem_status(problem))
        for header, value in problem_headers(problem).items():
            response[header] = value
    else:
        # A request the panel lists as waiting (_detail_context) is shown there only (and announced, not repeated).
        listed = isinstance(result, approvals.Requested) and request.user.has_perm(roles.VIEW_VPS_HISTORY)
        if not partial:
            if not listed:
                messages.success(request, result.message)
            return redirect("inventory:vps-detail", vps_id=vps_id)
        shown = {"requested": result.change_request.id} if listed else {"message": result.message}
        # The focus goes to the heading: the outcome is announced (#ipv6-announce), so it is not read twice.
        context = _detail_context(
            vps_id, request.user, partial=True, focus="ipv6-heading", announce=result.message, **shown
        )
        response = render(request, template, context)
    return trigger_client_event(response, IPV6_CHANGED) if partial else response


# A refused form's fields in page order, by the name its errors use, with the id of their input.
FIELD_IDS = {"reason": "{form}-reason", "ticket": "{form}-ticket", "confirm": "release-confirm", "rackId": "rack-id"}


def _error_focus(form: str, errors: dict[str, str]) -> str:
    """The id that takes the focus after a refusal (htmx's autofocus): the first field in error, else the heading."""
    for field, element_id in FIELD_IDS.items():
        if field in errors:
            return element_id.format(form=form)
    return "ipv6-heading"


def _gated(request: HtmxHttpRequest, vps_id: str, action: str, run):
    """`run` the action, unless APPROVAL_REQUIRED_FOR names it: then the form asks for approval instead,
    or, with "emergency" ticked, runs it at once as a break-glass change."""
    if not approvals.approval_is_required(action):
        return run()
    asked = {
        "actor": request.user,
        "action": action,
        "vps_id": vps_id,
        "change": ChangeReason.of(**_why(request)),
        "client_ip": client_ip(request),
        "rack_id": _rack_id(request),
        "confirm": request.POST.get("confirm", "") if action == Action.RELEASE else None,
    }
    if request.POST.get("emergency"):
        return emergency.break_glass_run(**asked, run=run)
    return approvals.change_request_create(**asked)


def _rack_id(request: HtmxHttpRequest) -> str | None:
    return request.POST.get("rack_id", "").strip() or None


def _why(request: HtmxHttpRequest) -> dict[str, str]:
    """The reason and ticket typed; the service checks them (and audits a refusal)."""
    return {"reason": request.POST.get("reason", ""), "ticket": request.POST.get("ticket", "")}


@require_POST
@permission_required_audited(roles.ALLOCATE_IPV6, action=Action.ALLOCATE)
def vps_ipv6_allocate(request: HtmxHttpRequest, vps_id: str) -> HttpResponse:
    return _action_response(
        request,
        vps_id,
        lambda: services.ipv6_allocate(
            actor=request.user, vps_id=vps_id, rack_id=_rack_id(request), client_ip=client_ip(request), **_why(request)
        ),
        form="change",
        action=Action.ALLOCATE,
    )


@require_POST
@permission_required_audited(roles.REFRESH_NEXT_HOP, action=Action.REFRESH_NEXT_HOP)
def vps_ipv6_refresh_next_hop(request: HtmxHttpRequest, vps_id: str) -> HttpResponse:
    return _action_response(
        request,
        vps_id,
        lambda: services.ipv6_next_hop_refresh(
            actor=request.user, vps_id=vps_id, rack_id=_rack_id(request), client_ip=client_ip(request), **_why(request)
        ),
        form="change",
        action=Action.REFRESH_NEXT_HOP,
    )


@require_POST
@permission_required_audited(roles.RELEASE_IPV6, action=Action.RELEASE)
def vps_ipv6_release(request: HtmxHttpRequest, vps_id: str) -> HttpResponse:
    return _action_response(
        request,
        vps_id,
        lambda: services.ipv6_release(
            actor=request.user,
            vps_id=vps_id,
            confirm=request.POST.get("confirm", ""),
            client_ip=client_ip(request),
            **_why(request),
        ),
        form="release",
        action=Action.RELEASE,
    )

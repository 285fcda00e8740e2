"""The pools page and the account-route actions: parse, check, call one service, render."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from hostup_dash.accounts import roles
from hostup_dash.accounts.decorators import permission_required_audited
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.errors import Refusal
from hostup_dash.core.htmx import HtmxHttpRequest, is_partial
from hostup_dash.core.http import client_ip
from hostup_dash.core.problems import problem_headers, problem_status
from hostup_dash.hostup import HostupError
from hostup_dash.hostup.account_routes import AccountRoutes

from . import services
from .forms import ConfirmedForm, PoolAllocateForm, RouteCreateForm
from .page import pools_page, prefix_hint, vps_routes
from .problems import hostup_advice, hostup_refusal_errors

Action = AuditRecord.Action
PAGE = "pools/pool_list.html"
PANEL = "pools/pool_list.html#pools-panel"
# Sent after every attempt (a refusal is recorded too), for whatever on the page follows the account.
ROUTES_CHANGED = "account-routes-changed"


def _panel_context(
    request: HtmxHttpRequest, state: AccountRoutes | None, typed: dict[str, dict] | None = None, **extra
) -> dict:
    """The page's context; without `state`, it is read from HostUp (a failed read is shown in words).
    `typed`: a refused delete or release form's input, by the id of its route or pool."""
    read_problem = None
    if state is None:
        try:
            state = services.account_routes_read(user=request.user)
        except HostupError as error:
            read_problem = error
    user = request.user
    context = {
        "page": pools_page(state, typed, _page_number(request)) if state else None,
        "read_problem": read_problem,
        "can_create": user.has_perm(roles.CREATE_ROUTE),
        "can_delete": user.has_perm(roles.DELETE_ROUTE),
        "can_allocate": user.has_perm(roles.ALLOCATE_POOL),
        "can_release": user.has_perm(roles.RELEASE_POOL),
        "create_form": RouteCreateForm(initial={"vpsId": request.GET.get("vps", "")}),
        "allocate_form": PoolAllocateForm(),
        **extra,
    }
    return context | prefix_hint(context["page"], context["create_form"].typed)


def _page_number(request: HtmxHttpRequest) -> int:
    """Which page of routes to show: ?page= on the page's URL, and on each form's, so a write answers with it."""
    raw = request.GET.get("page", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 1


@require_GET
@permission_required_audited(roles.VIEW_INVENTORY, action=Action.VIEW_INVENTORY)
def pool_list(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, PANEL if is_partial(request) else PAGE, _panel_context(request, None))


@require_GET
@permission_required_audited(roles.VIEW_INVENTORY, action=Action.VIEW_INVENTORY)
def vps_account_routes(request: HtmxHttpRequest, vps_id: str) -> HttpResponse:
    """The VPS page's panel of account routes pointing at it (loaded after the page, one HostUp read)."""
    context: dict = {"vps_id": vps_id, "can_create": request.user.has_perm(roles.CREATE_ROUTE)}
    try:
        routes, eligible, blocker = vps_routes(services.account_routes_read(user=request.user), vps_id)
        context |= {"routes": routes, "eligible": eligible, "blocker": blocker}
    except HostupError as problem:
        context["problem"] = problem
    return render(request, "pools/vps_routes.html#vps-account-routes", context)


def _act(request: HtmxHttpRequest, run: Callable[[], services.AccountWriteResult], form, *, about: str = ""):
    """Run one write. htmx gets the panel; a plain POST gets a redirect when it worked (POST/redirect/GET)
    and otherwise the whole page with the problem, under the dashboard's own status."""
    partial = is_partial(request)
    form.is_valid()  # the service checks again and audits; this only fills the form for showing it
    try:
        result = run()
    except (HostupError, Refusal) as problem:
        hostup = isinstance(problem, HostupError)
        # HostUp's refusal goes beside the fields the same way as ours (only for showing; it is audited as HostUp's).
        shown = (
            Refusal(code=problem.code, title=problem.title, errors=hostup_refusal_errors(problem))
            if hostup
            else problem
        )
        form.refusal_errors_add(shown)
        # A row's form shows what was typed into it; the create and allocate forms are one each.
        forms = {"create_form": form} if isinstance(form, RouteCreateForm) else {"allocate_form": form}
        advice = hostup_advice(problem) if hostup else ""
        typed = {about: form.typed} if about else None
        context = _panel_context(request, None, typed, problem=problem, advice=advice, **forms)
        response = render(request, PANEL if partial else PAGE, context, status=problem_status(problem))
        for header, value in problem_headers(problem).items():
            response[header] = value
    else:
        if not partial:
            messages.success(request, result.message)
            return redirect("pools:pool-list")
        response = render(request, PANEL, _panel_context(request, result.state, message=result.message))
    return trigger_client_event(response, ROUTES_CHANGED) if partial else response


def _why(form) -> dict[str, str]:
    change = form.change_reason()
    return {"reason": change.reason, "ticket": change.ticket}


@require_POST
@permission_required_audited(roles.CREATE_ROUTE, action=Action.ROUTE_CREATE)
def route_create(request: HtmxHttpRequest) -> HttpResponse:
    form = RouteCreateForm(request.POST)
    return _act(
        request,
        lambda: services.route_create(
            actor=request.user,
            pool_id=form.data.get("poolId", ""),
            vps_id=form.data.get("vpsId", ""),
            prefix_length=form.prefix_length(),
            prefix=form.data.get("prefix", ""),
            label=form.data.get("label", ""),
            client_ip=client_ip(request),
            **_why(form),
        ),
        form,
    )


@require_POST
@permission_required_audited(roles.DELETE_ROUTE, action=Action.ROUTE_DELETE)
def route_delete(request: HtmxHttpRequest, route_id: str) -> HttpResponse:
    return _confirmed(request, services.route_delete, route_id=route_id)


@require_POST
@permission_required_audited(roles.ALLOCATE_POOL, action=Action.POOL_ALLOCATE)
def pool_allocate(request: HtmxHttpRequest) -> HttpResponse:
    form = PoolAllocateForm(request.POST)
    return _act(
        request,
        lambda: services.pool_allocate(actor=request.user, client_ip=client_ip(request), **_why(form)),
        form,
    )


@require_POST
@permission_required_audited(roles.RELEASE_POOL, action=Action.POOL_RELEASE)
def pool_release(request: HtmxHttpRequest, pool_id: str) -> HttpResponse:
    return _confirmed(request, services.pool_release, pool_id=pool_id)


def _confirmed(request: HtmxHttpRequest, write: Callable[..., services.AccountWriteResult], **target: str):
    """A delete or release: what goes away is typed to confirm, and the form shows on its own row."""
    form = ConfirmedForm(request.POST)
    (about,) = target.values()
    return _act(
        request,
        lambda: write(
            actor=request.user,
            confirm=form.data.get("confirm", ""),
            client_ip=client_ip(request),
            **target,
            **_why(form),
        ),
        form,
        about=about,
    )

"""Account routes: route a child of a /48 pool to a VPS, delete a route, allocate and release the pool.

Each write checks its request here and goes through writes.run_account_write: one account write at
a time, audit intent before the call and outcome after, refusals audited.
"""

from __future__ import annotations

import re
from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser

from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.clients import INTERACTIVE_RETRY_WAIT_S, hostup_client
from hostup_dash.core.errors import Refusal
from hostup_dash.core.reasons import ChangeReason, reason_refusal
from hostup_dash.hostup import FieldError, HostupClient, Reply, is_valid_vps_id
from hostup_dash.hostup.account_routes import (
    POOL_ID_PATTERN,
    ROUTE_ID_PATTERN,
    AccountRoutes,
    Gate,
    parse_route_prefix,
    route_input_errors,
)
from hostup_dash.inventory.models import VpsSnapshot

from .page import NOT_ALLOWED
from .usage import next_free, overlapping_route
from .writes import AccountWrite, AccountWriteResult, run_account_write, snapshot_routes_store

Action = AuditRecord.Action
Listed = TypeVar("Listed")

NOT_ALLOWED_NOW = "not_allowed_now"
NOT_CONFIRMED = "not_confirmed"
GONE = "The page is out of date: HostUp no longer lists this {what}. Reload the page."


def account_routes_read(*, user: AbstractBaseUser) -> AccountRoutes:
    """The account's pools, routes, destinations and gates, live from HostUp; the snapshot's routes per VPS
    follow. Raises HostupError."""
    client = hostup_client(actor=user.get_username(), max_retry_wait=INTERACTIVE_RETRY_WAIT_S, interactive=True)
    try:
        state = client.get_account_routes()
    finally:
        client.close()
    snapshot_routes_store(state)
    return state


def route_create(
    *,
    actor: AbstractBaseUser,
    pool_id: str,
    vps_id: str,
    prefix_length: int,
    prefix: str = "",
    label: str = "",
    client_ip: str | None = None,
    reason: str = "",
    ticket: str = "",
) -> AccountWriteResult:
    """Route a child of a pool to an eligible VPS; without `prefix` HostUp takes the first free one.
    Raises Refusal (nothing sent; field errors in words) or HostupError."""
    prefix, label = prefix.strip(), label.strip()
    asked = {"poolId": pool_id, "vpsId": vps_id, "prefixLength": prefix_length}
    body = {
        "action": "create_route",
        **asked,
        **({"prefix": prefix} if prefix else {}),
        **({"label": label} if label else {}),
    }
    errors = list(route_input_errors(prefix_length=prefix_length, prefix=prefix or None, label=label or None))
    if not POOL_ID_PATTERN.fullmatch(pool_id):
        errors.insert(0, FieldError(pointer="/poolId", detail="Choose one of the account's pools.", code="invalid"))
    if not is_valid_vps_id(vps_id):
        errors.insert(0, FieldError(pointer="/vpsId", detail="Choose a VPS from the list.", code="invalid"))
    network = parse_route_prefix(prefix, prefix_length)[0] if prefix and not errors else None

    def concerns(state: AccountRoutes) -> tuple[str, str]:
        """The destination's name as HostUp gives it (else the snapshot's), for the audit record."""
        if not is_valid_vps_id(vps_id):
            return "", ""
        destination = state.destination(vps_id)
        return vps_id, (destination.vps_name if destination else None) or _vps_name(vps_id)

    def plan(state: AccountRoutes) -> AccountWrite:
        pool, destination = state.pool(pool_id), state.destination(vps_id)
        name = concerns(state)[1]
        found = []
        gate = destination.can_receive_route if destination else None
        if destination is None:
            found.append(FieldError(pointer="/vpsId", detail=GONE.format(what="VPS"), code="not_found"))
        elif gate is not None and not gate.allowed:
            detail = f"{name} cannot receive a route: {gate.reason or NOT_ALLOWED}"
            found.append(FieldError(pointer="/vpsId", detail=detail, code="not_eligible"))
        parent = pool.network if pool else None
        if pool is None:
            found.append(FieldError(pointer="/poolId", detail=GONE.format(what="pool"), code="not_found"))
        elif network is not None and parent is not None and not network.subnet_of(parent):
            found.append(
                FieldError(pointer="/prefix", detail=f"{network} lies outside the pool {parent}.", code="outside")
            )
        elif network is not None and (clash := overlapping_route(pool, network)) is not None:
            whose = clash.vps_name or clash.vps_id or "a VPS"
            detail = f"{network} overlaps the route {clash.prefix} to {whose}."
            found.append(FieldError(pointer="/prefix", detail=detail, code="overlaps"))
        elif network is None and parent is not None and next_free(pool, prefix_length) is None:
            detail = f"The pool {parent} has no free /{prefix_length} left."
            found.append(FieldError(pointer="/prefixLength", detail=detail, code="exhausted"))
        if found:
            raise reason_refusal(tuple(found), code=NOT_ALLOWED_NOW)
        known = {route.id for route in pool.routes} if pool else set()

        def send(client: HostupClient) -> tuple[Reply[AccountRoutes | None], str, str]:
            reply = client.create_account_route(
                pool_id=pool_id, vps_id=vps_id, prefix_length=prefix_length, prefix=prefix or None, label=label or None
            )
            new = [
                route
                for each in reply.value.pools
                if each.id == pool_id
                for route in each.routes
                if route.id not in known
            ]
            routed = new[0].prefix if new else str(network or "")
            return reply, f"Routed {routed or 'a prefix'} to {name}.", routed

        return AccountWrite(vps_id=vps_id, vps_name=name, body=body, send=send)

    return run_account_write(
        actor=actor,
        action=Action.ROUTE_CREATE,
        client_ip=client_ip,
        change=ChangeReason.of(reason, ticket),
        confirmed_write=False,
        body=body,
        input_errors=tuple(errors),
        plan=plan,
        vps_id=vps_id if is_valid_vps_id(vps_id) else "",
        vps_name=_vps_name(vps_id) if is_valid_vps_id(vps_id) else "",
        concerns=concerns,
    )


def route_delete(
    *, actor: AbstractBaseUser, route_id: str, confirm: str, reason: str, ticket: str = "", client_ip: str | None = None
) -> AccountWriteResult:
    """Delete a route, confirmed by typing its prefix; the prefix is free at once. Raises Refusal or HostupError."""
    body = {"routeId": route_id}

    def concerns(state: AccountRoutes) -> tuple[str, str]:
        """The VPS the route points at, for the audit record; a refusal knows it only from the state."""
        route = state.route(route_id)
        if route is None or not route.vps_id:
            return "", ""
        return route.vps_id, route.vps_name or _vps_name(route.vps_id)

    def plan(state: AccountRoutes) -> AccountWrite:
        route = _listed(state.route(route_id), "route")
        _gate_check(route.can_delete, title="HostUp does not allow deleting this route")
        _confirmation_check(confirm, route.prefix, what="route's prefix")

        def send(client: HostupClient) -> tuple[Reply[AccountRoutes | None], str, str]:
            reply = client.delete_account_route(route_id)
            return reply, f"Deleted the route {route.prefix}.", route.prefix

        vps_id, name = concerns(state)
        return AccountWrite(vps_id=vps_id, vps_name=name, body=body | {"prefix": route.prefix}, send=send)

    return run_account_write(
        actor=actor,
        action=Action.ROUTE_DELETE,
        client_ip=client_ip,
        change=ChangeReason.of(reason, ticket),
        confirmed_write=True,
        body=body,
        input_errors=_id_errors(route_id, ROUTE_ID_PATTERN, "route"),
        plan=plan,
        concerns=concerns,
    )


def pool_allocate(
    *, actor: AbstractBaseUser, client_ip: str | None = None, reason: str = "", ticket: str = ""
) -> AccountWriteResult:
    """Allocate the account's routed /48, only while HostUp's gate allows it. Raises Refusal or HostupError."""
    body = {"action": "allocate_pool"}

    def plan(state: AccountRoutes) -> AccountWrite:
        gate = state.can_allocate_pool
        if gate is None and state.pools:  # HostUp sent no gate: it gives an account a pool only while it has none
            gate = Gate(allowed=False, reason="The account already holds a pool.", code=None)
        _gate_check(gate, title="HostUp does not allow a new pool now")
        known = {pool.id for pool in state.pools}

        def send(client: HostupClient) -> tuple[Reply[AccountRoutes | None], str, str]:
            reply = client.allocate_account_pool()
            new = [pool.parent_cidr or pool.id for pool in reply.value.pools if pool.id not in known]
            cidr = new[0] if new else ""
            return reply, f"Allocated the pool {cidr or '(not listed yet)'}.", cidr

        return AccountWrite(vps_id="", vps_name="", body=body, send=send)

    return run_account_write(
        actor=actor,
        action=Action.POOL_ALLOCATE,
        client_ip=client_ip,
        change=ChangeReason.of(reason, ticket),
        confirmed_write=False,
        body=body,
        input_errors=(),
        plan=plan,
    )


def pool_release(
    *, actor: AbstractBaseUser, pool_id: str, confirm: str, reason: str, ticket: str = "", client_ip: str | None = None
) -> AccountWriteResult:
    """Release a pool with no routes, confirmed by typing its /48; a cooldown follows. Raises Refusal or HostupError."""
    body = {"poolId": pool_id}

    def plan(state: AccountRoutes) -> AccountWrite:
        pool = _listed(state.pool(pool_id), "pool")
        if pool.routes:
            count = len(pool.routes)
            words = f"The pool still has {count} route{'s' if count != 1 else ''}: delete them first."
            raise Refusal(code=NOT_ALLOWED_NOW, title="The pool is in use", detail=words, status=409)
        cidr = pool.parent_cidr or pool.id
        _confirmation_check(confirm, cidr, what="pool's /48")

        def send(client: HostupClient) -> tuple[Reply[AccountRoutes | None], str, str]:
            reply = client.release_account_pool(pool_id)
            until = reply.value.cooldown_until
            after = f" A new pool can be allocated after {until:%Y-%m-%d %H:%M} UTC." if until else ""
            return Reply(None, reply.status, reply.request_id), f"Released the pool {cidr}.{after}", cidr

        return AccountWrite(vps_id="", vps_name="", body=body | {"prefix": cidr}, send=send)

    return run_account_write(
        actor=actor,
        action=Action.POOL_RELEASE,
        client_ip=client_ip,
        change=ChangeReason.of(reason, ticket),
        confirmed_write=True,
        body=body,
        input_errors=_id_errors(pool_id, POOL_ID_PATTERN, "pool"),
        plan=plan,
    )


def _gate_check(gate: Gate | None, *, title: str) -> None:
    """Refuses what HostUp's gate says is not allowed now, in its words; no gate: HostUp did not say."""
    if gate is not None and not gate.allowed:
        raise Refusal(code=NOT_ALLOWED_NOW, title=title, detail=gate.reason or NOT_ALLOWED, status=409)


def _gone(what: str) -> FieldError:
    return FieldError(pointer=f"/{what}Id", detail=GONE.format(what=what), code="not_found")


def _id_errors(value: str, pattern: re.Pattern[str], what: str) -> tuple[FieldError, ...]:
    """An id from the page's URL that is not of HostUp's form was never one of its listing."""
    return () if pattern.fullmatch(value) else (_gone(what),)


def _listed(found: Listed | None, what: str) -> Listed:
    """The route or pool HostUp still lists; refused as out of date when it no longer does."""
    if found is None:
        raise reason_refusal((_gone(what),), code=NOT_ALLOWED_NOW)
    return found


def _confirmation_check(typed: str, expected: str, *, what: str) -> None:
    if typed.strip() != expected:
        detail = f"Type the {what}, {expected}, exactly, to confirm."
        raise reason_refusal((FieldError(pointer="/confirm", detail=detail, code="not_confirmed"),), code=NOT_CONFIRMED)


def _vps_name(vps_id: str) -> str:
    return VpsSnapshot.objects.filter(vps_id=vps_id).values_list("name", flat=True).first() or ""

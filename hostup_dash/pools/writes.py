"""The one path of every account-route write: checks, the account lock, intent, the write, outcome.

Check what needs no state, take the account's advisory lock (one account write at a time, across
hosts), read the account state, check the request against it (`plan`), commit an audit intent, make
the one write, then record the outcome together with the routes per VPS in the snapshot. Nothing runs
inside `atomic()` around a HostUp call: the intent must be committed before the write leaves.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q

from hostup_dash.audit import services as audit
from hostup_dash.audit.models import AuditRecord
from hostup_dash.audit.outcome_log import action_outcome_log
from hostup_dash.core.clients import INTERACTIVE_RETRY_WAIT_S, hostup_client
from hostup_dash.core.errors import Refusal
from hostup_dash.core.locks import advisory_lock
from hostup_dash.core.problems import SERVICE_UNAVAILABLE, problem_status
from hostup_dash.core.reasons import ChangeReason, reason_errors, reason_refusal, reason_required
from hostup_dash.hostup import FieldError, HostupClient, HostupError, Reply
from hostup_dash.hostup.account_routes import AccountRoutes
from hostup_dash.inventory.models import VpsSnapshot

Outcome = AuditRecord.Outcome

ACCOUNT_LOCK = "account-routes"
ACCOUNT_BUSY = "account_busy"
ACCOUNT_BUSY_DETAIL = "Another change to the account's routes is still running. Wait for it to finish, then try again."
INVALID_INPUT = "invalid_input"
NOT_SENT = "Nothing was sent: the account's routed IPv6 could not be read first."


class NotSent(HostupError):
    """HostUp's failure on the state read before a write. The write never left, so its outcome is known
    (nothing happened) whatever the read's own failure (a timeout, a 502) would say of a write."""

    @classmethod
    def of(cls, read: HostupError) -> NotSent:
        return cls(
            code=read.code,
            title=read.title,
            detail=f"{NOT_SENT} {read.detail}".strip(),
            status=read.status,
            request_id=read.request_id,
            retry_after=read.retry_after,
            required_scopes=read.required_scopes,
        )

    @property
    def is_outcome_unknown(self) -> bool:
        return False


@dataclass(frozen=True)
class AccountWriteResult:
    """What a write did: its outcome record, a sentence for the user, and the account after it if known."""

    record: AuditRecord
    message: str
    state: AccountRoutes | None


# The VPS (id, name) a write concerns as the account state shows it, for a refusal after the read; "" if none.
Concerns = Callable[[AccountRoutes], tuple[str, str]]

# A write's HostUp call: its reply (the state after, when it says), a sentence, and the prefix it concerned.
Send = Callable[[HostupClient], tuple[Reply[AccountRoutes | None], str, str]]


@dataclass(frozen=True)
class AccountWrite:
    """A write checked against the account state: what it concerns, what it sends, and how."""

    vps_id: str
    vps_name: str
    body: dict[str, Any]
    send: Send


def snapshot_routes_store(state: AccountRoutes) -> None:
    """Put the account routes on the VPS rows at once, as the next inventory pass would (list column, search)."""
    by_vps: dict[str, list[dict[str, str]]] = defaultdict(list)
    for route in (route for pool in state.pools for route in pool.routes if route.vps_id):
        by_vps[route.vps_id or ""].append(
            {"id": route.id, "prefix": route.prefix, "next_hop": route.next_hop or "", "label": route.label or ""}
        )
    changed = []
    for row in VpsSnapshot.objects.filter(Q(vps_id__in=by_vps) | ~Q(account_route_prefixes="")):
        routes = by_vps.get(row.vps_id, [])
        if row.account_routes != routes:
            row.account_routes, row.account_route_prefixes = routes, " ".join(route["prefix"] for route in routes)
            changed.append(row)
    VpsSnapshot.objects.bulk_update(changed, ["account_routes", "account_route_prefixes"])


def run_account_write(
    *,
    actor: AbstractBaseUser,
    action: str,
    client_ip: str | None,
    change: ChangeReason,
    confirmed_write: bool,  # a delete or release: a reason is always required
    body: dict[str, Any],
    input_errors: tuple[FieldError, ...],
    plan: Callable[[AccountRoutes], AccountWrite],
    vps_id: str = "",
    vps_name: str = "",  # from the snapshot: an input refusal comes before the account is read
    concerns: Concerns | None = None,
) -> AccountWriteResult:
    why = {"reason": change.reason, "ticket": change.ticket}
    refusal = {"actor": actor, "action": action, "request_body": body, "client_ip": client_ip, **why}
    refusal |= {"vps_id": vps_id, "vps_name": vps_name}
    errors = (*input_errors, *reason_errors(change, required=reason_required(always=confirmed_write)))
    if errors:
        _refuse(refusal, reason_refusal(errors, code=INVALID_INPUT))

    with advisory_lock(ACCOUNT_LOCK) as acquired:
        if not acquired:
            _refuse(
                refusal, Refusal(code=ACCOUNT_BUSY, title="The account is busy", detail=ACCOUNT_BUSY_DETAIL, status=409)
            )
        try:  # a click holds one of the process's slots for waiting on HostUp
            client = hostup_client(
                actor=actor.get_username(), max_retry_wait=INTERACTIVE_RETRY_WAIT_S, interactive=True
            )
        except HostupError as slow:  # nothing is sent, so the attempt is a refusal, not an intent
            _refuse(refusal, Refusal(code=slow.code, title=slow.title, detail=slow.detail, status=SERVICE_UNAVAILABLE))
        try:
            write = _planned(client, plan, refusal, concerns)
            intent = audit.audit_intent_record(
                actor=actor,
                action=action,
                vps_id=write.vps_id,
                vps_name=write.vps_name,
                request_body=write.body,
                client_ip=client_ip,
                **why,
            )
            started = time.monotonic()
            try:
                reply, message, prefix = write.send(client)
            except HostupError as problem:
                outcome = Outcome.UNKNOWN if problem.is_outcome_unknown else Outcome.FAILED
                record = audit.audit_outcome_record(
                    intent=intent,
                    outcome=outcome,
                    duration_ms=round((time.monotonic() - started) * 1000),
                    problem=problem,
                )
                action_outcome_log(record)
                raise
        finally:
            client.close()
        duration_ms = round((time.monotonic() - started) * 1000)
        # The routes first: the outcome's append holds the audit chain's lock until the commit.
        with transaction.atomic():
            if reply.value is not None:
                snapshot_routes_store(reply.value)
            record = audit.audit_outcome_record(
                intent=intent,
                outcome=Outcome.SUCCEEDED,
                duration_ms=duration_ms,
                http_status=reply.status,
                hostup_request_id=reply.request_id,
                result_prefix=prefix,
            )
        action_outcome_log(record)
    return AccountWriteResult(record=record, message=message, state=reply.value)


def _planned(
    client: HostupClient,
    plan: Callable[[AccountRoutes], AccountWrite],
    refusal: dict[str, Any],
    concerns: Concerns | None,
) -> AccountWrite:
    """Read the account state and check the write against it; an unreadable state or a failed check is a refusal.
    Raises Refusal, or NotSent when the read failed."""
    try:
        state = client.get_account_routes()
    except HostupError as problem:
        words = " — ".join(part for part in (problem.title, problem.detail) if part)
        audit.audit_refusal_record(
            **refusal,
            problem=Refusal(code=problem.code, title=NOT_SENT, detail=words, status=problem_status(problem)),
        )
        raise NotSent.of(problem) from problem
    try:
        return plan(state)
    except Refusal as problem:
        vps_id, vps_name = concerns(state) if concerns else ("", "")
        if vps_id:  # known only from the state, e.g. a route's destination
            refusal = refusal | {"vps_id": vps_id, "vps_name": vps_name}
        audit.audit_refusal_record(**refusal, problem=problem)
        raise


def _refuse(refusal: dict[str, Any], problem: Refusal) -> NoReturn:
    audit.audit_refusal_record(**refusal, problem=problem)
    raise problem

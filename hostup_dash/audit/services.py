"""Appending audit records. Called only by other services (and the auth signal handlers).

Every append commits on its own, unless the caller holds a transaction open (an
action's outcome commits with the snapshot state it produced): an intent is durable
before HostUp is called, so a timeout or a killed worker still leaves it (outcome
unknown). Appends are serialised by a transaction-level advisory lock, so the hash
chain stays a single line however many workers write at once.
"""

from __future__ import annotations

import math
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, transaction

from hostup_dash.accounts.roles import user_role
from hostup_dash.core.errors import Refusal
from hostup_dash.core.locks import lock_key
from hostup_dash.hostup import HostupError

from .models import GENESIS_HASH, AuditRecord

Outcome = AuditRecord.Outcome
CHAIN_LOCK = "audit-chain-head"
# The actor named for account changes a command makes (no user is logged in).
SYSTEM_ACTOR = "system"
# Two statements in one round trip (Django's client-side binding sends them as one simple
# query). Each statement reads its own snapshot, so the head is read after the lock is held;
# one SELECT doing both would read it from before the wait and fork the chain. The time comes
# from the database, under the lock, so ids and times rise together whichever web host
# appends (the date filters rely on it).
CHAIN_HEAD_SQL = (
    "SELECT pg_advisory_xact_lock(%s); "
    f"SELECT clock_timestamp(), (SELECT hash FROM {AuditRecord._meta.db_table} ORDER BY id DESC LIMIT 1)"
)


def _storable(value: Any) -> Any:
    """The value as PostgreSQL can store it and JSON can hash it: NUL characters and lone
    surrogates replaced, non-finite numbers dropped. An attempt carrying them must still
    be recorded, not lost in an error after HostUp has already acted."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    return value


def _fitted(name: str, value: Any) -> Any:
    """Cut text to its column's length (HostUp sets no limit on ids, codes or names)."""
    max_length = AuditRecord._meta.get_field(name).max_length if name != "intent" else None
    return value[:max_length] if max_length and isinstance(value, str) else value


def audit_append(**fields: Any) -> AuditRecord:
    """Insert one record at the head of the hash chain; commit it, or leave that to the caller's transaction."""
    fields = {name: value if name == "intent" else _fitted(name, _storable(value)) for name, value in fields.items()}
    # No savepoint inside a caller's transaction: a failed append fails the whole of it.
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            # The lock is released at commit: the next writer reads this record's hash as its prev_hash.
            cursor.execute(CHAIN_HEAD_SQL, [lock_key(CHAIN_LOCK)])
            cursor.nextset()
            created_at, head = cursor.fetchone()
        record = AuditRecord(**fields, created_at=created_at, prev_hash=head or GENESIS_HASH)
        record.hash = record.compute_hash()
        record.save(force_insert=True)
    return record


def _actor_fields(actor: AbstractBaseUser | AnonymousUser) -> dict[str, Any]:
    return {
        "actor_id": actor.pk if actor.is_authenticated else None,
        "actor_name": actor.get_username() if actor.is_authenticated else "anonymous",
        "actor_role": user_role(actor),
    }


def _problem_fields(problem: HostupError | Refusal) -> dict[str, Any]:
    """A problem's columns. A refusal never reached HostUp, so it has no HTTP status or request id."""
    hostup = problem if isinstance(problem, HostupError) else None
    return {
        "http_status": hostup.status if hostup else None,
        "problem_code": problem.code,
        # HostUp's detail often repeats its title ("Too many requests" / "Too many requests.").
        "problem_detail": problem.title
        if problem.detail.rstrip(".") == problem.title
        else " — ".join(part for part in [problem.title, problem.detail] if part),
        "problem": {
            "status": problem.status,  # a refusal's is the dashboard's own answer
            "code": problem.code,
            "title": problem.title,
            "detail": problem.detail,
            "errors": [{"pointer": e.pointer, "detail": e.detail, "code": e.code} for e in problem.errors],
            "requestId": hostup.request_id if hostup else None,
            # Whole seconds: a float could come back from jsonb written differently and break the hash.
            "retryAfter": round(hostup.retry_after)
            if hostup and hostup.retry_after is not None and math.isfinite(hostup.retry_after)
            else None,
        },
        "hostup_request_id": (hostup.request_id if hostup else None) or "",
    }


def audit_intent_record(
    *,
    actor: AbstractBaseUser,
    action: str,
    vps_id: str,
    vps_name: str,
    request_body: dict[str, Any],
    client_ip: str | None,
    bulk_run_id: int | None = None,
    reason: str = "",
    ticket: str = "",
    change_request_id: int | None = None,
) -> AuditRecord:
    """Record that an action is about to be sent upstream; its outcome follows as its own record."""
    return audit_append(
        **_actor_fields(actor),
        action=action,
        vps_id=vps_id,
        vps_name=vps_name,
        request_body=request_body,
        client_ip=client_ip or "",
        outcome=Outcome.PENDING,
        bulk_run_id=bulk_run_id,
        reason=reason,
        ticket=ticket,
        change_request_id=change_request_id,
    )


def audit_outcome_record(
    *,
    intent: AuditRecord,
    outcome: str,
    duration_ms: int,
    http_status: int | None = None,
    problem: HostupError | None = None,
    hostup_request_id: str | None = None,
    result_prefix: str = "",
    result_next_hop: str = "",
) -> AuditRecord:
    """Append an action's outcome, copying the intent's who/what and why (reason, ticket, change
    request) so each record reads on its own."""
    copied = {
        name: getattr(intent, name)
        for name in (
            "actor_id",
            "actor_name",
            "actor_role",
            "client_ip",
            "vps_id",
            "vps_name",
            "action",
            "request_body",
            "bulk_run_id",
            "reason",
            "ticket",
            "change_request_id",
        )
    }
    result = (
        _problem_fields(problem)
        if problem
        else {"http_status": http_status, "hostup_request_id": hostup_request_id or ""}
    )
    return audit_append(
        **copied,
        **result,
        intent=intent,
        outcome=outcome,
        duration_ms=duration_ms,
        result_prefix=result_prefix,
        result_next_hop=result_next_hop,
    )


def audit_follow_up_record(*, intent: AuditRecord, actor_name: str, action: str, **fields: Any) -> AuditRecord:
    """A record a worker appends about an intent after the fact (a state check, HostUp's own log), no user acting."""
    return audit_append(
        actor_id=None,
        actor_name=actor_name,
        actor_role="",
        vps_id=intent.vps_id,
        vps_name=intent.vps_name,
        action=action,
        intent=intent,
        **fields,
    )


def audit_refusal_record(
    *,
    actor: AbstractBaseUser | AnonymousUser,
    action: str,
    vps_id: str = "",
    vps_name: str = "",
    request_body: dict[str, Any] | None = None,
    client_ip: str | None,
    problem: Refusal,
    bulk_run_id: int | None = None,
    reason: str = "",
    ticket: str = "",
    change_request_id: int | None = None,
) -> AuditRecord:
    """Record an attempt refused before reaching HostUp (permission, busy VPS, bad input)."""
    fields = _problem_fields(problem)
    return audit_append(
        **_actor_fields(actor),
        **fields,
        action=action,
        vps_id=vps_id,
        vps_name=vps_name,
        request_body=request_body or {},
        client_ip=client_ip or "",
        outcome=Outcome.REFUSED,
        duration_ms=0,
        bulk_run_id=bulk_run_id,
        reason=reason,
        ticket=ticket,
        change_request_id=change_request_id,
    )


def audit_change_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    change_request_id: int | None,
    vps_id: str,
    vps_name: str,
    request_body: dict[str, Any],
    client_ip: str | None,
    reason: str = "",
    ticket: str = "",
    outcome: str = Outcome.SUCCEEDED,
    problem: HostupError | Refusal | None = None,
) -> AuditRecord:
    """Record a step of change control: a change request's transition, or an emergency change.
    `actor` None is the system (the worker expiring a request)."""
    fields = _actor_fields(actor) if actor is not None else {"actor_id": None, "actor_name": SYSTEM_ACTOR}
    return audit_append(
        **fields,
        **(_problem_fields(problem) if problem else {}),
        action=action,
        change_request_id=change_request_id,
        vps_id=vps_id,
        vps_name=vps_name,
        request_body=request_body,
        client_ip=client_ip or "",
        reason=reason,
        ticket=ticket,
        outcome=outcome,
    )


def audit_auth_record(
    *,
    action: str,
    username: str,
    actor: AbstractBaseUser | None,
    client_ip: str | None,
    request_body: dict[str, Any] | None = None,
) -> AuditRecord:
    """Record a login, a failed or locked-out login, or a logout."""
    failed = action in (AuditRecord.Action.LOGIN_FAILED, AuditRecord.Action.LOGIN_LOCKED_OUT)
    fields = _actor_fields(actor) if actor is not None else {"actor_id": None, "actor_name": username, "actor_role": ""}
    return audit_append(
        **fields,
        action=action,
        client_ip=client_ip or "",
        request_body=request_body or {},
        outcome=Outcome.FAILED if failed else Outcome.SUCCEEDED,
    )


EXPORT_ABANDONED = "The client stopped reading before the end: it holds part of the export at most."
EXPORT_FAILED = "The export stopped on an error: the file is incomplete."
# The problem an unfinished export's outcome record carries, by outcome.
EXPORT_PROBLEMS = {
    Outcome.UNKNOWN: ("export_abandoned", EXPORT_ABANDONED),
    Outcome.FAILED: ("export_failed", EXPORT_FAILED),
}


def audit_export_record(
    *, actor: AbstractBaseUser, filters: dict[str, Any], export_format: str, client_ip: str | None
) -> AuditRecord:
    """Record that someone is exporting the audit log, and which part; its outcome follows when the stream ends."""
    return audit_append(
        **_actor_fields(actor),
        action=AuditRecord.Action.EXPORT_AUDIT,
        request_body={"format": export_format, "filters": filters},
        client_ip=client_ip or "",
        outcome=Outcome.PENDING,
    )


def audit_export_outcome_record(
    *, intent: AuditRecord, outcome: str, rows: int | None, duration_ms: int
) -> AuditRecord:
    """Record how an export ended: succeeded with its row count, failed on an error, or unknown when the client left."""
    code, detail = EXPORT_PROBLEMS.get(outcome, ("", ""))
    return audit_append(
        **{name: getattr(intent, name) for name in ("actor_id", "actor_name", "actor_role", "client_ip", "action")},
        request_body=intent.request_body if rows is None else intent.request_body | {"rows": rows},
        intent=intent,
        outcome=outcome,
        duration_ms=duration_ms,
        problem_code=code,
        problem_detail=detail,
        problem={"code": code, "detail": detail} if code else {},
    )


def audit_account_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    username: str,
    via: str,
    client_ip: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> AuditRecord:
    """Record a change to a user account (created, role, flags, password set, deleted) made `via` the admin,
    a command or SSO. `actor` None is the system: a command run from a shell. `details` says more about
    the source (SSO: the issuer and the provider's sub)."""
    fields = _actor_fields(actor) if actor is not None else {"actor_id": None, "actor_name": SYSTEM_ACTOR}
    body = {
        "user": username,
        "via": via,
        **(details or {}),
        **({"before": before} if before else {}),
        **({"after": after} if after else {}),
    }
    return audit_append(
        **fields, action=action, client_ip=client_ip or "", request_body=body, outcome=Outcome.SUCCEEDED
    )

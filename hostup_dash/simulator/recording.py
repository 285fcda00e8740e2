"""One audit event per authenticated request the simulator answers (NOTES.md "Account audit log").

An event is written when handling ends ("Timing"), with `occurredAt` the moment the request
arrived, so a caller that timed out still finds its event, with the status produced. No key
or an unknown one (401): no event. The actor is the API key, by its public `key_…` id.
"""

import functools
import json
import random
import time
from dataclasses import dataclass
from datetime import datetime

from hostup_dash.simulator.config import SimulatorConfig
from hostup_dash.simulator.describe import Outcome, Target, describe, target_of
from hostup_dash.simulator.formats import iso, new_id, now
from hostup_dash.simulator.http import Reply
from hostup_dash.simulator.state import SimState

# Per configured key: the name its id is derived from, so the id is stable yet tells nothing of the secret.
KEY_NAMES = ("full_token", "read_token", "no_audit_token")
OTHER_KEY_NAME = "another script's key"


@dataclass(frozen=True)
class Actor:
    """Who made a request (NOTES.md's actor table)."""

    actor_type: str | None
    actor_id: str | None
    auth_method: str | None
    ip_address: str | None
    user_agent: str | None


def key_id(config: SimulatorConfig, key_name: str) -> str:
    """A key's public id, `key_` + 26: the same for the same seed and key, never derived from the secret."""
    return _key_id(config.seed, key_name)


@functools.cache  # asked on every request
def _key_id(seed: int, key_name: str) -> str:
    return new_id(random.Random(f"key-{seed}-{key_name}"), "key_")


def key_id_of_token(config: SimulatorConfig, token: str | None) -> str | None:
    """The id of the configured key sent as `token`; None for no key or an unknown one (no event then)."""
    for name in KEY_NAMES:
        if token and token == getattr(config, name):
            return key_id(config, name)
    return None


def request_event(
    *,
    event_id: str,
    occurred_at: datetime,
    duration_ms: int,
    target: Target,
    outcome: Outcome,
    actor: Actor,
    request_id: str | None,
) -> dict[str, object]:
    """One request_audit event, every field NOTES.md names."""
    described = describe(target, outcome)
    return {
        "id": event_id,
        "occurredAt": iso(occurred_at),
        "method": target.method,
        "endpoint": described.endpoint,
        "path": target.path,
        "ipAddress": actor.ip_address,
        "userAgent": actor.user_agent,
        "statusCode": outcome.status,
        "success": outcome.succeeded,
        "durationMs": duration_ms,
        "errorMessage": outcome.error,
        "authMethod": actor.auth_method,
        "resourcesAccessed": described.resources_accessed,
        "severity": "info" if outcome.status < 400 else "warning" if outcome.status < 500 else "error",
        "tags": [described.action],
        "eventSource": "request_audit",
        "actorType": actor.actor_type,
        "actorId": actor.actor_id,
        "requestId": request_id,
        "category": "security" if outcome.status == 403 else "api",
        "action": described.action,
        "summary": described.summary,
        "resourceLabel": described.resource_label,
        "changes": described.changes,
    }


def outcome_of(reply: Reply, *, is_write: bool) -> Outcome:
    """The status sent, with the JSON of a write's success or the detail of a problem (None where unreadable)."""
    if reply.status < 400 and not is_write:
        return Outcome(reply.status)  # a read changes nothing: its answer need not be read back
    try:
        body = json.loads(reply.body) if reply.body else None
    except ValueError:
        body = None
    if reply.status >= 400:
        detail = body.get("detail") if isinstance(body, dict) else None
        return Outcome(reply.status, error=str(detail) if detail is not None else None)
    return Outcome(reply.status, payload=body)


class PendingRequest:
    """A request being answered: opened when it arrives, written to the log once its reply exists."""

    def __init__(
        self,
        state: SimState,
        config: SimulatorConfig,
        *,
        method: str,
        path: str,
        body: bytes,
        token: str | None,
        client_ip: str,
        user_agent: str | None,
    ) -> None:
        self._log = state.events
        self._arrived_at = now()
        self._started = time.monotonic()
        key = key_id_of_token(config, token)
        # A request without a known key (401) leaves no event: nothing ties it to the account.
        self._actor = None if key is None else Actor("api", key, "api_key", client_ip, user_agent)
        # What it is about, seen as it arrives: a write's changes are told from this and its answer.
        self._target = None if key is None else target_of(state, config, method=method, path=path, body=body)

    def finish(self, reply: Reply) -> None:
        """Write the event with the status produced, whether or not the caller is still waiting."""
        if self._actor is None or self._target is None or reply.status == 401:
            return
        event = request_event(
            event_id=self._log.new_event_id(self._arrived_at),
            occurred_at=self._arrived_at,
            duration_ms=round((time.monotonic() - self._started) * 1000),
            target=self._target,
            outcome=outcome_of(reply, is_write=self._target.method != "GET"),
            actor=self._actor,
            request_id=reply.headers.get("X-Request-Id"),
        )
        self._log.add(event)

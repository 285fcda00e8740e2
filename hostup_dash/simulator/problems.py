"""RFC 7807 problems the simulator answers with (shapes from hostup-api/openapi.yaml, `Problem`)."""

from typing import TypedDict

ERROR_TYPE_BASE = "https://developer.hostup.se/errors/"

# Titles of HostUp's catalogue where we saw them; the routed-IPv6 codes and the
# 405/502/503 ones are our own wording (NOTES.md: only `code` is stable).
TITLES = {
    "invalid_request": "Validation failed",
    "invalid_cursor": "Validation failed",
    "unauthorized": "Unauthorized",
    "forbidden": "Forbidden",
    "not_found": "Not found",
    "vps_not_found": "VPS not found",
    "method_not_allowed": "Method not allowed",
    "vps_not_ready": "VPS not ready",
    "routed_ipv6_cooldown": "Routed IPv6 in cooldown",
    "routed_ipv6_not_allocated": "Routed IPv6 not allocated",
    "routed_ipv6_pool_exists": "Routed IPv6 pool exists",
    "routed_ipv6_pool_not_empty": "Routed IPv6 pool has routes",
    "routed_ipv6_pool_exhausted": "Routed IPv6 pool exhausted",
    "routed_ipv6_prefix_in_use": "Routed IPv6 prefix in use",
    "routed_ipv6_destination_not_eligible": "Destination not eligible",
    "routed_ipv6_route_not_deletable": "Route cannot be deleted",
    "rate_limit_exceeded": "Too many requests",
    "internal_error": "Internal server error",
    "bad_gateway": "Bad gateway",
    "service_unavailable": "Service unavailable",
}


class FieldError(TypedDict):
    pointer: str
    detail: str
    code: str


class ApiProblem(Exception):
    """An error answer; raised anywhere in the simulator and rendered once by the server."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        extensions: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.extensions = extensions or {}
        self.headers = headers or {}


def invalid_request(errors: list[FieldError]) -> ApiProblem:
    """A 400 whose `errors[]` points at each rejected field."""
    return ApiProblem(400, "invalid_request", "The request failed validation.", errors=errors)


def field_error(pointer: str, detail: str, code: str) -> FieldError:
    return {"pointer": pointer, "detail": detail, "code": code}


def problem_body(problem: ApiProblem, *, instance: str, request_id: str, timestamp: str) -> dict[str, object]:
    """The problem document: always all eight members, `errors` only for invalid_request."""
    body: dict[str, object] = {
        "type": ERROR_TYPE_BASE + problem.code,
        "title": TITLES[problem.code],
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
        "instance": instance,
        "requestId": request_id,
        "timestamp": timestamp,
        "extensions": problem.extensions,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    return body

"""Small request helpers."""

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from, as the audit log records it."""
    return request.META.get("REMOTE_ADDR") or None

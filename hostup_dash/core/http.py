"""Small request helpers."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from, as the audit log and login throttling see it.

    Behind our reverse proxy (BEHIND_PROXY), the last X-Forwarded-For entry is the one the
    proxy itself added; earlier entries come from the client and can be forged.
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None

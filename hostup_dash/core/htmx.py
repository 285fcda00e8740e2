"""htmx helpers shared by the views."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """An HttpRequest that went through HtmxMiddleware (for type hints)."""

    htmx: HtmxDetails


def is_partial(request: HtmxHttpRequest) -> bool:
    """Render only a fragment: an htmx request that is not a boosted page load."""
    return bool(request.htmx) and not request.htmx.boosted

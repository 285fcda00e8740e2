"""Views every app shares: the 500 handler."""

from django.http import HttpRequest, HttpResponseServerError
from django.template import loader


def server_error(request: HttpRequest) -> HttpResponseServerError:
    """Django's 500 page, but only its message for htmx, which swaps error answers into the page."""
    template = "_server_error.html" if request.headers.get("HX-Request") == "true" else "500.html"
    # No request context: nothing that could fail a second time.
    return HttpResponseServerError(loader.get_template(template).render())

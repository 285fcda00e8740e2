"""Endpoints for machines: the load balancer's health check."""

from datetime import datetime

from django.db import DatabaseError
from django.db.models import Max
from django.http import HttpRequest, HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils import timezone
from django.views.decorators.http import require_GET

from hostup_dash.inventory.models import SyncRun, VpsSnapshot


def _age_s(moment: datetime | None) -> float | None:
    return None if moment is None else round((timezone.now() - moment).total_seconds(), 1)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database reachable, age of the last inventory sync, when HostUp last answered. No secrets, no login."""
    try:
        last_sync = (
            SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).values_list("finished_at", flat=True).first()
        )
        # Every routed-IPv6 state stored came from a HostUp answer: the newest one says when it last answered.
        last_answer = VpsSnapshot.objects.aggregate(latest=Max("state_checked_at"))["latest"]
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    newest = max((moment for moment in (last_sync, last_answer) if moment), default=None)
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "inventory_sync_age_s": _age_s(last_sync),
            "hostup_last_answer_age_s": _age_s(newest),
        }
    )


def server_error(request: HttpRequest) -> HttpResponseServerError:
    """Django's 500 page, but only its message for htmx, which swaps error answers into the page."""
    template = "_server_error.html" if request.headers.get("HX-Request") == "true" else "500.html"
    # No request context: nothing that could fail a second time.
    return HttpResponseServerError(loader.get_template(template).render())

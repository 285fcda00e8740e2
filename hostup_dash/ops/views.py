"""Endpoints for machines: the load balancer's health check and Prometheus' scrape."""

from datetime import datetime

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4

from hostup_dash.core import jobs
from hostup_dash.inventory import selectors as inventory

from . import metrics as prometheus


def _age_s(moment: datetime | None) -> float | None:
    return None if moment is None else round((timezone.now() - moment).total_seconds(), 1)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database reachable, age of the last inventory sync, when HostUp last answered, the worker's last
    heartbeat and the stalest routed-IPv6 state. No secrets, no login."""
    try:
        last_sync = inventory.last_sync_finished_at()
        last_answer = inventory.newest_state_checked_at()
        oldest_state = inventory.oldest_state_checked_at()
        never_read = inventory.states_never_read()
        heartbeat = jobs.worker_last_heartbeat()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    # A successful sync is a HostUp answer too, and may be newer than every stored state.
    newest = max((moment for moment in (last_sync, last_answer) if moment), default=None)
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "inventory_sync_age_s": _age_s(last_sync),
            "hostup_last_answer_age_s": _age_s(newest),
            "worker_heartbeat_age_s": _age_s(heartbeat),
            "oldest_state_age_s": _age_s(oldest_state),
            "states_never_read": never_read,
        }
    )


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format, only for `Authorization: Bearer <METRICS_TOKEN>`.

    Without the token, or with no token configured, the answer is the 404 of a URL that does not
    exist: whoever does not hold the token cannot even tell the endpoint is there.
    """
    if not prometheus.token_matches(request.headers.get("Authorization", ""), settings.METRICS_TOKEN):
        raise Http404
    try:
        body = prometheus.exposition()
    except DatabaseError:
        return HttpResponse("database unreachable\n", status=503, content_type="text/plain")
    # 0.0.4, which every Prometheus reads (our names need none of 1.0.0's UTF-8 escaping).
    return HttpResponse(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)

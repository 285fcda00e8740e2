"""The HostUp calls this process made, as Prometheus metrics (ops serves them at /metrics).

With PROMETHEUS_MULTIPROC_DIR set (make serve, make worker, bin/run-dev), prometheus-client
keeps these values in files there, so one scrape adds up every process of the host.
"""

from prometheus_client import Counter, Gauge, Histogram

from hostup_dash.hostup.client import HostupCall

HOSTUP_CALLS = Counter(
    "hostup_dash_hostup_calls",
    "HTTP exchanges with HostUp, retries included, by endpoint and HTTP status (the client's code if no answer came).",
    ["method", "endpoint", "status"],
)
HOSTUP_CALL_SECONDS = Histogram(
    "hostup_dash_hostup_call_duration_seconds",
    "Time from sending a request to HostUp to its answer or failure.",
    ["method", "endpoint"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
HOSTUP_RATE_LIMITED = Counter("hostup_dash_hostup_rate_limited", "Answers from HostUp that were 429 Too Many Requests.")
# The newest value any process saw, not a sum: every process reads the same account-wide window.
HOSTUP_RATE_LIMIT_REMAINING = Gauge(
    "hostup_dash_hostup_rate_limit_remaining",
    "X-RateLimit-Remaining of HostUp's newest answer.",
    multiprocess_mode="mostrecent",
)


def hostup_call_observe(call: HostupCall) -> None:
    """Count one exchange; the HostUp client calls it after each (core.clients passes it in)."""
    HOSTUP_CALLS.labels(call.method, call.endpoint, str(call.status or call.error_code)).inc()
    HOSTUP_CALL_SECONDS.labels(call.method, call.endpoint).observe(call.seconds)
    if call.status == 429:
        HOSTUP_RATE_LIMITED.inc()
    if call.rate_limit_remaining is not None:
        HOSTUP_RATE_LIMIT_REMAINING.set(call.rate_limit_remaining)

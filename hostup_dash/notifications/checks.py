"""Deployment check: webhook messages link to DASHBOARD_URL, which must be the address people use."""

from django.conf import settings
from django.core.checks import Warning, register

DEVELOPMENT_URL = "http://127.0.0.1:8000"


@register(deploy=True)
def dashboard_url_set(app_configs, **kwargs) -> list[Warning]:
    """Left at make run's address, every link in a webhook message points at the reader's own machine."""
    if settings.DASHBOARD_URL.rstrip("/") != DEVELOPMENT_URL:
        return []
    return [
        Warning(
            f"DASHBOARD_URL is {DEVELOPMENT_URL}, the development address: the links in webhook messages lead nowhere.",
            hint="Set DASHBOARD_URL to the address people open the dashboard at, e.g. https://dash.example.net "
            '(README "Webhooks").',
            id="notifications.W001",
        )
    ]

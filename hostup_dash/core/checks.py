"""Deployment checks of our own, run by `manage.py check --deploy`."""

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def hostup_api_over_https(app_configs, **kwargs) -> list[Warning]:
    """The API key travels in every request's Authorization header: only over TLS."""
    if settings.HOSTUP_API_URL.startswith("https://"):
        return []
    return [
        Warning(
            "HOSTUP_API_URL is not an https:// address, so the API key would cross the network in clear text.",
            hint="Use https://cloud.hostup.se (the simulator over http is for development and tests only).",
            id="hostup_dash.W001",
        )
    ]

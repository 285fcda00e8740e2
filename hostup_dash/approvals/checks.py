"""APPROVAL_REQUIRED_FOR must name actions that exist: a typo would silently turn approval off for one."""

from django.conf import settings
from django.core.checks import Error, register

from .models import ChangeRequest


@register()
def approval_settings_check(app_configs, **kwargs) -> list[Error]:
    known = set(ChangeRequest.Action.values)
    unknown = [name for name in settings.APPROVAL_REQUIRED_FOR if name not in known]
    errors = []
    if unknown:
        errors.append(
            Error(
                f"APPROVAL_REQUIRED_FOR names unknown actions: {', '.join(unknown)}.",
                hint=f"Use a comma-separated list of {', '.join(sorted(known))}, or leave it empty.",
                id="approvals.E001",
            )
        )
    if settings.APPROVAL_TTL <= 0:
        errors.append(Error("APPROVAL_TTL must be a positive number of seconds.", id="approvals.E002"))
    return errors

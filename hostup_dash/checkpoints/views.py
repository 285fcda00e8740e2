"""The checkpoints page: each checkpoint with its status, and every key that has signed one."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from hostup_dash.accounts import roles
from hostup_dash.accounts.decorators import permission_required_audited
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.htmx import HtmxHttpRequest

from . import selectors, services


@require_GET
@permission_required_audited(roles.VIEW_AUDIT, action=AuditRecord.Action.VIEW_AUDIT)
def checkpoint_list(request: HtmxHttpRequest) -> HttpResponse:
    keys = selectors.signing_keys()
    context = {
        "rows": selectors.checkpoint_page(keys=keys),
        "keys": keys,
        "is_enabled": services.checkpoints_enabled(),
        "every_s": settings.AUDIT_CHECKPOINT_EVERY,
    }
    return render(request, "checkpoints/checkpoint_list.html", context)

"""The audit log for reviewers."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from hostup_dash.accounts import roles
from hostup_dash.accounts.decorators import permission_required_audited
from hostup_dash.core.htmx import HtmxHttpRequest, is_partial

from . import selectors
from .forms import AuditFilterForm
from .models import AuditRecord

PAGE_SIZE = 50


@require_GET
@permission_required_audited(roles.VIEW_AUDIT, action=AuditRecord.Action.VIEW_AUDIT)
def audit_list(request: HtmxHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    records = selectors.audit_list(
        vps=filters.get("vps", ""), actor=filters.get("actor", ""),
        action=filters.get("action", ""), outcome=filters.get("outcome", ""),
    )
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "audit/audit_list.html#audit-rows" if is_partial(request) else "audit/audit_list.html"
    return render(request, template, {"form": form, "page": page})

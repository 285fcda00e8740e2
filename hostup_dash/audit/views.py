"""The audit log for reviewers: list, record detail and streamed exports."""

import csv
import json
from collections.abc import Iterator

from django.http import Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from hostup_dash.accounts import roles
from hostup_dash.accounts.decorators import permission_required_audited
from hostup_dash.core.htmx import HtmxHttpRequest, is_partial
from hostup_dash.core.http import client_ip

from . import selectors, services
from .forms import AuditFilterForm
from .models import AuditRecord

Action = AuditRecord.Action
EXPORT_COLUMNS = (
    "id", "created_at", "actor_name", "actor_role", "client_ip", "vps_id", "vps_name", "action", "outcome",
    "http_status", "problem_code", "problem_detail", "hostup_request_id", "result_prefix", "result_next_hop",
    "duration_ms", "request_body", "intent_id", "prev_hash", "hash",
)


@require_GET
@permission_required_audited(roles.VIEW_AUDIT, action=Action.VIEW_AUDIT)
def audit_list(request: HtmxHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    form.is_valid()
    page = selectors.audit_page(form.filters(), before=form.cleaned_data.get("before"),
                                after=form.cleaned_data.get("after"))
    context = {"form": form, "page": page, "filter_query": _filter_query(form)}
    template = "audit/audit_list.html#audit-rows" if is_partial(request) else "audit/audit_list.html"
    return render(request, template, context)


def _filter_query(form: AuditFilterForm) -> str:
    """The current filters as a query string, for the pager and export links."""
    query = QueryDict(mutable=True)
    query.update(form.filters().as_dict())
    return query.urlencode()


@require_GET
@permission_required_audited(roles.VIEW_AUDIT, action=Action.VIEW_AUDIT)
def audit_detail(request: HtmxHttpRequest, record_id: int) -> HttpResponse:
    record = AuditRecord.objects.filter(id=record_id).select_related("intent").first()
    if record is None:
        raise Http404("No such audit record")
    context = {"record": record, "chain": selectors.audit_record_chain_check(record),
               "outcomes": list(record.outcomes.all())}
    return render(request, "audit/audit_detail.html", context)


def _streamed(rows: Iterator[str], *, extension: str, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(rows, content_type=f"{content_type}; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{extension}"'
    return response


def _export_filters(request: HtmxHttpRequest, export_format: str) -> selectors.AuditFilters:
    form = AuditFilterForm(request.GET)
    form.is_valid()
    filters = form.filters()
    services.audit_export_record(actor=request.user, filters=filters.as_dict(), export_format=export_format,
                                 client_ip=client_ip(request))
    return filters


def _value(record: AuditRecord, column: str) -> object:
    value = getattr(record, column)
    if column == "created_at":
        return value.isoformat()
    return json.dumps(value, sort_keys=True) if column == "request_body" else value


class _Echo:
    """A file-like object whose write returns the text, so csv.writer can feed a stream."""

    def write(self, text: str) -> str:
        return text


@require_GET
@permission_required_audited(roles.EXPORT_AUDIT, action=Action.EXPORT_AUDIT)
def audit_export_csv(request: HtmxHttpRequest) -> StreamingHttpResponse:
    filters = _export_filters(request, "csv")
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield f"# hostup-dash audit export; filter: {json.dumps(filters.as_dict())}; exported at {timezone.now().isoformat()}\n"
        yield writer.writerow(EXPORT_COLUMNS)
        for record in selectors.audit_export_rows(filters):
            yield writer.writerow([_value(record, column) for column in EXPORT_COLUMNS])

    return _streamed(rows(), extension="csv", content_type="text/csv")


@require_GET
@permission_required_audited(roles.EXPORT_AUDIT, action=Action.EXPORT_AUDIT)
def audit_export_jsonl(request: HtmxHttpRequest) -> StreamingHttpResponse:
    filters = _export_filters(request, "jsonl")

    def rows() -> Iterator[str]:
        header = {"export": "hostup-dash audit", "filter": filters.as_dict(), "exported_at": timezone.now().isoformat()}
        yield json.dumps(header) + "\n"
        for record in selectors.audit_export_rows(filters):
            yield json.dumps({column: _value(record, column) if column != "request_body" else record.request_body
                              for column in EXPORT_COLUMNS}) + "\n"

    return _streamed(rows(), extension="jsonl", content_type="application/x-ndjson")

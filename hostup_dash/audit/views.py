"""The audit log for reviewers: list, record detail and streamed exports."""

import csv
import io
import json
import time
from collections.abc import Generator, Iterator

from django.http import Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from hostup_dash.accounts import roles
from hostup_dash.accounts.decorators import permission_required_audited
from hostup_dash.core.htmx import HtmxHttpRequest, is_partial
from hostup_dash.core.http import client_ip
from hostup_dash.trail import selectors as trail_selectors

from . import selectors, services
from .forms import AuditFilterForm
from .models import AuditRecord

Action = AuditRecord.Action
Outcome = AuditRecord.Outcome
# Rows per chunk of a streamed export: few enough to stay small, many enough to be cheap.
EXPORT_BATCH = 1000


@require_GET
@permission_required_audited(roles.VIEW_AUDIT, action=Action.VIEW_AUDIT)
def audit_list(request: HtmxHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    form.is_valid()
    filters = form.filters()
    if trail_selectors.includes_hostup(filters):  # HostUp's events too: one timeline of both sides
        cursors = {name: form.cleaned_data.get(name) or "" for name in ("older", "newer")}
        page = trail_selectors.timeline_page(filters, **cursors)
    else:
        page = selectors.audit_page(
            filters, before=form.cleaned_data.get("before"), after=form.cleaned_data.get("after")
        )
        trail_selectors.confirmations_attach(page.records)
    context = {"form": form, "page": page, "filter_query": _filter_query(form), "trail": trail_selectors.trail_status()}
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
    detail = selectors.audit_record_detail(record_id=record_id)
    if detail is None:
        raise Http404("No such audit record")
    context = {
        "record": detail.record,
        "chain": detail.chain,
        "outcomes": detail.outcomes,
        "change_people": detail.change_people,
    }
    return render(request, "audit/audit_detail.html", context)


def _streamed(rows: Iterator[bytes | str], *, extension: str, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(rows, content_type=f"{content_type}; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{extension}"'
    return response


def _export_filters(request: HtmxHttpRequest) -> selectors.AuditFilters:
    form = AuditFilterForm(request.GET)
    form.is_valid()
    return form.filters()


def _batched(rows: Iterator[tuple]) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) == EXPORT_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _audited(chunks: Generator[bytes | str, None, int], *, intent: AuditRecord) -> Iterator[bytes | str]:
    """The export's chunks, then its outcome record: succeeded with the row count once the last chunk
    is out, unknown when the client stopped reading (the server closes the stream), failed otherwise."""
    started = time.monotonic()
    outcome, rows = Outcome.FAILED, None
    try:
        rows = yield from chunks
        outcome = Outcome.SUCCEEDED
    except GeneratorExit:
        outcome = Outcome.UNKNOWN
        raise
    finally:
        duration_ms = round((time.monotonic() - started) * 1000)
        services.audit_export_outcome_record(intent=intent, outcome=outcome, rows=rows, duration_ms=duration_ms)


def _csv_line(cells: list[str]) -> str:
    """One CSV row, quoted as Postgres quotes the data rows, so no value can start a cell of its own."""
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(cells)
    return line.getvalue()


@require_GET
@permission_required_audited(roles.EXPORT_AUDIT, action=Action.EXPORT_AUDIT)
def audit_export_csv(request: HtmxHttpRequest) -> StreamingHttpResponse:
    filters = _export_filters(request)
    intent = services.audit_export_record(
        actor=request.user, filters=filters.as_dict(), export_format="csv", client_ip=client_ip(request)
    )

    def rows() -> Generator[bytes | str, None, int]:
        # The description starts with "#" (tools skip such lines) and each fixed label starts its
        # own cell, so a filter value sits inside a quoted cell that cannot run as a formula.
        exported_at = timezone.now().isoformat()
        description = [
            "# hostup-dash audit export",
            f"filter: {json.dumps(filters.as_dict())}",
            f"exported at {exported_at}",
        ]
        yield _csv_line(description)
        yield ",".join(selectors.CSV_COLUMNS) + "\n"
        ours = yield from selectors.audit_export_csv_blocks(filters)
        hostup = trail_selectors.events_export_csv_query(filters)
        return ours + (yield from selectors.queryset_csv_blocks(hostup))

    return _streamed(_audited(rows(), intent=intent), extension="csv", content_type="text/csv")


def _json_line(row: tuple) -> str:
    record = dict(zip(selectors.JSONL_COLUMNS, row, strict=True))
    record["created_at"] = record["created_at"].isoformat()
    record["request_body"] = json.loads(record["request_body"])
    return json.dumps({"source": selectors.Source.DASHBOARD.value, **record}) + "\n"


@require_GET
@permission_required_audited(roles.EXPORT_AUDIT, action=Action.EXPORT_AUDIT)
def audit_export_jsonl(request: HtmxHttpRequest) -> StreamingHttpResponse:
    filters = _export_filters(request)
    intent = services.audit_export_record(
        actor=request.user, filters=filters.as_dict(), export_format="jsonl", client_ip=client_ip(request)
    )

    def rows() -> Generator[str, None, int]:
        header = {"export": "hostup-dash audit", "filter": filters.as_dict(), "exported_at": timezone.now().isoformat()}
        yield json.dumps(header) + "\n"
        count = 0
        for batch in _batched(selectors.audit_export_rows(filters)):
            count += len(batch)
            yield "".join(_json_line(row) for row in batch)
        for batch in _batched(trail_selectors.events_export_lines(filters)):
            count += len(batch)
            yield "".join(json.dumps(line) + "\n" for line in batch)
        return count

    return _streamed(_audited(rows(), intent=intent), extension="jsonl", content_type="application/x-ndjson")

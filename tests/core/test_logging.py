"""What the dashboard's own log says about requests it refused and requests that failed."""

import logging

import pytest
from django.urls import reverse

from hostup_dash.core.logging import JsonFormatter

pytestmark = pytest.mark.django_db


def _request_records(caplog, status: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request" and getattr(r, "status_code", None) == status]


def test_a_refused_click_is_one_line_without_a_traceback(caplog, viewer_client):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = viewer_client.post(reverse("pools:route-create"))

    assert response.status_code == 403
    [record] = _request_records(caplog, 403)
    line = JsonFormatter().format(record)
    assert "Forbidden" in line and "Traceback" not in line and "PermissionDenied" not in line


def test_a_request_that_failed_keeps_its_traceback(caplog, client, settings):
    settings.ROOT_URLCONF = "tests.core.failing_urls"
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        assert client.get("/boom").status_code == 500

    [record] = _request_records(caplog, 500)
    assert "Traceback" in JsonFormatter().format(record)

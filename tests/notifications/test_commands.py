"""webhook_add, webhook_list and webhook_remove: the secret printed once when generated, never listed."""

import socket
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import requests
from django.core.management import CommandError, call_command

from hostup_dash.audit.models import AuditRecord
from hostup_dash.notifications.models import URL_NOT_HTTP, Webhook
from hostup_dash.notifications.payloads import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature
from tests.worker.harness import ROOT

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(*args: str) -> tuple[str, str]:
    out = StringIO()
    summary = call_command(*args, stdout=out)
    return out.getvalue(), summary or ""


def test_add_generates_a_secret_and_prints_it_once():
    out, summary = _run("webhook_add", "https://chat.example/hooks/ops", "--events", "action.failed,break_glass")

    webhook = Webhook.objects.get()
    assert f"Secret (shown once, never again): {webhook.secret}" in out
    assert summary == f"Webhook #{webhook.pk} added: https://chat.example/hooks/ops for action.failed, break_glass."
    record = AuditRecord.objects.get(action=AuditRecord.Action.WEBHOOK_ADD)
    assert record.actor_name == "system" and record.request_body["via"] == "command"
    assert webhook.secret not in str(record.request_body)


def test_add_reads_the_secret_from_a_file_and_does_not_print_it(tmp_path: Path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("a-secret-from-the-vault-0123\n")

    out, _ = _run(
        "webhook_add", "http://127.0.0.1:9/hook", "--events", "sync.failing", "--secret-file", str(secret_file)
    )

    assert Webhook.objects.get().secret == "a-secret-from-the-vault-0123"
    assert "a-secret-from-the-vault" not in out and "Secret" not in out


def test_add_refuses_an_unreadable_secret_file(tmp_path: Path):
    with pytest.raises(CommandError, match="cannot be read"):
        _run("webhook_add", "https://h.example/", "--events", "sync.failing", "--secret-file", str(tmp_path / "none"))
    assert not Webhook.objects.exists()


def test_add_refuses_an_unknown_event_in_words():
    with pytest.raises(CommandError, match=r"Unknown event 'action\.exploded': the events are action\.succeeded"):
        _run("webhook_add", "https://chat.example/hooks/ops", "--events", "action.exploded")
    assert not Webhook.objects.exists() and not AuditRecord.objects.exists()


def test_add_refuses_a_url_that_is_not_http():
    with pytest.raises(CommandError) as refused:
        _run("webhook_add", "file:///etc/passwd", "--events", "break_glass")
    assert str(refused.value) == URL_NOT_HTTP


def test_list_never_shows_a_secret_or_the_urls_token():
    out, _ = _run("webhook_add", "https://u:pw@chat.example/h?token=t0ken", "--events", "break_glass")
    secret = Webhook.objects.get().secret

    listed, summary = _run("webhook_list")

    assert "https://chat.example/h" in listed and "events=break_glass" in listed and "pending=0" in listed
    assert secret not in listed and "t0ken" not in listed and "pw" not in listed
    assert summary == "1 webhook(s)."


def test_remove_removes_and_audits():
    _run("webhook_add", "https://chat.example/hooks/ops", "--events", "break_glass")
    webhook = Webhook.objects.get()

    _, summary = _run("webhook_remove", str(webhook.pk))

    assert summary == f"Webhook #{webhook.pk} removed." and not Webhook.objects.exists()
    record = AuditRecord.objects.get(action=AuditRecord.Action.WEBHOOK_REMOVE)
    assert record.request_body["webhook"] == webhook.pk and webhook.secret not in str(record.request_body)


def test_remove_of_an_unknown_id_says_so():
    with pytest.raises(CommandError, match=r"No webhook #99\."):
        _run("webhook_remove", "99")


def test_the_receiver_command_prints_verified_deliveries_and_refuses_bad_signatures(tmp_path: Path):
    secret = "the-demo-secret-0123456789"
    (tmp_path / "secret").write_text(secret)
    port = _free_port()
    receiver = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "webhook_receiver",
            "--port",
            str(port),
            "--secret-file",
            str(tmp_path / "secret"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert receiver.stdout.readline().startswith(f"Listening on http://127.0.0.1:{port}/hook")
        body = b'{"event":"break_glass","text":"carol made an emergency change."}'
        headers = {EVENT_HEADER: "break_glass", DELIVERY_HEADER: "d-1", SIGNATURE_HEADER: signature(secret, body)}
        url = f"http://127.0.0.1:{port}/hook"
        assert requests.post(url, data=body, headers=headers, timeout=5).status_code == 200
        forged = headers | {SIGNATURE_HEADER: signature("another-secret", body)}
        assert requests.post(url, data=body, headers=forged, timeout=5).status_code == 401
        lines = [receiver.stdout.readline().strip() for _ in range(2)]
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
    assert lines == [
        "verified break_glass d-1: carol made an emergency change.",
        "REFUSED (bad signature) break_glass d-1",
    ]


def test_add_refuses_an_empty_secret_file(tmp_path: Path):
    (tmp_path / "secret").write_text("\n")
    with pytest.raises(CommandError, match="at least 16 characters"):
        _run("webhook_add", "https://h.example/", "--events", "sync.failing", "--secret-file", str(tmp_path / "secret"))

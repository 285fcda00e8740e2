import json

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from hostup_dash.audit.models import AuditRecord
from hostup_dash.notifications import services
from hostup_dash.notifications.models import URL_NO_HOST, URL_NOT_HTTP, Delivery, Event, Webhook, url_for_display

from .conftest import SECRET

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/hook", "file:///etc/passwd", "javascript:alert(1)", "gopher://x/", "example.com/hook"],
)
def test_a_url_that_is_not_http_is_refused_in_words(url):
    with pytest.raises(ValidationError) as refused:
        services.webhook_create(url=url, events="action.failed", actor=None, via="test")
    assert refused.value.messages == [URL_NOT_HTTP]
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("url", ["http://", "https:///hook", "http://host:port/", "http://a b/"])
def test_a_url_without_a_host_is_refused_in_words(url):
    with pytest.raises(ValidationError) as refused:
        services.webhook_create(url=url, events="action.failed", actor=None, via="test")
    assert refused.value.messages == [URL_NO_HOST]


def test_an_unknown_event_is_refused_naming_it_and_the_known_ones():
    with pytest.raises(ValidationError) as refused:
        services.webhook_create(url="https://h.example/x", events="action.failed,action.exploded", actor=None, via="t")
    message = refused.value.messages[0]
    assert "'action.exploded'" in message and "sync.failing" in message and "'action.failed'" not in message
    assert not Webhook.objects.exists()


def test_no_event_at_all_is_refused():
    with pytest.raises(ValidationError, match="at least one event"):
        services.events_parse(" , ")


def test_the_events_are_exactly_the_issues():
    # Issue 12's nine, and issue 15's audit.checkpoint.
    assert Event.values == [
        "action.succeeded",
        "action.failed",
        "action.unknown",
        "change.outside",
        "drift.found",
        "approval.requested",
        "approval.decided",
        "break_glass",
        "sync.failing",
        "audit.checkpoint",
    ]


def test_a_short_secret_is_refused():
    with pytest.raises(ValidationError) as refused:
        services.webhook_create(url="https://h.example/x", events="break_glass", secret="short\n", actor=None, via="t")
    assert refused.value.messages == [services.SECRET_TOO_SHORT]


def test_adding_is_audited_without_the_secret_or_the_urls_token(make_user):
    admin = make_user("admin")
    created = services.webhook_create(
        url="https://user:pass-Zq@chat.example/hooks/ops?token=tok-Qx-query",
        events="break_glass",
        actor=admin,
        via="admin",
    )
    record = AuditRecord.objects.get(action=AuditRecord.Action.WEBHOOK_ADD)
    assert created.is_generated and len(created.secret) >= 32
    assert record.actor_name == "admin" and record.actor_role == "admin"
    assert record.request_body == {
        "webhook": created.webhook.pk,
        "url": "https://chat.example/hooks/ops",
        "events": ["break_glass"],
        "active": True,
        "via": "admin",
    }
    stored = json.dumps(AuditRecord.objects.values().get(pk=record.pk), default=str)
    assert created.secret not in stored and "tok-Qx-query" not in stored and "pass-Zq" not in stored


def test_removing_is_audited_and_drops_the_delivery_log(webhook_for):
    webhook = webhook_for("break_glass")
    services.notify("break_glass", text="x")
    services.webhook_remove(webhook_id=webhook.pk, actor=None, via="command")
    record = AuditRecord.objects.get(action=AuditRecord.Action.WEBHOOK_REMOVE)
    assert record.actor_name == "system" and record.request_body["webhook"] == webhook.pk
    assert SECRET not in json.dumps(record.request_body)
    assert not Webhook.objects.exists() and not Delivery.objects.exists()


def test_removing_an_unknown_webhook_raises():
    with pytest.raises(Webhook.DoesNotExist):
        services.webhook_remove(webhook_id=404, actor=None, via="command")


def test_notify_queues_one_delivery_per_subscribed_active_webhook(webhook_for):
    subscribed = webhook_for("change.outside,action.failed")
    webhook_for("action.failed")
    switched_off = webhook_for("change.outside")
    switched_off.active = False
    switched_off.save()

    queued = services.notify(
        "change.outside",
        vps_id="vps-1",
        vps_name="web-1",
        actor="someone at HostUp",
        action="release",
        outcome="succeeded",
        reason="",
        link="http://dash.example/vps/vps-1/",
        text="Changed outside the dashboard.",
    )

    assert queued == 1
    delivery = Delivery.objects.get()
    assert delivery.webhook == subscribed and delivery.event == "change.outside"
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 0
    body = json.loads(bytes(delivery.payload))
    assert body["event"] == "change.outside" and body["vps_id"] == "vps-1" and body["vps_name"] == "web-1"
    assert body["text"] == "Changed outside the dashboard." and body["link"] == "http://dash.example/vps/vps-1/"
    assert body["time"].endswith("Z")


def test_notify_joins_the_callers_transaction(webhook_for):
    webhook_for("sync.failing")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.notify("sync.failing", text="x")
        raise RuntimeError("the caller's change fails")
    assert not Delivery.objects.exists()


def test_notify_refuses_an_unknown_event():
    with pytest.raises(ValueError, match="Unknown event"):
        services.notify("vps.exploded", text="x")


def test_notify_without_text_makes_a_plain_line(webhook_for):
    webhook_for("change.outside")
    services.notify("change.outside", vps_id="vps-1", vps_name="<!channel> @here", actor="x", outcome="succeeded")
    text = json.loads(bytes(Delivery.objects.get().payload))["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "@here" not in text and "@\u200bhere" in text


def test_a_callers_text_is_made_safe_for_chat(webhook_for):
    webhook_for("change.outside")
    services.notify("change.outside", text="Released on <!here|x> & told @channel\nby   the customer")
    text = json.loads(bytes(Delivery.objects.get().payload))["text"]
    assert text == "Released on &lt;!here|x&gt; &amp; told @\u200bchannel by the customer"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T0123ABC/B0456DEF/abcdefXYZ123", "https://hooks.slack.com/services/…"),
        ("https://chat.example.com/hooks/xk3j2h4k5j6h7m8n9p0q1r2s3t", "https://chat.example.com/hooks/…"),
        ("https://discord.com/api/webhooks/1234567/a-token?wait=true", "https://discord.com/api/webhooks/…"),
        ("https://user:pass@hooks.example/ops/", "https://hooks.example/ops/"),
        ("http://127.0.0.1:8099/hook", "http://127.0.0.1:8099/hook"),
    ],
)
def test_a_token_in_the_url_is_never_shown(url, shown):
    # Slack, Mattermost and Discord carry the webhook's token in its path: lists and the audit log cut it off.
    assert url_for_display(url) == shown

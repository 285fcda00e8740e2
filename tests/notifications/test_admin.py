"""Webhooks in the Django admin: the secret appears once, on the page after adding, and nowhere else."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from hostup_dash.notifications import services
from hostup_dash.notifications.models import URL_NOT_HTTP, Delivery, Webhook

pytestmark = pytest.mark.django_db
ADD = reverse("admin:notifications_webhook_add")
LIST = reverse("admin:notifications_webhook_changelist")


def _add(client, **form) -> object:
    return client.post(ADD, {"url": "https://chat.example/hooks/ops", "events": ["break_glass"], "active": "on"} | form)


def test_adding_shows_the_secret_once_and_audits_without_it(admin_client_role):
    response = _add(admin_client_role, events=["break_glass", "approval.requested"])

    webhook = Webhook.objects.get()
    page = response.content.decode()
    assert response.status_code == 200 and webhook.secret in page and "it is not shown again" in page
    assert "no-store" in response["Cache-Control"]
    assert webhook.events == ["break_glass", "approval.requested"] and webhook.created_by.username == "admin"
    record = AuditRecord.objects.get(action=AuditRecord.Action.WEBHOOK_ADD)
    assert record.actor_name == "admin" and record.request_body["via"] == "admin"
    assert webhook.secret not in str(record.request_body)


def test_the_secret_is_on_no_other_admin_page(admin_client_role):
    _add(admin_client_role)
    webhook = Webhook.objects.get()
    services.notify("break_glass", text="x")
    pages = [
        ADD,
        LIST,
        reverse("admin:notifications_webhook_change", args=[webhook.pk]),
        reverse("admin:notifications_webhook_history", args=[webhook.pk]),
        reverse("admin:notifications_webhook_delete", args=[webhook.pk]),
        reverse("admin:notifications_delivery_changelist"),
        reverse("admin:notifications_delivery_change", args=[Delivery.objects.get().pk]),
        reverse("admin:index"),
    ]
    for url in pages:
        response = admin_client_role.get(url)
        assert response.status_code == 200, url
        assert webhook.secret not in response.content.decode(), url
    assert all(webhook.secret not in entry.change_message for entry in LogEntry.objects.all())


def test_a_url_that_is_not_http_is_a_field_error(admin_client_role):
    response = _add(admin_client_role, url="file:///etc/passwd")
    assert response.status_code == 200
    assert URL_NOT_HTTP in response.content.decode()
    assert not Webhook.objects.exists()
    assert not AuditRecord.objects.filter(action=AuditRecord.Action.WEBHOOK_ADD).exists()


def test_changing_the_events_is_audited(admin_client_role):
    _add(admin_client_role)
    webhook = Webhook.objects.get()

    response = admin_client_role.post(
        reverse("admin:notifications_webhook_change", args=[webhook.pk]), {"events": ["sync.failing"]}
    )

    assert response.status_code == 302
    webhook.refresh_from_db()
    assert webhook.events == ["sync.failing"] and webhook.active is False
    record = AuditRecord.objects.filter(action=AuditRecord.Action.WEBHOOK_ADD).order_by("-id").first()
    assert record.request_body["changed"] == ["events", "active"] and record.request_body["active"] is False


def test_removing_is_audited_and_takes_its_delivery_log(admin_client_role):
    _add(admin_client_role)
    webhook = Webhook.objects.get()
    services.notify("break_glass", text="x")

    response = admin_client_role.post(reverse("admin:notifications_webhook_delete", args=[webhook.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Webhook.objects.exists() and not Delivery.objects.exists()
    assert AuditRecord.objects.filter(action=AuditRecord.Action.WEBHOOK_REMOVE).count() == 1


def test_the_delivery_log_shows_status_time_and_attempts(admin_client_role):
    _add(admin_client_role)
    services.notify("break_glass", text="x")
    Delivery.objects.update(attempts=3, last_status_code=500, last_error="The receiver answered 500.")
    webhook = Webhook.objects.get()

    page = admin_client_role.get(
        f"{reverse('admin:notifications_delivery_changelist')}?webhook__id__exact={webhook.pk}"
    )

    text = page.content.decode()
    assert "Pending" in text and "The receiver answered 500." in text and ">3<" in text


def test_operators_cannot_reach_the_webhooks(operator_client):
    response = operator_client.get(LIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_staff_user_who_is_not_an_admin_cannot_add_change_or_remove_a_webhook(make_user, client):
    # is_staff lets one into the admin; the webhooks' permissions are the admin role's alone, checked on the server.
    user = make_user("operator", "staff-operator")
    user.is_staff = True
    user.save()
    client.force_login(user)
    webhook = services.webhook_create(url="https://chat.example/h", events="break_glass", actor=None, via="command")
    change = reverse("admin:notifications_webhook_change", args=[webhook.webhook.pk])
    delete = reverse("admin:notifications_webhook_delete", args=[webhook.webhook.pk])

    assert _add(client).status_code == 403
    assert client.post(change, {"events": ["drift.found"], "active": ""}).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("admin:notifications_delivery_changelist")).status_code == 403
    assert list(Webhook.objects.values_list("events", "active")) == [(["break_glass"], True)]
    assert AuditRecord.objects.filter(action=AuditRecord.Action.WEBHOOK_ADD).count() == 1  # the command's only

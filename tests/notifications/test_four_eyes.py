"""The issue's "done when": a release waits for a second person, and a receiver gets both steps, signed."""

import hashlib
import hmac

import pytest
from django.test import Client
from django.urls import reverse

from hostup_dash.accounts.roles import Role
from hostup_dash.approvals.models import ChangeRequest
from hostup_dash.notifications.tasks import WEBHOOK_QUEUE
from tests.factories import pick_vps, release_form, synced
from tests.worker.harness import wait_for

from .conftest import SECRET

HTMX = {"HTTP_HX_REQUEST": "true"}


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db(transaction=True)
def test_a_receiver_gets_a_signed_approval_requested_then_action_succeeded(
    settings, hostup, receiver, webhook_for, make_user, start_worker
):
    settings.APPROVAL_REQUIRED_FOR = ["release"]
    webhook_for("approval.requested,action.succeeded")
    start_worker(queues=[WEBHOOK_QUEUE])
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    alice, bob = _client_for(make_user(Role.ADMIN, "alice")), _client_for(make_user(Role.APPROVER, "bob"))

    asked = alice.post(
        reverse("inventory:ipv6-release", args=[vps_id]), release_form(hostup, vps_id, reason="decommission"), **HTMX
    )
    assert asked.status_code == 200, asked.content.decode()
    change = ChangeRequest.objects.get()
    wait_for(receiver.verified)
    bob.post(reverse("approvals:request-approve", args=[change.id]), **HTMX)

    requested, succeeded = wait_for(lambda: got if len(got := receiver.verified()) == 2 else None)
    for got in (requested, succeeded):
        assert got.signature == "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert (requested.event, requested.json()["actor"], requested.json()["reason"]) == (
        "approval.requested",
        "alice",
        "decommission",
    )
    body = succeeded.json()
    assert (succeeded.event, body["actor"], body["action"], body["vps_id"]) == (
        "action.succeeded",
        "bob",
        "release",
        vps_id,
    )
    assert body["reason"] == "decommission" and f"/approvals/{change.id}/" in requested.json()["link"]

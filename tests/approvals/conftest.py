"""The cast of the four-eyes tests: alice asks (admin), bob decides (approver), carol is a second admin."""

import pytest
from django.test import Client
from django.urls import reverse

from hostup_dash.accounts.roles import Role
from hostup_dash.approvals.models import ChangeRequest
from tests.factories import pick_vps, release_form, synced

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _actions_without_approval(settings):
    """Overrides tests/conftest.py's fixture of this name: these tests keep APPROVAL_REQUIRED_FOR as a plain
    settings load gives it, so they exercise the default (release needs approval), not a copy of it."""
    assert settings.APPROVAL_REQUIRED_FOR == ["release"], "run these tests without APPROVAL_REQUIRED_FOR set"
    settings.APPROVAL_TTL = 3600


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice(make_user):
    return make_user(Role.ADMIN, "alice")


@pytest.fixture
def bob(make_user):
    return make_user(Role.APPROVER, "bob")


@pytest.fixture
def alice_client(alice) -> Client:
    return _client_for(alice)


@pytest.fixture
def bob_client(bob) -> Client:
    return _client_for(bob)


@pytest.fixture
def allocated_vps(hostup) -> str:
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    return vps_id


@pytest.fixture
def allocate_waits(hostup, settings) -> str:
    """A VPS without a prefix, on record, whose allocation waits for a second person."""
    settings.APPROVAL_REQUIRED_FOR = ["allocate"]
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)
    return vps_id


def release_url(vps_id: str) -> str:
    return reverse("inventory:ipv6-release", args=[vps_id])


def decision_url(name: str, change: ChangeRequest) -> str:
    return reverse(f"approvals:request-{name}", args=[change.id])


def deletes(simulator, vps_id: str) -> list:
    """The releases HostUp received for a VPS."""
    return simulator.calls_to("DELETE", f"/api/v2/vps/{vps_id}/routed-ipv6")


@pytest.fixture
def requested(hostup, alice_client, allocated_vps) -> ChangeRequest:
    """Alice's release of the VPS, submitted on its page: a change request waiting for approval."""
    response = alice_client.post(release_url(allocated_vps), release_form(hostup, allocated_vps), **HTMX)
    assert response.status_code == 200, response.content.decode()
    return ChangeRequest.objects.get()

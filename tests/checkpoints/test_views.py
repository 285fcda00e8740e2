"""/audit/checkpoints/: auditors and admins see the checkpoints and the public keys; nobody sees the private key."""

import pytest

from hostup_dash.audit.models import AuditRecord
from hostup_dash.checkpoints import services
from hostup_dash.checkpoints.signing import key_fingerprint, public_key_load

from .conftest import records_add, rewrite_from

pytestmark = pytest.mark.django_db
URL = "/audit/checkpoints/"


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditor_and_admin_see_the_key_fingerprint(signing, role_client, role):
    records_add(1)
    services.checkpoint_create()
    page = role_client(role).get(URL).content.decode()
    assert key_fingerprint(public_key_load(signing.public)) in page


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_other_roles_are_refused_and_the_refusal_audited(role_client, role):
    response = role_client(role).get(URL)
    refusal = AuditRecord.objects.order_by("-id").first()
    assert response.status_code == 403 and refusal.outcome == AuditRecord.Outcome.REFUSED


def test_page_never_shows_the_private_key(signing, auditor_client):
    records_add(1)
    services.checkpoint_create()
    private = signing.key.read_text().splitlines()[1]
    assert private not in auditor_client.get(URL).content.decode()


def test_untouched_checkpoint_shows_as_verified(signing, auditor_client):
    records_add(1)
    services.checkpoint_create()
    assert "verified" in auditor_client.get(URL).content.decode()


def test_checkpoint_of_a_rewritten_head_shows_so(signing, auditor_client):
    records_add(2)
    services.checkpoint_create()
    rewrite_from(2)
    assert "its head record&#x27;s hash differs" in auditor_client.get(URL).content.decode()

"""audit.checkpoint (issue 15): each signed checkpoint goes to the webhooks that asked for it, with the whole
signed statement, so a copy lives outside the database."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from hostup_dash.audit.models import AuditRecord
from hostup_dash.audit.services import audit_auth_record
from hostup_dash.checkpoints import services as checkpoints
from hostup_dash.checkpoints.signing import Statement, public_key_load, signature_is_valid
from hostup_dash.notifications import delivery, services
from hostup_dash.notifications.models import Delivery, Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def signing(tmp_path, settings):
    key = tmp_path / "signing.pem"
    call_command("audit_keygen", str(key), stdout=StringIO())
    (tmp_path / "checkpoints").mkdir()
    settings.AUDIT_SIGNING_KEY_FILE = str(key)
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    return tmp_path / "signing.pem.pub"


def _checkpoint_made():
    audit_auth_record(action=AuditRecord.Action.LOGIN, username="alice", actor=None, client_ip="192.0.2.1")
    return checkpoints.checkpoint_create()


def test_a_receiver_gets_the_signed_statement_and_can_verify_it(signing, receiver, webhook_for):
    webhook_for(Event.AUDIT_CHECKPOINT)
    checkpoint = _checkpoint_made()

    [queued] = Delivery.objects.filter(event=Event.AUDIT_CHECKPOINT)
    assert delivery.delivery_attempt(delivery_id=queued.id) == Delivery.Status.DELIVERED

    [got] = receiver.received
    body = json.loads(got.body)
    assert (got.event, body["event"], body["outcome"]) == ("audit.checkpoint", "audit.checkpoint", "signed")
    details = body["details"]
    assert (details["number"], details["head_id"], details["hash"]) == (
        checkpoint.number,
        checkpoint.head_id,
        checkpoint.hash,
    )
    statement = Statement(**{name: details[name] for name in Statement.__dataclass_fields__})
    assert signature_is_valid(statement, details["signature"], public_key_load(signing))
    assert "/audit/checkpoints/" in body["link"]


def test_only_webhooks_that_asked_for_checkpoints_get_them(signing, webhook_for):
    webhook_for("action.failed,sync.failing")
    _checkpoint_made()

    assert not Delivery.objects.exists()


def test_other_events_carry_no_details_field(receiver, webhook_for):
    webhook_for("drift.found")
    services.notify("drift.found", vps_id="vps-1", text="A line.")

    assert "details" not in json.loads(bytes(Delivery.objects.get().payload))

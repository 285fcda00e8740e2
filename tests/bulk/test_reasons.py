"""A bulk run's reason and ticket: asked for on the list and by the command, carried to every item's records."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from hostup_dash.bulk import services
from hostup_dash.bulk.models import BulkRun
from tests.bulk.helpers import drifted
from tests.factories import action_trail, last_record

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _records_of(run: BulkRun) -> set[tuple[str, str, str]]:
    return set(AuditRecord.objects.filter(bulk_run_id=run.id).values_list("outcome", "reason", "ticket"))


def test_a_run_started_on_the_list_carries_its_reason_to_every_items_records(hostup, operator_client):
    vps_ids = drifted(hostup, 2)
    data = {"vps": vps_ids, "reason": "Next hops moved after the rack swap", "ticket": "OPS-77"}

    response = operator_client.post(reverse("bulk:refresh-next-hop"), data, **HTMX)

    run = BulkRun.objects.get()
    assert response["HX-Redirect"] == reverse("bulk:run-detail", args=[run.id])
    assert (run.reason, run.ticket) == ("Next hops moved after the rack swap", "OPS-77")
    services.bulk_run_process(run_id=run.id)
    assert _records_of(run) == {
        ("pending", "Next hops moved after the rack swap", "OPS-77"),
        ("succeeded", "Next hops moved after the rack swap", "OPS-77"),
    }
    page = operator_client.get(reverse("bulk:run-detail", args=[run.id])).content.decode()
    assert "Next hops moved after the rack swap" in page and "OPS-77" in page


def test_the_list_offers_the_reason_fields_required_when_the_setting_says_so(settings, operator_client, hostup):
    drifted(hostup, 1)
    settings.REQUIRE_CHANGE_REASON = True

    page = operator_client.get("/").content.decode()

    assert '<div id="bulk-why">' in page and 'id="bulk-reason" name="reason" rows="2" maxlength="500" required' in page


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({}, "reason", "Give a reason for this change."),
        ({"reason": "ok", "ticket": "T" * 101}, "ticket", "Keep the ticket to at most 100 characters (it has 101)."),
    ],
)
def test_a_reason_against_the_rules_is_a_field_error_audited_and_no_run(
    hostup, settings, operator_client, data, field, words
):
    settings.REQUIRE_CHANGE_REASON = True
    vps_ids = drifted(hostup, 1)

    response = operator_client.post(reverse("bulk:refresh-next-hop"), {"vps": vps_ids, **data}, **HTMX)

    assert response.status_code == 400
    page = response.content.decode()
    assert '<div id="bulk-why" hx-swap-oob="true">' in page
    assert f'<p class="field-error" id="bulk-{field}-error">{words}</p>' in page
    assert not BulkRun.objects.exists()
    assert action_trail() == [("refresh_next_hop", "refused")]
    assert last_record().problem_code == "reason_invalid"
    assert hostup.calls == []


def test_the_command_takes_reason_and_ticket(hostup, make_user):
    make_user("operator", "alice")
    vps_ids = drifted(hostup, 2)

    call_command(
        "bulk_action",
        "refresh-next-hop",
        "--as",
        "alice",
        "--vps",
        *vps_ids,
        "--reason",
        "Scripted fix-up",
        "--ticket",
        "OPS-5",
        stdout=StringIO(),
    )

    run = BulkRun.objects.get()
    assert (run.reason, run.ticket) == ("Scripted fix-up", "OPS-5")
    assert _records_of(run) == {("pending", "Scripted fix-up", "OPS-5"), ("succeeded", "Scripted fix-up", "OPS-5")}


def test_the_command_without_a_required_reason_is_refused_and_audited(hostup, settings, make_user):
    settings.REQUIRE_CHANGE_REASON = True
    make_user("operator", "alice")
    vps_ids = drifted(hostup, 1)

    with pytest.raises(CommandError, match="Give a reason for this change."):
        call_command("bulk_action", "refresh-next-hop", "--as", "alice", "--vps", *vps_ids, stdout=StringIO())

    assert not BulkRun.objects.exists()
    assert action_trail() == [("refresh_next_hop", "refused")]
    assert hostup.calls == []

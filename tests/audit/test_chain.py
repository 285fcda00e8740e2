"""The hash chain: intact after real actions, broken by edits behind the trigger, single under concurrency."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from hostup_dash.audit.models import GENESIS_HASH, AuditRecord
from tests.audit.test_audit_list import record
from tests.factories import pick_vps, release_form, run_together, synced


def _verify() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue().strip()


def _behind_the_triggers_back(sql: str, params: list) -> None:
    """What a superuser with psql could do: switch the triggers off, edit, switch them on."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's open transaction holds deferred FK checks
        cursor.execute("ALTER TABLE audit_auditrecord DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditrecord ENABLE TRIGGER USER")


@pytest.mark.django_db
def test_first_record_links_to_genesis():
    assert record().prev_hash == GENESIS_HASH


@pytest.mark.django_db
def test_chain_is_intact_after_a_demo_session(hostup, operator_client, admin_client_role):
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)
    operator_client.post(reverse("inventory:ipv6-allocate", args=[vps_id]), HTTP_HX_REQUEST="true")
    operator_client.post(reverse("inventory:ipv6-release", args=[vps_id]), HTTP_HX_REQUEST="true")  # refused
    admin_client_role.post(reverse("inventory:ipv6-release", args=[vps_id]), release_form(hostup, vps_id))

    count = AuditRecord.objects.count()
    assert _verify() == f"{count} records, chain intact"
    assert count >= 7  # two logins, two intents, two outcomes, one refusal


@pytest.mark.django_db
def test_altered_content_is_caught():
    record()
    victim = record()
    record()

    _behind_the_triggers_back("UPDATE audit_auditrecord SET outcome = 'failed' WHERE id = %s", [victim.id])

    with pytest.raises(CommandError, match=f"#{victim.id}: its content does not match its hash"):
        _verify()


@pytest.mark.django_db
def test_removed_record_is_caught():
    record()
    victim = record()
    after = record()

    _behind_the_triggers_back("DELETE FROM audit_auditrecord WHERE id = %s", [victim.id])

    with pytest.raises(CommandError, match=f"#{after.id}: its prev_hash does not match"):
        _verify()


@pytest.mark.django_db
def test_detail_page_shows_a_broken_link(auditor_client):
    victim = record()
    _behind_the_triggers_back("UPDATE audit_auditrecord SET actor_name = 'someone-else' WHERE id = %s", [victim.id])

    page = auditor_client.get(reverse("audit:audit-detail", args=[victim.id])).content.decode()

    assert "broken" in page and "does not match its hash" in page


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_chain():
    results = run_together(lambda: [record() for _ in range(10)], threads=8)

    assert not [result for result in results if isinstance(result, Exception)]
    assert AuditRecord.objects.count() == 80
    assert _verify() == "80 records, chain intact"


@pytest.mark.django_db
def test_hostile_values_are_stored_and_keep_the_chain_intact():
    record(
        vps_name="x\x00y",
        hostup_request_id="req_" + "z" * 200,
        problem_detail="lone \ud800 surrogate",
        problem={"retryAfter": None, "detail": "\x00"},
        request_body={"rackId": "a\x00b"},
    )

    assert _verify() == f"{AuditRecord.objects.count()} records, chain intact"
    stored = AuditRecord.objects.get(vps_name="x\ufffdy")
    assert len(stored.hostup_request_id) == 64

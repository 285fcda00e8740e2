"""manage.py bulk_action: a run done in the command's own process, audited as --as."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from hostup_dash.audit.models import AuditRecord
from hostup_dash.bulk.models import BulkRun
from hostup_dash.bulk.services import SKIP_NOT_ALLOCATED
from tests.bulk.helpers import drifted, posts_to
from tests.factories import action_trail, pick_vps, synced

pytestmark = pytest.mark.django_db


def test_drifted_refreshes_every_drifted_vps_as_the_named_user(hostup, make_user):
    make_user("operator", "alice")
    vps_ids = drifted(hostup, 3)
    out = StringIO()

    summary = call_command("bulk_action", "refresh-next-hop", "--as", "alice", "--drifted", stdout=out)

    run = BulkRun.objects.get()
    assert summary == f"Bulk run #{run.id}: 3 succeeded, 0 skipped, 0 failed, 0 unknown, of 3."
    assert len(out.getvalue().splitlines()) == 3 + 1  # one line per VPS and the summary
    assert all(posts_to(hostup, vps_id) == 1 for vps_id in vps_ids)
    outcomes = AuditRecord.objects.filter(bulk_run_id=run.id, outcome="succeeded")
    assert set(outcomes.values_list("actor_name", flat=True)) == {"alice"}


def test_named_vpses_say_why_they_were_skipped(hostup, make_user):
    make_user("operator", "alice")
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)
    out = StringIO()

    call_command("bulk_action", "refresh-next-hop", "--as", "alice", "--vps", vps_id, stdout=out)

    assert f"{vps_id}: skipped — {SKIP_NOT_ALLOCATED}" in out.getvalue()


def test_a_failed_item_makes_the_command_exit_non_zero(hostup, make_user):
    make_user("operator", "alice")
    [vps_id] = drifted(hostup, 1)
    hostup.fail_next("internal", path_prefix=f"/api/v2/vps/{vps_id}/")

    with pytest.raises(CommandError, match="0 succeeded, 0 skipped, 1 failed"):
        call_command("bulk_action", "refresh-next-hop", "--as", "alice", "--vps", vps_id, stdout=StringIO())


def test_a_user_without_the_permission_is_refused_and_the_refusal_audited(hostup, make_user):
    make_user("viewer", "victor")

    with pytest.raises(CommandError, match="The viewer role may not do this"):
        call_command("bulk_action", "allocate", "--as", "victor", "--vps", "vps_" + "0" * 26, stdout=StringIO())

    assert action_trail() == [("allocate", "refused")]
    assert hostup.calls == []


def test_an_unknown_user_is_refused():
    with pytest.raises(CommandError, match="No user named nobody-here"):
        call_command("bulk_action", "allocate", "--as", "nobody-here", "--vps", "vps_" + "0" * 26, stdout=StringIO())

"""The database itself refuses a change request decided by its requester, whatever code tries."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hostup_dash.approvals.models import ChangeRequest, seen_state_hash
from hostup_dash.approvals.services import SELF_DECISION, change_request_approve
from hostup_dash.core.errors import Refusal

TABLE = ChangeRequest._meta.db_table


def _request(user) -> ChangeRequest:
    return ChangeRequest.objects.create(
        action="release",
        vps_id="vps_" + "1" * 26,
        requested_by=user,
        requested_by_name=user.username,
        seen_hash=seen_state_hash(action="release", vps_id="vps_" + "1" * 26, prefix="", next_hop=""),
        expires_at=timezone.now() + timezone.timedelta(hours=1),
    )


@pytest.mark.django_db
def test_an_update_making_the_requester_the_decider_is_refused(make_user):
    change = _request(make_user("admin", "alice"))

    with pytest.raises(IntegrityError, match="approvals_decider_is_not_requester"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {TABLE} SET decided_by_id = requested_by_id, status = 'approved' WHERE id = %s", [change.id]
            )


@pytest.mark.django_db
def test_the_same_name_as_decider_is_refused_too(make_user):
    change = _request(make_user("admin", "alice"))

    with pytest.raises(IntegrityError, match="approvals_decider_name_is_not_requester"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {TABLE} SET decided_by_name = requested_by_name WHERE id = %s", [change.id])


@pytest.mark.django_db
def test_an_insert_decided_by_its_requester_is_refused(make_user):
    alice = make_user("admin", "alice")

    with pytest.raises(IntegrityError, match="approvals_decider_is_not_requester"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (created_at, action, vps_id, vps_name, rack_id, reason, ticket, requested_by_id,"
                " requested_by_name, requested_by_role, client_ip, seen_prefix, seen_next_hop, seen_hash, status,"
                " status_detail, decided_by_id, decided_by_name, decided_by_role, expires_at)"
                " VALUES (now(), 'release', 'vps_x', '', '', '', '', %s, 'alice', 'admin', '', '', '', '', 'approved',"
                " '', %s, 'someone else', '', now())",
                [alice.id, alice.id],
            )


@pytest.mark.django_db
def test_another_decider_is_accepted(make_user):
    change = _request(make_user("admin", "alice"))
    bob = make_user("approver", "bob")

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET decided_by_id = %s, decided_by_name = 'bob' WHERE id = %s", [bob.id, change.id]
        )

    change.refresh_from_db()
    assert change.decided_by == bob


@pytest.mark.django_db
def test_the_service_refuses_the_requester_before_the_database_would(make_user):
    alice = make_user("admin", "alice")
    change = _request(alice)

    with pytest.raises(Refusal) as refused:
        change_request_approve(actor=alice, change_request_id=change.id, client_ip=None)

    assert refused.value.code == SELF_DECISION
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.PENDING

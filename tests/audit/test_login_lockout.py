"""A locked-out login flood leaves one audit record per locked-out username or address per cool-off window."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hostup_dash.accounts.models import LoginLockout
from hostup_dash.audit.models import AuditRecord
from tests.factories import run_together

Action = AuditRecord.Action
ADDRESS = "198.51.100.9"


def _fail(username: str = "operator", address: str = ADDRESS) -> int:
    return Client(REMOTE_ADDR=address).post(reverse("login"), {"username": username, "password": "wrong"}).status_code


def _lock_out(**kwargs) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _fail(**kwargs)


def _trail() -> list[str]:
    return list(AuditRecord.objects.order_by("id").values_list("action", flat=True))


@pytest.mark.django_db
def test_each_attempt_up_to_the_lockout_leaves_one_record(make_user):
    make_user("operator")

    _lock_out()

    limit = settings.AXES_FAILURE_LIMIT
    assert _trail() == [Action.LOGIN_FAILED] * (limit - 1) + [Action.LOGIN_LOCKED_OUT]


@pytest.mark.django_db(transaction=True)
def test_a_flood_after_the_lockout_adds_no_record_but_counts(make_user):
    make_user("operator")
    _lock_out()

    statuses = run_together(lambda: [_fail() for _ in range(5)], threads=10)

    assert {status for batch in statuses for status in batch} == {429}
    assert len(_trail()) == settings.AXES_FAILURE_LIMIT
    counts = dict(LoginLockout.objects.values_list("kind", "attempts"))
    assert counts == {LoginLockout.Kind.USERNAME: 51, LoginLockout.Kind.ADDRESS: 51}


@pytest.mark.django_db
def test_new_usernames_from_a_locked_out_address_add_no_record(make_user):
    for number in range(settings.AXES_FAILURE_LIMIT):
        _fail(username=f"guess-{number}")

    for number in range(10):
        _fail(username=f"more-{number}")

    assert _trail().count(Action.LOGIN_LOCKED_OUT) == 1
    assert LoginLockout.objects.get(kind=LoginLockout.Kind.ADDRESS, value=ADDRESS).attempts == 11


@pytest.mark.django_db
def test_the_next_window_is_recorded_with_the_last_windows_count(make_user):
    make_user("operator")
    _lock_out()
    _fail(), _fail()
    LoginLockout.objects.update(window_started_at=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

    _fail()

    records = AuditRecord.objects.filter(action=Action.LOGIN_LOCKED_OUT).order_by("id")
    assert [record.request_body.get("attempts_in_last_window") for record in records] == [None, 3]

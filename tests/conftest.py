"""Fixtures shared by every test: the simulator on a free port, settings bound to it,
and one user (and logged-in client) per role."""

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

from hostup_dash.accounts.roles import Role
from hostup_dash.accounts.services import role_groups_ensure
from hostup_dash.hostup import HostupClient
from hostup_dash.simulator.server import Simulator, SimulatorConfig

FULL_TOKEN = "test-full-token"
READ_TOKEN = "test-read-token"
PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _audit_flush_allowed(request, _django_db_helper):
    """Let a transactional test's final flush empty the append-only audit table.

    The audit triggers refuse TRUNCATE; only a superuser session in replica mode skips
    triggers. Set up after pytest-django's database helper, so this runs before its flush.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    yield
    if transactional:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")


@pytest.fixture(autouse=True)
def _audit_triggers_on(request, _django_db_helper):
    """A connection left in replica mode by the last flush must fire the triggers again."""
    if request.node.get_closest_marker("django_db"):
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Production hashing costs 0.25 s per user; tests make hundreds of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _actions_without_approval(settings):
    """Actions run at once, as with APPROVAL_REQUIRED_FOR empty: these tests are of the actions themselves.
    tests/approvals/ turns the default (release needs approval) back on for its own tests."""
    settings.APPROVAL_REQUIRED_FOR = []


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    """A fresh simulator per test, so state never leaks between tests."""
    sim = Simulator(SimulatorConfig(vps_count=12, seed=7, full_token=FULL_TOKEN, read_token=READ_TOKEN)).start()
    yield sim
    sim.stop()


@pytest.fixture
def hostup_client(simulator: Simulator) -> Iterator[HostupClient]:
    client = HostupClient(base_url=simulator.url, token=FULL_TOKEN, timeout=2.0)
    yield client
    client.close()


@pytest.fixture
def hostup(settings, simulator: Simulator) -> Simulator:
    """Point the dashboard at the simulator."""
    settings.HOSTUP_API_URL = simulator.url
    settings.HOSTUP_API_TOKEN = FULL_TOKEN
    settings.HOSTUP_TIMEOUT = 2.0
    return simulator


@pytest.fixture
def make_user(django_user_model):
    # Tests with transaction=True flush the groups the migration made; put them back.
    role_groups_ensure()

    def make(role: str | None, username: str | None = None):
        user = django_user_model.objects.create_user(
            username=username or (role or "nobody"), password=PASSWORD, is_staff=role == Role.ADMIN
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


def _logged_in(make_user, role: str | None) -> Client:
    client = Client()
    client.force_login(make_user(role))
    return client


@pytest.fixture
def viewer_client(make_user) -> Client:
    return _logged_in(make_user, Role.VIEWER)


@pytest.fixture
def operator_client(make_user) -> Client:
    return _logged_in(make_user, Role.OPERATOR)


@pytest.fixture
def auditor_client(make_user) -> Client:
    return _logged_in(make_user, Role.AUDITOR)


@pytest.fixture
def admin_client_role(make_user) -> Client:
    return _logged_in(make_user, Role.ADMIN)


@pytest.fixture
def role_client(make_user):
    """A logged-in client for any role name (None: a user without a role)."""
    return lambda role: _logged_in(make_user, role)


@pytest.fixture
def start_worker(hostup):
    """Start real Procrastinate workers against the test database and the simulator; all stop at the end."""
    from procrastinate.contrib.django.models import ProcrastinateJob

    from tests.worker.harness import WorkerProcess

    started: list[WorkerProcess] = []
    # Procrastinate's tables are not Django's to flush: a job left waiting would hold its
    # queueing lock in later tests, so the jobs made from here on go with the workers.
    jobs_before = ProcrastinateJob.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def start(*, queues: list[str] | None = None, **env: str) -> WorkerProcess:
        worker = WorkerProcess(hostup_url=hostup.url, token=FULL_TOKEN, queues=queues, env=env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    ProcrastinateJob.objects.filter(id__gt=jobs_before).delete()

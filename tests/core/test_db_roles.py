"""The least-privilege database role (issue 16, finding 8).

`db_roles --apply` sets DATABASE_URL's user up as the dashboard's role. Connected as it, the
dashboard and the worker do their work, while every statement that could rewrite the audit
trail is refused. `migrate` and `db_roles` connect as MIGRATE_DATABASE_URL's owner.
Tests start as the owner; the `runtime_role` fixture switches Django's connection to the role.
"""

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, OperationalError, connection
from psycopg import sql

from hostup_dash.audit.models import AuditRecord
from hostup_dash.audit.services import audit_append
from hostup_dash.core.checks import audit_tables_append_only
from hostup_dash.core.database import owner_settings, psycopg_params
from hostup_dash.inventory.models import SyncRun
from hostup_dash.inventory.services.sync import inventory_refresh_request
from tests.worker.harness import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

PERMISSION_DENIED = "permission denied for table audit_auditrecord"
NOT_OWNER = "must be owner of table audit_auditrecord"
REWRITES = {
    "UPDATE audit_auditrecord SET actor_name = 'someone else'": PERMISSION_DENIED,
    "DELETE FROM audit_auditrecord": PERMISSION_DENIED,
    "TRUNCATE audit_auditrecord": PERMISSION_DENIED,
    "ALTER TABLE audit_auditrecord DISABLE TRIGGER audit_record_no_update_delete": NOT_OWNER,
    "CREATE TRIGGER rewrite BEFORE INSERT ON audit_auditrecord "
    "FOR EACH ROW EXECUTE FUNCTION audit_record_refuse_change()": PERMISSION_DENIED,
    "SET session_replication_role = replica": 'permission denied to set parameter "session_replication_role"',
}


def _unique_role() -> str:
    """Roles are cluster-wide and other test runs share the server: a name no one else uses."""
    return f"hd_test_runtime_{uuid.uuid4().hex[:12]}"


@contextmanager
def _connection_settings(**changes: object) -> Iterator[None]:
    """Django's default connection with other settings inside the block (a new session on each side)."""
    saved = {key: connection.settings_dict[key] for key in changes}
    connection.close()
    connection.settings_dict.update(changes)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def _as_owner(statement: sql.Composable) -> None:
    with psycopg.connect(**psycopg_params(owner_settings()), autocommit=True) as owner:
        owner.execute(statement)


def _db_roles(*args: str) -> str:
    out = io.StringIO()
    call_command("db_roles", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def runtime_role() -> Iterator[str]:
    """A new role set up by `db_roles --apply` as DATABASE_URL's user; the test connects as it."""
    role = _unique_role()
    with _connection_settings(USER=role):
        _db_roles("--apply")
        yield role
    _as_owner(sql.SQL("DROP OWNED BY {role}; DROP ROLE {role}").format(role=sql.Identifier(role)))


def _record() -> AuditRecord:
    return audit_append(actor_name="operator", action=AuditRecord.Action.LOGIN, outcome=AuditRecord.Outcome.SUCCEEDED)


def _current_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def test_runtime_role_appends_and_reads_audit_records(runtime_role):
    record = _record()

    assert _current_user() == runtime_role
    assert AuditRecord.objects.get(pk=record.pk).hash == record.hash


@pytest.mark.parametrize("statement", REWRITES)
def test_runtime_role_is_refused_each_statement_that_could_rewrite_the_trail(runtime_role, statement):
    _record()

    with pytest.raises(DatabaseError, match=REWRITES[statement]), connection.cursor() as cursor:
        cursor.execute(statement)


def test_runtime_role_owns_nothing_and_is_no_superuser(runtime_role):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, "
            "(SELECT count(*) FROM pg_class WHERE relowner = r.oid) FROM pg_roles r WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (False, False, False, 0)


def test_runtime_role_writes_the_other_tables(runtime_role):
    user = User.objects.create_user(username="new-operator", password="a-long-test-password")
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.delete()

    assert not User.objects.filter(username="new-operator").exists()


def test_worker_as_runtime_role_runs_its_jobs(runtime_role, start_worker):
    start_worker(queues=["sync"])

    inventory_refresh_request()  # False when the worker's own tick has queued one already
    wait_for(lambda: SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).exists(), timeout=30)


def test_db_roles_again_takes_update_and_delete_from_a_new_audit_table(runtime_role):
    table = sql.Identifier("audit_test_" + runtime_role[-12:])
    _as_owner(sql.SQL("CREATE TABLE {} (id integer)").format(table))
    try:
        _db_roles("--apply")

        with pytest.raises(DatabaseError, match="permission denied for table"), connection.cursor() as cursor:
            cursor.execute(sql.SQL("DELETE FROM {}").format(table).as_string())
    finally:
        _as_owner(sql.SQL("DROP TABLE {}").format(table))


def test_db_roles_prints_the_sql_without_running_it():
    role = _unique_role()
    with _connection_settings(USER=role):
        printed = _db_roles().splitlines()

    assert printed[0] == f'CREATE ROLE "{role}" LOGIN;'
    assert printed[-1].startswith("REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ")
    assert '"audit_auditrecord"' in printed[-1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [role])
        assert cursor.fetchone() == (0,)


def test_printed_sql_names_the_password_without_showing_it():
    role = _unique_role()
    with _connection_settings(USER=role, PASSWORD="s3cret-runtime-password"):
        printed = _db_roles()

    assert "s3cret-runtime-password" not in printed
    assert f"CREATE ROLE \"{role}\" LOGIN PASSWORD '<the password in DATABASE_URL>';" in printed


def test_db_roles_refuses_when_one_user_is_both_roles():
    with pytest.raises(CommandError, match="connect as the same user"):
        _db_roles()


def test_migrate_connects_as_migrate_database_url_user(settings):
    settings.MIGRATE_DATABASE = {**settings.MIGRATE_DATABASE, "USER": "hd_test_no_such_owner"}

    with pytest.raises(OperationalError, match='role "hd_test_no_such_owner" does not exist'):
        call_command("migrate", "--plan", stdout=io.StringIO())


def test_check_deploy_warns_when_the_user_can_rewrite_the_audit_trail():
    [warning] = audit_tables_append_only(None)

    assert warning.id == "hostup_dash.W002"
    assert "audit_auditrecord" in warning.msg


def test_check_deploy_is_quiet_for_the_runtime_role(runtime_role):
    assert audit_tables_append_only(None) == []


def test_check_deploy_is_quiet_without_a_database():
    with _connection_settings(PORT=9):
        assert audit_tables_append_only(None) == []

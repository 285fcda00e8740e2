"""Postgres itself refuses to change or remove audit records (raw SQL, past the ORM)."""

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from tests.audit.test_audit_list import record


def _refused(sql: str, params: list | None = None) -> str:
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])
    return str(caught.value)


@pytest.mark.django_db
def test_update_is_refused():
    row = record()

    message = _refused("UPDATE audit_auditrecord SET outcome = 'failed' WHERE id = %s", [row.id])

    assert "append-only" in message and "UPDATE" in message


@pytest.mark.django_db
def test_delete_is_refused():
    row = record()

    assert "DELETE" in _refused("DELETE FROM audit_auditrecord WHERE id = %s", [row.id])


@pytest.mark.django_db
def test_truncate_is_refused():
    record()

    assert "TRUNCATE" in _refused("TRUNCATE audit_auditrecord")


@pytest.mark.django_db
def test_orm_delete_is_refused_too():
    row = record()

    with pytest.raises(DatabaseError), transaction.atomic():
        row.delete()


@pytest.mark.django_db
def test_inserting_is_allowed():
    assert record().pk is not None

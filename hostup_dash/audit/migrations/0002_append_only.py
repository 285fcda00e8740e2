"""Postgres itself refuses to change or remove audit records.

UPDATE, DELETE and TRUNCATE on the audit table raise an error whoever sends them,
the Django ORM, a psql session or the admin. Only a superuser who disables the
triggers (or sets session_replication_role = replica) can get past them, and
`audit_verify` then finds the broken hash chain.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION audit_record_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_record_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_auditrecord
    FOR EACH ROW EXECUTE FUNCTION audit_record_refuse_change();
CREATE TRIGGER audit_record_no_truncate
    BEFORE TRUNCATE ON audit_auditrecord
    FOR EACH STATEMENT EXECUTE FUNCTION audit_record_refuse_change();
"""

DROP = """
DROP TRIGGER audit_record_no_truncate ON audit_auditrecord;
DROP TRIGGER audit_record_no_update_delete ON audit_auditrecord;
DROP FUNCTION audit_record_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]

"""Postgres refuses to change or remove checkpoints and signing keys, as it does audit records.

The trigger function is the audit log's own (audit migration 0002). Only a superuser who
switches triggers off gets past it, and the checkpoint files outside the database then
still show what was signed.
"""

from django.db import migrations

TABLES = ("audit_checkpoint", "audit_signingkey")

CREATE = "".join(
    f"""
CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION audit_record_refuse_change();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_record_refuse_change();
"""
    for table in TABLES
)

DROP = "".join(
    f"DROP TRIGGER {table}_no_truncate ON {table}; DROP TRIGGER {table}_no_update_delete ON {table};"
    for table in TABLES
)


class Migration(migrations.Migration):
    dependencies = [("checkpoints", "0001_initial"), ("audit", "0002_append_only")]

    operations = [migrations.RunSQL(CREATE, DROP)]

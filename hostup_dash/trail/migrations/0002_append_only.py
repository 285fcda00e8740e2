"""Postgres refuses to change or remove imported HostUp events, as it does our audit records.

The trigger function is the audit log's own (audit migration 0002). A re-import inserts with
ON CONFLICT DO NOTHING, so it never needs to rewrite a row.
"""

from django.db import migrations

TABLE = "audit_hostupevent"

CREATE = f"""
CREATE TRIGGER {TABLE}_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_record_refuse_change();
CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_record_refuse_change();
"""

DROP = f"DROP TRIGGER {TABLE}_no_truncate ON {TABLE}; DROP TRIGGER {TABLE}_no_update_delete ON {TABLE};"


class Migration(migrations.Migration):
    dependencies = [("trail", "0001_initial"), ("audit", "0002_append_only")]

    operations = [migrations.RunSQL(CREATE, DROP)]

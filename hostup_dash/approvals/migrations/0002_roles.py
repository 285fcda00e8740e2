"""Give the roles their change-request permissions: admin and the new approver role approve; operators,
auditors and approvers see the requests."""

from django.db import migrations

from hostup_dash.accounts.services import role_groups_migrate


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial"), ("accounts", "0003_login_lockout")]

    operations = [migrations.RunPython(role_groups_migrate, migrations.RunPython.noop)]

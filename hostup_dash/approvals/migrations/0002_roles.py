"""Give approve_change to the admin role and to the new approver role."""

from django.db import migrations

from hostup_dash.accounts.services import role_groups_migrate


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial"), ("accounts", "0003_login_lockout")]

    operations = [migrations.RunPython(role_groups_migrate, migrations.RunPython.noop)]

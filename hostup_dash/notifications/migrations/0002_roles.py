"""Give the admin role the webhooks and their delivery logs (Django admin)."""

from django.db import migrations

from hostup_dash.accounts.services import role_groups_migrate


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial"), ("accounts", "0003_login_lockout")]

    operations = [migrations.RunPython(role_groups_migrate, migrations.RunPython.noop)]

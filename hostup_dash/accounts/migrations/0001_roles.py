"""Create the four role groups with their permissions."""

from django.db import migrations

from hostup_dash.accounts.services import role_groups_migrate


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["viewer", "operator", "auditor", "admin"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("inventory", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [migrations.RunPython(role_groups_migrate, remove_roles)]

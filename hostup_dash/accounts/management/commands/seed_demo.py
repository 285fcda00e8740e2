"""Create one demo user per role (username = role name). Idempotent."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from hostup_dash.accounts.roles import Role
from hostup_dash.accounts.services import role_groups_ensure


class Command(BaseCommand):
    help = "Create the demo users viewer, operator, auditor and admin; password from DEMO_PASSWORD or random."

    def handle(self, *args, **options) -> str:
        User = get_user_model()
        role_groups_ensure()
        # A random password is printed once, on the run that creates the users.
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
        created = []
        for role in Role:
            user, is_new = User.objects.get_or_create(username=role.value)
            if is_new or os.environ.get("DEMO_PASSWORD"):
                user.set_password(password)
                # Admins manage users in the Django admin through their group's permissions, not as superusers.
                user.is_staff = role == Role.ADMIN
                user.save()
            user.groups.set([Group.objects.get(name=role.value)])
            if is_new:
                created.append(role.value)
        if not created and not os.environ.get("DEMO_PASSWORD"):
            return "Demo users exist already (viewer, operator, auditor, admin); their passwords are unchanged."
        names = ", ".join(role.value for role in Role)
        return f"Demo users {names} — password: {password}"

"""Create one demo user per role (username = role name). Idempotent; every change is audited."""

import os
import secrets

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from hostup_dash.accounts import services
from hostup_dash.accounts.roles import Role

VIA = "seed_demo"


class Command(BaseCommand):
    help = "Create one demo user per role (named after it, approver too); password from DEMO_PASSWORD or random."

    def handle(self, *args, **options) -> str:
        services.role_groups_ensure()
        # A random password is printed once, on the run that creates the users.
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
        created = []
        for role in Role:
            # Admins manage users in the Django admin through their group's permissions, not as superusers.
            account = {"role": role.value, "is_staff": role == Role.ADMIN, "via": VIA, "actor": None, "client_ip": None}
            user = User.objects.filter(username=role.value).first()
            if user is None:
                services.user_create(username=role.value, password=password, **account)
                created.append(role.value)
                continue
            if os.environ.get("DEMO_PASSWORD"):
                services.user_password_set(actor=None, user=user, password=password, via=VIA, client_ip=None)
            services.user_role_set(user=user, **account)
        names = ", ".join(role.value for role in Role)
        if not created and not os.environ.get("DEMO_PASSWORD"):
            return f"Demo users exist already ({names}); their passwords are unchanged."
        return f"Demo users {names} — password: {password}"

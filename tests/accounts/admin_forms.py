"""The POST bodies of the Django admin's user forms."""

from django.contrib.auth.models import Group, Permission, User


def change_form(user: User, groups: list[str], permissions: tuple[str, ...] = (), **flags) -> dict:
    return {
        "user_permissions": [str(Permission.objects.get(codename=codename).pk) for codename in permissions],
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        **{name: "on" for name, on in flags.items() if on},
        "groups": [str(Group.objects.get(name=name).pk) for name in groups],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }

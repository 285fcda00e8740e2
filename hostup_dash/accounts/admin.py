"""Admins create users and give them roles in the Django admin; every role change is audited."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from hostup_dash.audit import services as audit
from hostup_dash.core.http import client_ip

from .roles import user_role


def _role_facts(user: User) -> dict[str, Any]:
    """What decides a user's rights: the role, the groups, direct permissions and the admin flags."""
    if user.pk is None:
        return {}
    user.__dict__.pop("_hostup_role", None)  # the groups may have just changed
    return {
        "role": user_role(user),
        "groups": sorted(user.groups.values_list("name", flat=True)),
        # Permissions given to the user directly grant rights beside the role's.
        "permissions": sorted(
            f"{app}.{codename}"
            for app, codename in user.user_permissions.values_list("content_type__app_label", "codename")
        ),
        "is_superuser": user.is_superuser,
        "is_staff": user.is_staff,
        "is_active": user.is_active,
    }


class AuditedUserAdmin(UserAdmin):
    def save_model(self, request, obj: User, form, change: bool) -> None:
        # Read the stored user, not `obj`: the form has already copied the new flags onto it.
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        request._role_before = _role_facts(stored) if stored else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # the groups are saved here
        user = form.instance
        before, after = request._role_before, _role_facts(user)
        if before != after:
            audit.audit_role_change_record(
                actor=request.user, user=user, before=before, after=after, client_ip=client_ip(request)
            )


admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)

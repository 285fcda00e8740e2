"""Admins manage users in the Django admin; every change to an account is audited.

Only a superuser may grant or remove superuser or staff status, give permissions directly,
or touch a superuser's account: the admin role manages the four role groups and nothing more.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db import transaction

from hostup_dash.core.http import client_ip
from hostup_dash.sso import services as sso

from . import services
from .models import LoginLockout
from .roles import Role

VIA_ADMIN = "admin"
SUPERUSER_ONLY_FIELDS = ("is_superuser", "is_staff", "user_permissions")
FLAGS_REFUSED = "Only a superuser may grant or remove superuser or staff status."


def _may_touch(request, user: User | None) -> bool:
    # Setting a superuser's password, or editing the account, would be a way to become one.
    return user is None or not user.is_superuser or request.user.is_superuser


class BreakGlassUserChangeForm(UserChangeForm):
    is_break_glass = forms.BooleanField(
        label="Break-glass account",
        required=False,
        help_text="May log in with a password at /accounts/login/?local=1 while LOCAL_LOGIN is off (single "
        "sign-on only); every such login is audited as a break-glass login.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["is_break_glass"].initial = self.instance.pk is not None and sso.break_glass_ticked(self.instance)


class AuditedUserAdmin(UserAdmin):
    form = BreakGlassUserChangeForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        # Like the staff flag, the box decides who may bypass single sign-on: a superuser's to tick.
        if obj is None or not request.user.is_superuser:
            return fieldsets
        return (*fieldsets, ("Single sign-on", {"fields": ("is_break_glass",)}))

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.is_superuser else (*fields, *SUPERUSER_ONLY_FIELDS)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=Role.values)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and _may_touch(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and _may_touch(request, obj)

    def save_model(self, request, obj: User, form, change: bool) -> None:
        # Read the stored user, not `obj`: the form has already copied the new values onto it.
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        flags_before = (stored.is_superuser, stored.is_staff) if stored else (False, False)
        if not request.user.is_superuser and (obj.is_superuser, obj.is_staff) != flags_before:
            raise PermissionDenied(FLAGS_REFUSED)
        request._account_before = services.user_facts(stored) if stored else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # the groups are saved here
        services.user_change_audit(
            actor=request.user,
            before=request._account_before,
            after=services.user_facts(form.instance),
            via=VIA_ADMIN,
            client_ip=client_ip(request),
        )
        if change and request.user.is_superuser:
            sso.break_glass_set(
                actor=request.user,
                user=form.instance,
                is_break_glass=form.cleaned_data["is_break_glass"],
                via=VIA_ADMIN,
                client_ip=client_ip(request),
            )

    def user_change_password(self, request, id, form_url=""):
        # Django's view saves the password itself; a changed hash is what tells that it did.
        with transaction.atomic():
            stored = self.get_object(request, unquote(id))
            response = super().user_change_password(request, id, form_url)
            user = User.objects.filter(pk=stored.pk).first() if stored else None
            if user and user.password != stored.password:
                services.user_password_audit(actor=request.user, user=user, via=VIA_ADMIN, client_ip=client_ip(request))
        return response

    def delete_model(self, request, obj: User) -> None:
        services.user_delete(actor=request.user, user=obj, via=VIA_ADMIN, client_ip=client_ip(request))

    def delete_queryset(self, request, queryset) -> None:
        # The list's bulk delete asks has_delete_permission without the objects.
        if not all(_may_touch(request, user) for user in queryset):
            raise PermissionDenied
        with transaction.atomic():
            for user in queryset:
                self.delete_model(request, user)


@admin.register(LoginLockout)
class LoginLockoutAdmin(admin.ModelAdmin):
    """Read-only: how many locked-out attempts each username and address made in its current window."""

    list_display = ("kind", "value", "attempts", "window_started_at")
    list_filter = ("kind",)
    search_fields = ("value",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)

"""A read-only view of the audit log in the Django admin (records cannot be changed anyway)."""

from django.contrib import admin

from .models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "actor_name", "action", "vps_name", "outcome", "http_status", "result_prefix")
    list_filter = ("action", "outcome")
    search_fields = ("vps_id", "vps_name", "actor_name", "result_prefix")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

"""Webhooks in the Django admin, for admins: added (the secret shown once, on the page that follows),
their events changed or switched off, removed; each audited. Deliveries are a read-only log.

The secret is never a form field, a column or part of a change message: the add page's answer
is the only page that ever holds it, and that page is not cached.
"""

from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from hostup_dash.core.http import client_ip

from . import services
from .models import Delivery, Event, Webhook, url_for_display

VIA_ADMIN = "admin"
SECRET_TEMPLATE = "notifications/webhook_secret.html"


class WebhookForm(forms.ModelForm):
    events = forms.MultipleChoiceField(choices=Event.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Webhook
        fields = ("url", "events", "active")
        help_texts = {"url": "http:// or https:// only. Redirects are never followed."}


def _delivery_log_url(webhook: Webhook) -> str:
    return reverse("admin:notifications_delivery_changelist") + f"?webhook__id__exact={webhook.pk}"


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = (
        "id",
        "shown_url",
        "shown_events",
        "active",
        "failing_since",
        "created_by",
        "created_at",
        "delivery_log",
    )
    list_filter = ("active",)
    list_select_related = ("created_by",)

    def get_readonly_fields(self, request, obj=None):
        # Pointing a webhook elsewhere is a removal and an addition, each in the audit log.
        return ("url", "failing_since", "created_by", "created_at", "delivery_counts") if obj else ()

    @admin.display(description="URL")
    def shown_url(self, webhook: Webhook) -> str:
        return url_for_display(webhook.url)

    @admin.display(description="events")
    def shown_events(self, webhook: Webhook) -> str:
        return ", ".join(webhook.events)

    @admin.display(description="deliveries")
    def delivery_log(self, webhook: Webhook) -> str:
        return format_html('<a href="{}">delivery log</a>', _delivery_log_url(webhook))

    @admin.display(description="deliveries")
    def delivery_counts(self, webhook: Webhook) -> str:
        counts = webhook.deliveries.aggregate(
            **{status: Count("pk", filter=Q(status=status)) for status in Delivery.Status.values}
        )
        return format_html(
            '{} pending, {} delivered, {} failed: <a href="{}">the delivery log</a>',
            counts["pending"],
            counts["delivered"],
            counts["failed"],
            _delivery_log_url(webhook),
        )

    def save_model(self, request, obj: Webhook, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            if form.changed_data:
                services.webhook_change_audit(
                    webhook=obj,
                    changed=form.changed_data,
                    actor=request.user,
                    via=VIA_ADMIN,
                    client_ip=client_ip(request),
                )
            return
        created = services.webhook_create(
            url=obj.url,
            events=obj.events,
            active=obj.active,
            actor=request.user,
            via=VIA_ADMIN,
            client_ip=client_ip(request),
        )
        obj.pk = created.webhook.pk
        obj.refresh_from_db()
        request._webhook_secret = created.secret  # for response_add, this request only

    def response_add(self, request, obj: Webhook, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "webhook": obj,
            "url": url_for_display(obj.url),
            "secret": request._webhook_secret,
        }
        response = TemplateResponse(request, SECRET_TEMPLATE, context)
        response["Cache-Control"] = "no-store"  # the admin's never_cache adds the rest
        return response

    def delete_model(self, request, obj: Webhook) -> None:
        services.webhook_remove(webhook_id=obj.pk, actor=request.user, via=VIA_ADMIN, client_ip=client_ip(request))

    def delete_queryset(self, request, queryset) -> None:
        for webhook in queryset:
            self.delete_model(request, webhook)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # The delivery log goes with its webhook; no one deletes deliveries on their own.
        perms_needed.discard(Delivery._meta.verbose_name)
        return deleted, counts, perms_needed, protected


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Each webhook's delivery log: what was sent, when, how many attempts, what the receiver answered."""

    # How an attempt went, in the list and on each delivery's page.
    OUTCOME = ("status", "attempts", "last_status_code", "last_error", "last_attempt_at", "next_attempt_at")
    list_display = ("created_at", "webhook", "event", *OUTCOME)
    list_filter = ("status", "event", "webhook")
    list_select_related = ("webhook",)
    fields = ("uuid", "webhook", "event", "created_at", *OUTCOME, "finished_at", "body")
    readonly_fields = fields

    @admin.display(description="body as sent")
    def body(self, delivery: Delivery) -> str:
        return bytes(delivery.payload).decode("utf-8", "replace")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

"""List the webhooks (never their secrets) with how their deliveries stand."""

from django.core.management.base import BaseCommand
from django.db.models import Count, Q

from hostup_dash.notifications.models import Delivery, Webhook, url_for_display

Status = Delivery.Status


class Command(BaseCommand):
    help = "List the outgoing webhooks: id, state, URL (without password or query), events, deliveries. No secrets."

    def handle(self, *args, **options) -> str:
        webhooks = Webhook.objects.annotate(
            **{status: Count("deliveries", filter=Q(deliveries__status=status)) for status in Status.values}
        )
        for webhook in webhooks:
            state = "active" if webhook.active else "off"
            self.stdout.write(
                f"#{webhook.pk} {state} {url_for_display(webhook.url)} events={','.join(webhook.events)} "
                f"pending={webhook.pending} delivered={webhook.delivered} failed={webhook.failed} "
                f"added={webhook.created_at:%Y-%m-%d %H:%M} by {webhook.created_by or 'a command'}"
            )
        return f"{len(webhooks)} webhook(s)."

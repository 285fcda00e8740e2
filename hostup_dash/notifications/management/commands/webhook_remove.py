"""Remove a webhook and its delivery log, audited."""

from django.core.management.base import BaseCommand, CommandError

from hostup_dash.notifications import services
from hostup_dash.notifications.models import Webhook


class Command(BaseCommand):
    help = "Remove an outgoing webhook by its id (see webhook_list); its pending deliveries are dropped."

    def add_arguments(self, parser) -> None:
        parser.add_argument("webhook_id", type=int, metavar="ID")

    def handle(self, *args, webhook_id: int, **options) -> str:
        try:
            services.webhook_remove(webhook_id=webhook_id, actor=None, via=services.VIA_COMMAND)
        except Webhook.DoesNotExist:
            raise CommandError(services.NO_SUCH_WEBHOOK.format(id=webhook_id)) from None
        return f"Webhook #{webhook_id} removed."

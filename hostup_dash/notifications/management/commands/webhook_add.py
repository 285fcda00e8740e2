"""Add a webhook from a shell; the generated secret is printed once, here, and never again."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hostup_dash.notifications import services
from hostup_dash.notifications.models import url_for_display


class Command(BaseCommand):
    help = (
        "Add an outgoing webhook. Without --secret-file a secret is generated and printed once: copy it into the "
        f"receiver now, it is not shown again. Events: {services.KNOWN_EVENTS}."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("url", help="Where deliveries are POSTed (http:// or https:// only).")
        parser.add_argument("--events", required=True, metavar="EVENT[,EVENT...]", help="Comma-separated events.")
        parser.add_argument("--secret-file", type=Path, help="Read the signing secret from this file (not printed).")

    def handle(self, *args, url: str, events: str, secret_file: Path | None, **options) -> str:
        try:
            secret = services.secret_file_read(secret_file) if secret_file is not None else None
            created = services.webhook_create(
                url=url, events=events, secret=secret, actor=None, via=services.VIA_COMMAND
            )
        except ValidationError as problem:
            raise CommandError(" ".join(problem.messages)) from None
        webhook = created.webhook
        if created.is_generated:
            self.stdout.write(f"Secret (shown once, never again): {created.secret}")
        return f"Webhook #{webhook.pk} added: {url_for_display(webhook.url)} for {', '.join(webhook.events)}."

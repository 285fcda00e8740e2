"""A webhook receiver for trying webhooks out: prints each delivery and whether its signature verified."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hostup_dash.notifications import services
from hostup_dash.notifications.receiver import Received, WebhookReceiver


class Command(BaseCommand):
    help = (
        "Listen for webhook deliveries on 127.0.0.1:PORT/hook and print one line per delivery: verified or not "
        "(answered 401), its event and its text. For demos; Ctrl-C stops it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8099)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--secret-file", type=Path, required=True, help="The webhook's secret, as given to webhook_add."
        )

    def handle(self, *args, port: int, host: str, secret_file: Path, **options) -> None:
        try:
            secret = services.secret_file_read(secret_file)
        except ValidationError as problem:
            raise CommandError(" ".join(problem.messages)) from None
        receiver = WebhookReceiver(secret=secret, host=host, port=port, on_receive=self._line)
        self.stdout.write(f"Listening on {receiver.url} (Ctrl-C stops).")
        self.stdout.flush()
        try:
            receiver.serve()
        except KeyboardInterrupt:
            pass
        finally:
            receiver.stop()

    def _line(self, item: Received) -> None:
        if not item.is_verified:
            self.stdout.write(f"REFUSED (bad signature) {item.event} {item.delivery_id}")
        else:
            repeat = " (a repeat, dropped)" if item.is_duplicate else ""
            self.stdout.write(f"verified {item.event} {item.delivery_id}{repeat}: {item.json().get('text', '')}")
        self.stdout.flush()

"""Check the configured HostUp API key: one harmless call per scope the dashboard needs."""

from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError

from hostup_dash.core.clients import hostup_client
from hostup_dash.hostup import HostupError

# A well-formed id no account has: a write to it is refused for the scope (403) before
# HostUp finds there is no such VPS (404), so nothing is ever changed.
NO_SUCH_VPS = "vps_" + "0" * 26


class Command(BaseCommand):
    help = (
        "Call HostUp once per needed scope (read:vm, read:network, write:network, audit:read) "
        "and say which the key lacks."
    )

    def handle(self, *args, **options) -> str:
        client = hostup_client(actor="hostup_check")
        checks = {
            "read:vm": lambda: client.list_vps_page(limit=1),
            "read:network": client.get_account_routes,
            "write:network": lambda: client.refresh_next_hop(NO_SUCH_VPS),
            # Without it the dashboard works, but HostUp's own audit log is not imported.
            "audit:read": lambda: client.list_audit_events(datetime.now(UTC) - timedelta(minutes=1), limit=1),
        }
        missing = []
        for scope, call in checks.items():
            try:
                call()
                verdict = "ok"
            except HostupError as error:
                if error.status == 401:
                    raise CommandError("HostUp does not accept the API key (401 unauthorized).") from None
                if error.status == 404 and scope == "write:network":
                    verdict = "ok"
                elif error.status == 403:
                    verdict = f"MISSING ({error.status} {error.code})"
                    missing.append(scope)
                else:
                    raise CommandError(f"HostUp could not be checked: {error.title}. {error.detail}".strip()) from None
            self.stdout.write(f"{scope:14} {verdict}")
        client.close()
        if missing:
            raise CommandError(f"The API key lacks: {', '.join(missing)}.")
        return "The API key has every scope hostup-dash needs."

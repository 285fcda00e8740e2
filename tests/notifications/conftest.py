"""A webhook receiver on a free port (a real HTTP server in a thread) and a webhook pointing at it."""

from collections.abc import Iterator

import pytest

from hostup_dash.notifications import services
from hostup_dash.notifications.receiver import WebhookReceiver

SECRET = "a-test-secret-of-some-length"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(secret=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def webhook_for(receiver):
    """A webhook to the receiver, for these events (all of them by default)."""

    def make(events: str = ",".join(services.Event.values), *, url: str | None = None):
        return services.webhook_create(
            url=url or receiver.url, events=events, secret=SECRET, actor=None, via=services.VIA_COMMAND
        ).webhook

    return make

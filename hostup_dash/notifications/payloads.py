"""What a webhook receives: the JSON body with its one-line `text`, and the signature over it."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse

SIGNATURE_HEADER = "X-Hostup-Dash-Signature"
EVENT_HEADER = "X-Hostup-Dash-Event"
DELIVERY_HEADER = "X-Hostup-Dash-Delivery"
SIGNATURE_PREFIX = "sha256="
USER_AGENT = "hostup-dash-webhooks"
# A value quoted in `text` is cut here (the JSON fields keep it whole), and the whole line here.
QUOTED_MAX = 200
TEXT_MAX = 1000
# Slack and Mattermost act on these in a message: "@channel" pings everyone, "<…>" makes links and mentions,
# and Mattermost renders Markdown, where "[words](url)" shows the words and hides where they lead.
_MENTION = re.compile(r"@(?=(?:channel|here|all|everyone)\b)", re.IGNORECASE)
_MARKDOWN_LINK = "]("


def clip(value: str, *, limit: int = QUOTED_MAX) -> str:
    """A value as `text` quotes it: one line, cut to `limit`."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chat_safe(text: str) -> str:
    """The `text` line as sent: one line, with &, < and > escaped as Slack asks and @channel-like mentions
    and Markdown links broken by a zero-width space, so no VPS name, reason or caller's text can ping a room
    or forge a link (a URL stays visible as itself)."""
    text = clip(text, limit=TEXT_MAX).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MENTION.sub("@\u200b", text).replace(_MARKDOWN_LINK, "]\u200b(")


def dashboard_link(path: str = "/") -> str:
    """An absolute link into the dashboard (DASHBOARD_URL), for the receivers' readers."""
    return settings.DASHBOARD_URL.rstrip("/") + path


def page_link(name: str, *args: object) -> str:
    """An absolute link to a named page; the dashboard's front page when the page cannot take these arguments."""
    try:
        return dashboard_link(reverse(name, args=args))
    except NoReverseMatch:
        return dashboard_link()


def vps_link(vps_id: str) -> str:
    return page_link("inventory:vps-detail", vps_id)


def vps_words(vps_id: str, vps_name: str) -> str:
    """The VPS as `text` names it: its name and id, or whichever is known."""
    if vps_name and vps_id:
        return f"{clip(vps_name)} ({clip(vps_id)})"
    return clip(vps_name or vps_id)


@dataclass(frozen=True)
class Notice:
    """One event as every subscribed webhook receives it (the JSON body's fields)."""

    event: str
    time: datetime
    text: str
    actor: str = ""
    vps_id: str = ""
    vps_name: str = ""
    action: str = ""
    outcome: str = ""
    reason: str = ""
    ticket: str = ""
    link: str = ""
    audit_record: int | None = None  # the audit record it tells of, when one does
    # What only some events carry (audit.checkpoint: the signed statement); left out of the body when empty.
    details: dict[str, Any] = field(default_factory=dict)

    def body(self) -> bytes:
        """The body as sent, byte for byte (the signature is over exactly these bytes)."""
        fields = asdict(self) | {"time": self.time.astimezone(UTC).isoformat().replace("+00:00", "Z")}
        if not self.details:
            del fields["details"]
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    """The X-Hostup-Dash-Signature value: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(secret: str, body: bytes, header: str) -> bool:
    """What a receiver checks, in constant time."""
    return hmac.compare_digest(signature(secret, body), header or "")

"""Our own refusals: attempts the dashboard turned down before anything reached HostUp.

Kept apart from HostupError so that nothing mistakes a local check for HostUp's answer:
a refusal has no HostUp status or request id, only the status the dashboard answers with.
"""

from __future__ import annotations

from hostup_dash.hostup import FieldError


class Refusal(Exception):
    """Permission, a busy VPS, a missing confirmation, or input caught before sending."""

    def __init__(
        self, *, code: str, title: str, detail: str = "", status: int = 400, errors: tuple[FieldError, ...] = ()
    ) -> None:
        super().__init__(f"{title}: {detail}" if detail else title)
        self.code = code
        self.title = title
        self.detail = detail
        self.status = status  # the dashboard's own answer, never HostUp's
        self.errors = errors

    def __repr__(self) -> str:
        return f"Refusal(status={self.status!r}, code={self.code!r})"

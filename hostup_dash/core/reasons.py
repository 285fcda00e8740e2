"""Change control's reason and ticket: the rules every write checks before anything reaches HostUp.

One place for the rules, so the VPS page, bulk runs, account routes and approvals refuse the
same input in the same words. A service calls `reason_errors` (or `reason_check`) and audits the
refusal; a form uses `ChangeReasonFields` (core/forms.py), which shows the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from hostup_dash.hostup import FieldError

from .errors import Refusal

REASON_MAX_LENGTH = 500
TICKET_MAX_LENGTH = 100
REASON_INVALID = "reason_invalid"
REASON_REQUIRED = "Give a reason for this change."
REASON_TOO_LONG = f"Keep the reason to at most {REASON_MAX_LENGTH} characters (it has {{length}})."
TICKET_TOO_LONG = f"Keep the ticket to at most {TICKET_MAX_LENGTH} characters (it has {{length}})."


@dataclass(frozen=True)
class ChangeReason:
    """Why a change is made, in its actor's words, and the ticket it belongs to (both may be blank)."""

    reason: str = ""
    ticket: str = ""

    @classmethod
    def of(cls, reason: str | None, ticket: str | None) -> ChangeReason:
        """Typed text as the rules read it: surrounding whitespace dropped."""
        return cls(reason=(reason or "").strip(), ticket=(ticket or "").strip())


def reason_required(*, always: bool = False) -> bool:
    """Whether a write needs a reason: some always do (a release), the rest when REQUIRE_CHANGE_REASON is on."""
    return always or settings.REQUIRE_CHANGE_REASON


def reason_errors(change: ChangeReason, *, required: bool) -> tuple[FieldError, ...]:
    """What is wrong with a reason and ticket, one error per field (pointers /reason and /ticket)."""
    errors = []
    if required and not change.reason:
        errors.append(FieldError(pointer="/reason", detail=REASON_REQUIRED, code="required"))
    if len(change.reason) > REASON_MAX_LENGTH:
        detail = REASON_TOO_LONG.format(length=len(change.reason))
        errors.append(FieldError(pointer="/reason", detail=detail, code="max_length"))
    if len(change.ticket) > TICKET_MAX_LENGTH:
        detail = TICKET_TOO_LONG.format(length=len(change.ticket))
        errors.append(FieldError(pointer="/ticket", detail=detail, code="max_length"))
    return tuple(errors)


def reason_refusal(errors: tuple[FieldError, ...], *, code: str = REASON_INVALID) -> Refusal:
    """The refusal for field errors found before sending (reason and ticket, or any others with them)."""
    words = " ".join(error.detail for error in errors)
    return Refusal(code=code, title="Not sent: check the fields", detail=words, errors=errors)


def reason_check(change: ChangeReason, *, required: bool) -> None:
    """Raises Refusal (with field errors) when the reason or ticket breaks the rules."""
    errors = reason_errors(change, required=required)
    if errors:
        raise reason_refusal(errors)

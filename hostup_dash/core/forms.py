"""Form pieces every write's form shares."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from .errors import Refusal
from .reasons import REASON_MAX_LENGTH, TICKET_MAX_LENGTH, ChangeReason, reason_errors, reason_required


class ChangeReasonFields(forms.Form):
    """`reason` and optional `ticket` with the change-control rules (hostup_dash.core.reasons), in their words.

    Mix into a write's form; set `reason_always_required = True` for a write that always needs one
    (a release). The service that acts checks the same rules again and audits a refusal:
    `refusal_errors_add` puts such a refusal's field errors next to this form's fields.
    """

    reason_always_required = False

    # No max_length on the fields: the rule's own words say how long the text is, as the service does.
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": REASON_MAX_LENGTH}),
        help_text=f"Why this change is made (at most {REASON_MAX_LENGTH} characters).",
    )
    ticket = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"maxlength": TICKET_MAX_LENGTH, "placeholder": "OPS-1234"}),
        help_text=f"Optional, at most {TICKET_MAX_LENGTH} characters.",
    )

    @property
    def reason_is_required(self) -> bool:
        return reason_required(always=self.reason_always_required)

    def clean(self):
        cleaned = super().clean()
        for error in reason_errors(self.change_reason(), required=self.reason_is_required):
            self.add_error(error.field, error.detail)
        return cleaned

    def change_reason(self) -> ChangeReason:
        """The reason and ticket as typed (stripped), valid or not: a refusal records what was typed."""
        return ChangeReason.of(self.data.get(self.add_prefix("reason")), self.data.get(self.add_prefix("ticket")))

    def refusal_errors_add(self, refusal: Refusal) -> None:
        """Show a service's refusal on the form: each field error next to its field, the rest on top
        (an error this form's own checks already found is not repeated)."""
        for error in refusal.errors:
            field = error.field if error.field in self.fields else None
            if error.detail not in self.errors.get(field or NON_FIELD_ERRORS, []):
                self.add_error(field, error.detail)

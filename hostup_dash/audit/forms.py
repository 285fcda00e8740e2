from datetime import date, timedelta

from django import forms
from django.core.validators import MaxValueValidator

from hostup_dash.core.reasons import REASON_MAX_LENGTH, TICKET_MAX_LENGTH

from .models import AuditRecord
from .selectors import AuditFilters, Source

DATE_OUT_OF_RANGE = f"Enter a date before {date.max.isoformat()}."
# A date range ends where the day after its end date starts, and the calendar's last day has none.
_BEFORE_LAST_DAY = MaxValueValidator(date.max - timedelta(days=1), message=DATE_OUT_OF_RANGE)


class AuditFilterForm(forms.Form):
    """Filters of the audit list, read from GET parameters so a view can be bookmarked and shared."""

    source = forms.ChoiceField(required=False, choices=[("", "Dashboard and HostUp"), *Source.choices])
    vps = forms.CharField(required=False, max_length=255, label="VPS id or name")
    actor = forms.CharField(required=False, max_length=150)
    action = forms.ChoiceField(required=False, choices=[("", "Any")] + AuditRecord.Action.choices)
    outcome = forms.ChoiceField(required=False, choices=[("", "Any")] + AuditRecord.Outcome.choices)
    prefix = forms.CharField(required=False, max_length=64)
    # Three characters at least: a trigram index finds nothing shorter, so it would read the whole log.
    reason = forms.CharField(
        required=False,
        min_length=3,
        max_length=REASON_MAX_LENGTH,
        label="Reason has",
        error_messages={"min_length": "Search the reason for at least 3 characters."},
    )
    ticket = forms.CharField(required=False, max_length=TICKET_MAX_LENGTH)
    date_from = forms.DateField(
        required=False, label="From", validators=[_BEFORE_LAST_DAY], widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", validators=[_BEFORE_LAST_DAY], widget=forms.DateInput(attrs={"type": "date"})
    )
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    # The cursors of the timeline of both sides (hostup_dash.trail.selectors.timeline_page).
    older = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    newer = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, label_suffix="", **kwargs)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> AuditFilters:
        """The valid filters; a field that did not validate filters nothing (its error is shown)."""
        valid = {name: value for name, value in self.cleaned_data.items() if value and name not in self.errors}
        return AuditFilters(**{name: valid[name] for name in AuditFilters.__dataclass_fields__ if name in valid})

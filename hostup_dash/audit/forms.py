from django import forms

from .models import AuditRecord


class AuditFilterForm(forms.Form):
    """Filters of the audit list, read from GET parameters so a view can be bookmarked."""

    vps = forms.CharField(required=False, max_length=255, label="VPS id or name")
    actor = forms.CharField(required=False, max_length=150)
    action = forms.ChoiceField(required=False, choices=[("", "Any")] + AuditRecord.Action.choices)
    outcome = forms.ChoiceField(required=False, choices=[("", "Any")] + AuditRecord.Outcome.choices)

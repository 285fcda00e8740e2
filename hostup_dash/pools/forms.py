"""The account-route forms. Field names are the API's JSON pointers (`/poolId` -> poolId), so a
service's refusal puts each error next to its field; the service checks everything again."""

from django import forms

from hostup_dash.core.forms import ChangeReasonFields
from hostup_dash.hostup.account_routes import LABEL_MAX_LENGTH, ROUTE_PREFIX_LENGTHS

DEFAULT_PREFIX_LENGTH = 64


class _Shown(ChangeReasonFields):
    """What _reason_fields.html and the page show of a form: what was typed and the errors by field."""

    @property
    def typed(self) -> dict:
        errors = {name: " ".join(found) for name, found in self.errors.items()} if self.is_bound else {}
        return {**{name: self[name].value() or "" for name in self.fields}, "errors": errors}


class RouteCreateForm(_Shown):
    poolId = forms.CharField(label="Pool")
    vpsId = forms.CharField(label="Destination VPS")
    prefixLength = forms.TypedChoiceField(
        label="Prefix length",
        choices=[(length, f"/{length}") for length in ROUTE_PREFIX_LENGTHS],
        coerce=int,
        initial=DEFAULT_PREFIX_LENGTH,
    )
    prefix = forms.CharField(
        label="Prefix", required=False, help_text="Optional: leave it empty and HostUp takes the first free one."
    )
    # No max_length: the service's words say how long the label is.
    label = forms.CharField(
        label="Label", required=False, help_text=f"Optional, at most {LABEL_MAX_LENGTH} characters."
    )

    def prefix_length(self) -> int:
        """The chosen length as sent, or 0 when it is none of HostUp's (the service refuses it in words)."""
        raw = self.data.get("prefixLength", "")
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else 0


class ConfirmedForm(_Shown):
    """A delete or release: type what goes away, and say why (always required)."""

    reason_always_required = True
    confirm = forms.CharField(label="Type it to confirm", required=False)


class PoolAllocateForm(_Shown):
    pass

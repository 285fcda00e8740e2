"""Which VPSes a new bulk run covers: the ones ticked on the list, or every one matching its filters."""

from django import forms

from hostup_dash.core.errors import Refusal
from hostup_dash.inventory import selectors as inventory_selectors
from hostup_dash.inventory.forms import VpsFilterForm

from . import selectors, services


class VpsIdsField(forms.Field):
    """Every value of a repeated parameter (`vps=…&vps=…`)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[str]:
        return [str(item).strip() for item in value or [] if str(item).strip()]


class BulkTargetForm(forms.Form):
    """`vps` ids, or `match` with the list's own filter fields (q, power, routed, state)."""

    vps = VpsIdsField(required=False)
    match = forms.BooleanField(required=False)  # "all N matching this filter"

    def vps_ids(self) -> list[str]:
        """The chosen VPS ids, in the list's order when matched. Raises Refusal when nothing is chosen."""
        self.is_valid()  # every field is optional and forgiving: nothing here can be invalid
        if not self.cleaned_data["match"]:
            if not self.cleaned_data["vps"]:
                raise Refusal(code="nothing_selected", title="Nothing selected", detail=services.NOTHING_SELECTED)
            return self.cleaned_data["vps"]
        filters = VpsFilterForm(self.data, power_states=inventory_selectors.power_states())
        filters.is_valid()  # as on the list: a filter that is not valid filters nothing
        found = filters.cleaned_data
        return selectors.bulk_targets(
            query=found.get("q", ""),
            power_state=found.get("power", ""),
            has_routed_ipv6=filters.has_routed_ipv6,
            state=found.get("state", ""),
            limit=services.MAX_ITEMS + 1,  # one more, so the service can say there are too many
        )

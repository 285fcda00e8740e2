from django import forms
from django.http import QueryDict

from . import selectors


class CursorField(forms.CharField):
    """A place in the list ("key|vps_id"), cleaned into the (key, vps_id) pair; the sort reads the key."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs) -> None:
        super().__init__(required=False, max_length=400, strip=False, **kwargs)

    def clean(self, value) -> selectors.Key | None:
        text = super().clean(value)
        if not text:
            return None
        key = selectors.cursor_key(text)
        if key is None:
            raise forms.ValidationError("Not a place in the list.", code="invalid_cursor")
        return key


class VpsFilterForm(forms.Form):
    """The list's search box and filters, read from GET parameters."""

    ROUTED_CHOICES = [("", "Any"), ("yes", "Has routed IPv6"), ("no", "No routed IPv6")]
    FILTERS = ("q", "power", "routed", "state")

    q = forms.CharField(
        required=False,
        max_length=100,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, IP or prefix"}),
    )
    power = forms.ChoiceField(required=False, label="Power state", choices=[("", "Any")])
    routed = forms.ChoiceField(required=False, label="Routed IPv6", choices=ROUTED_CHOICES)
    state = forms.ChoiceField(required=False, label="State", choices=[("", "Any"), *selectors.VpsState.choices])
    # Set by the column headers' links; a hidden field, so a new search keeps the order.
    sort = forms.ChoiceField(
        required=False, choices=[(name, name) for name in selectors.SORTS], widget=forms.HiddenInput
    )
    after = CursorField()
    before = CursorField()

    def __init__(self, *args, power_states: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["power"].choices = [("", "Any")] + [(state, state) for state in power_states]

    # After is_valid(): a field that did not validate is missing from cleaned_data, so it filters nothing.

    @property
    def is_filtered(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.FILTERS)

    @property
    def sort_name(self) -> str:
        return self.cleaned_data.get("sort") or selectors.DEFAULT_SORT

    @property
    def ordering(self) -> selectors.Sort:
        return selectors.SORTS[self.sort_name]

    @property
    def chosen_sort(self) -> str:
        """The order asked for, blank for the default one (so the list's own links need not say it)."""
        return "" if self.sort_name == selectors.DEFAULT_SORT else self.sort_name

    @property
    def filter_query(self) -> QueryDict:
        """The filters in force, for the bulk form and the headers' links (a refresh is a POST, so not request.GET)."""
        query = QueryDict(mutable=True)
        query.update({name: self.cleaned_data[name] for name in self.FILTERS if self.cleaned_data.get(name)})
        return query

    @property
    def page_query(self) -> QueryDict:
        """The filters and the order in force, for the pager's links."""
        query = self.filter_query
        if self.chosen_sort:
            query["sort"] = self.chosen_sort
        return query

    @property
    def has_routed_ipv6(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("routed") or "")

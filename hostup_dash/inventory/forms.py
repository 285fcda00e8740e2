from django import forms


class VpsFilterForm(forms.Form):
    """The list's search box and filters, read from GET parameters."""

    ROUTED_CHOICES = [("", "Any"), ("yes", "Has routed IPv6"), ("no", "No routed IPv6")]

    q = forms.CharField(
        required=False,
        max_length=100,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, IP or prefix"}),
    )
    power = forms.ChoiceField(required=False, label="Power state", choices=[("", "Any")])
    routed = forms.ChoiceField(required=False, label="Routed IPv6", choices=ROUTED_CHOICES)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, power_states: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["power"].choices = [("", "Any")] + [(state, state) for state in power_states]

    @property
    def has_routed_ipv6(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("routed") or "")

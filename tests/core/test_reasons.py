"""The change-control rules for reason and ticket (core.reasons) and the form mixin that shows them."""

import pytest
from django import forms

from hostup_dash.core.errors import Refusal
from hostup_dash.core.forms import ChangeReasonFields
from hostup_dash.core.reasons import (
    REASON_REQUIRED,
    ChangeReason,
    reason_check,
    reason_errors,
    reason_required,
)
from hostup_dash.hostup import FieldError


class RouteForm(ChangeReasonFields):
    label = forms.CharField(required=False)


class DeleteForm(ChangeReasonFields):
    reason_always_required = True


def test_whitespace_around_is_dropped():
    assert ChangeReason.of("  why \n", " OPS-1 ") == ChangeReason("why", "OPS-1")
    assert ChangeReason.of(None, None) == ChangeReason()


@pytest.mark.parametrize(
    ("setting", "always", "required"), [(False, False, False), (True, False, True), (False, True, True)]
)
def test_reason_required_by_setting_or_by_the_write(settings, setting, always, required):
    settings.REQUIRE_CHANGE_REASON = setting
    assert reason_required(always=always) is required


def test_the_rules_name_each_field():
    errors = reason_errors(ChangeReason("", "T" * 101), required=True)

    assert [(error.pointer, error.code) for error in errors] == [("/reason", "required"), ("/ticket", "max_length")]
    assert reason_errors(ChangeReason("r" * 500, "T" * 100), required=True) == ()


def test_reason_check_raises_a_refusal_with_the_field_errors():
    with pytest.raises(Refusal) as refused:
        reason_check(ChangeReason("r" * 501), required=False)

    assert refused.value.code == "reason_invalid" and refused.value.errors[0].field == "reason"
    assert "at most 500 characters (it has 501)" in refused.value.detail


def test_the_form_applies_the_setting_and_the_same_words(settings):
    settings.REQUIRE_CHANGE_REASON = True
    required = RouteForm({"reason": " ", "ticket": "T" * 101})
    assert not required.is_valid()
    settings.REQUIRE_CHANGE_REASON = False
    optional = RouteForm({})

    assert required.errors["reason"] == [REASON_REQUIRED]
    assert required.errors["ticket"] == ["Keep the ticket to at most 100 characters (it has 101)."]
    assert optional.is_valid() and optional.change_reason() == ChangeReason()


def test_a_write_that_always_needs_a_reason_ignores_the_setting(settings):
    settings.REQUIRE_CHANGE_REASON = False

    form = DeleteForm({"reason": ""})

    assert not form.is_valid() and form.errors["reason"] == [REASON_REQUIRED]
    assert form.fields["reason"].widget.attrs["maxlength"] == 500


def test_a_services_refusal_lands_beside_the_fields_once():
    form = DeleteForm({"reason": ""})
    refusal = Refusal(
        code="x",
        title="No",
        errors=(
            FieldError(pointer="/reason", detail=REASON_REQUIRED, code="required"),
            FieldError(pointer="/poolId", detail="That pool is gone.", code="gone"),
        ),
    )

    form.refusal_errors_add(refusal)

    assert form.errors["reason"] == [REASON_REQUIRED]  # not twice
    assert form.non_field_errors() == ["That pool is gone."]

"""The VPS page's release button says what it will do: ask for approval, or with "Emergency" ticked release now."""

import pytest
from django.urls import reverse

from tests.factories import release_form

from .conftest import HTMX


def _release_form(html: str) -> str:
    start = html.index('<details class="release">')
    return html[start : html.index("</details>", start)]


def _panel(client, hostup, vps_id: str) -> str:
    release_form(hostup, vps_id)  # the state on record, as the live panel leaves it
    return _release_form(client.get(reverse("inventory:vps-detail", args=[vps_id]), **HTMX).content.decode())


@pytest.mark.django_db
def test_an_admin_sees_both_words_and_the_emergency_ones_are_hidden_by_default(hostup, alice_client, allocated_vps):
    form = _panel(alice_client, hostup, allocated_vps)

    assert '<span class="when-not-emergency">Ask for approval to release</span>' in form
    assert '<span class="when-emergency" hidden>Release now (emergency)</span>' in form
    assert 'name="emergency"' in form
    # Without CSS (or :has()) the button keeps the safe words, so the box itself says it releases at once.
    assert "Emergency: release at once without approval." in form
    assert "goes to HostUp at once" in form


@pytest.mark.django_db
def test_without_approval_the_button_just_releases(hostup, settings, alice_client, allocated_vps):
    settings.APPROVAL_REQUIRED_FOR = []
    form = _panel(alice_client, hostup, allocated_vps)

    assert "Ask for approval" not in form and "when-emergency" not in form
    assert ">Release " in form


@pytest.mark.django_db
def test_an_allocation_that_waits_says_so_on_its_button(allocate_waits, alice_client, operator_client):
    vps_id = allocate_waits
    url = reverse("inventory:vps-detail", args=[vps_id])

    admins = alice_client.get(url, **HTMX).content.decode()
    operators = operator_client.get(url, **HTMX).content.decode()

    assert '<span class="when-not-emergency">Ask for approval to allocate</span>' in admins
    assert '<span class="when-emergency" hidden>Allocate now (emergency)</span>' in admins
    assert "Ask for approval to allocate" in operators and "Allocate now (emergency)" not in operators

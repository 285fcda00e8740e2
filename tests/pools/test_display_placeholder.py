"""/routed-ipv6/: the create form's prefix placeholder is the pool's next free prefix, never a taken one."""

import re

import pytest
from django.urls import reverse

from tests.pools.helpers import account_state, eligible_vps

HTMX = {"HTTP_HX_REQUEST": "true"}


def _placeholder(page: str) -> str | None:
    field = re.search(r'<input id="route-prefix"[^>]*>', page).group(0)
    found = re.search(r'placeholder="([^"]*)"', field)
    return found.group(1) if found else None


@pytest.mark.django_db
def test_placeholder_is_the_next_free_prefix_of_the_default_length(hostup, operator_client):
    taken = {route.prefix for route in account_state().pools[0].routes}

    page = operator_client.get(reverse("pools:pool-list")).content.decode()

    assert "2001:db8:1000:100::/56" in taken  # the seeded route the fixed placeholder named
    assert _placeholder(page) == "2001:db8:1000::/64"
    assert _placeholder(page) not in taken
    hint = page.split('id="route-prefix-hint">', 1)[1].split('<label for="route-label">', 1)[0]
    assert "2001:db8:1000::/64" in hint and "2001:db8:1000:200::/56" in hint
    assert 'aria-describedby="route-prefix-hint"' in page


@pytest.mark.django_db
def test_placeholder_follows_the_length_of_a_refused_form(hostup, operator_client):
    state = account_state()
    data = {"poolId": state.pools[0].id, "vpsId": eligible_vps(state), "prefixLength": "56"}
    data["prefix"] = "2001:db8:1000:100::/56"  # taken: refused, and the form comes back as typed

    response = operator_client.post(reverse("pools:route-create"), data, **HTMX)

    assert response.status_code >= 400
    assert _placeholder(response.content.decode()) == "2001:db8:1000:200::/56"

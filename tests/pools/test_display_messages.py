"""/routed-ipv6/: an action's success message is shown once, with htmx and without JavaScript."""

import pytest
from django.urls import reverse

from tests.pools.helpers import account_state, eligible_vps

HTMX = {"HTTP_HX_REQUEST": "true"}
MESSAGE = "Routed 2001:db8:1000::/64 to"


def _create_form() -> dict:
    state = account_state()
    return {"poolId": state.pools[0].id, "vpsId": eligible_vps(state), "prefixLength": "64", "label": "web"}


@pytest.mark.django_db
def test_htmx_success_is_shown_once_in_the_region_that_stays(hostup, operator_client):
    page = operator_client.post(reverse("pools:route-create"), _create_form(), **HTMX).content.decode()

    assert page.count(MESSAGE) == 1
    # Swapped into the live region outside the panel, visible: seen once and heard once.
    region = page.split('<div id="pools-announce" hx-swap-oob="innerHTML">', 1)[1].split("</div>", 1)[0]
    assert MESSAGE in region and "visually-hidden" not in region


@pytest.mark.django_db
def test_plain_post_success_is_shown_once_after_the_redirect(hostup, operator_client):
    response = operator_client.post(reverse("pools:route-create"), _create_form(), follow=True)

    assert response.redirect_chain[-1][0] == reverse("pools:pool-list")
    assert response.content.decode().count(MESSAGE) == 1


@pytest.mark.django_db
def test_htmx_problem_is_shown_in_the_panel_and_only_heard_in_the_region(hostup, operator_client):
    data = _create_form() | {"prefix": "2001:db8:1000:100::/56", "prefixLength": "56"}  # seeded: taken

    page = operator_client.post(reverse("pools:route-create"), data, **HTMX).content.decode()

    panel, region = page.split('<div id="pools-announce" hx-swap-oob="innerHTML">', 1)
    assert 'id="pools-panel"' in panel
    assert region.split("</div>", 1)[0].startswith('<span class="visually-hidden">')
    assert "Routed" not in page

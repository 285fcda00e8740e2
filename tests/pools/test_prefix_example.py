"""A prefix typed without its length is refused with an example no account holds, beside the next free one."""

import html
import ipaddress
import re

import pytest
from django.urls import reverse

from tests.pools.helpers import account_state, account_writes, eligible_vps

HTMX = {"HTTP_HX_REQUEST": "true"}
PREFIX_ERROR = re.compile(r'<p class="field-error" id="route-prefix-error">(.*?)</p>', re.S)
HINT = re.compile(r'id="route-prefix-hint">(.*?)</span>\s*(?:<label|</)', re.S)
DOCUMENTATION = ipaddress.IPv6Network("2001:db8::/32")


def _networks(text: str) -> list[ipaddress.IPv6Network]:
    found = []
    for word in re.findall(r"[0-9a-f:]+::?[0-9a-f:]*/\d+", text):
        try:
            found.append(ipaddress.IPv6Network(word))
        except ValueError:
            pass
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("length", [64, 56])
def test_a_prefix_without_its_length_gets_a_generic_example_and_the_next_free_one(hostup, operator_client, length):
    state = account_state()
    pool = state.pools[0]
    data = {"poolId": pool.id, "vpsId": eligible_vps(state), "prefixLength": str(length)}
    hostup.reset_calls()

    response = operator_client.post(reverse("pools:route-create"), data | {"prefix": "2001:db8:1000:100::"}, **HTMX)

    page = response.content.decode()
    assert response.status_code == 400 and account_writes(hostup) == []
    error = html.unescape(PREFIX_ERROR.search(page).group(1))
    assert "Write the prefix with its length" in error
    examples = _networks(error)
    assert examples and all(net.prefixlen == length and net.subnet_of(DOCUMENTATION) for net in examples)
    # Nothing in the account's pool: an example never reads as advice to take a prefix someone may use.
    assert not any(net.overlaps(pool.network) for net in examples), error
    assert not any(net.overlaps(route.network) for net in examples for route in pool.routes if route.network)
    # The pool's own next free prefix of that length is what the field's hint offers.
    hint = html.unescape(HINT.search(page).group(1))
    free = [net for net in _networks(hint) if net.prefixlen == length]
    assert free and free[0].subnet_of(pool.network)
    assert not any(free[0].overlaps(route.network) for route in pool.routes if route.network)

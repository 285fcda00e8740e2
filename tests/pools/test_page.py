"""What the pools page derives from HostUp's state: usage, the next free prefix of each length, HostUp's reasons."""

import ipaddress

from django.template.loader import render_to_string
from hypothesis import given, settings
from hypothesis import strategies as st

from hostup_dash.hostup.account_routes import AccountRoutes
from hostup_dash.pools.forms import RouteCreateForm
from hostup_dash.pools.page import pools_page
from hostup_dash.pools.usage import pool_usage


def _pool(*prefixes: str, cidr: str = "2001:db8:1000::/48"):
    routes = [{"id": f"ripv6rt_{n}", "prefix": prefix} for n, prefix in enumerate(prefixes)]
    return AccountRoutes.from_json({"pools": [{"id": "ripv6_x", "parentCidr": cidr, "routes": routes}]}).pools[0]


def test_next_free_skips_past_routes_to_an_aligned_child():
    usage = pool_usage(_pool("2001:db8:1000::/64", "2001:db8:1000:1::/64", "2001:db8:1000:100::/56"))

    assert [(u.length, u.routes, str(u.next_free)) for u in usage.lengths] == [
        (48, 0, "None"),
        (56, 1, "2001:db8:1000:200::/56"),
        (64, 2, "2001:db8:1000:2::/64"),
    ]
    assert usage.summary.startswith("258 of 65,536 /64s used; the next free /56 is 2001:db8:1000:200::/56")


def test_an_empty_pool_offers_itself_and_a_full_one_nothing():
    empty, full = pool_usage(_pool()), pool_usage(_pool("2001:db8:1000::/48"))

    assert [str(u.next_free) for u in empty.lengths] == [
        "2001:db8:1000::/48",
        "2001:db8:1000::/56",
        "2001:db8:1000::/64",
    ]
    assert full.summary == "65,536 of 65,536 /64s used; no prefix is free"


def test_routes_hostup_wrote_oddly_are_shown_but_not_counted():
    usage = pool_usage(_pool("not a prefix", "2001:db8:9999::/64", "2001:db8:1000::/64"))

    assert usage.units_used == 1
    assert pool_usage(_pool(cidr="garbage")) is None


def test_hostups_unavailable_reason_is_shown():
    state = AccountRoutes.from_json({"available": False, "reason": "Routed IPv6 is not enabled for this account."})

    assert pools_page(state).unavailable == "Routed IPv6 is not enabled for this account."
    assert pools_page(AccountRoutes.from_json({"available": True})).unavailable == ""


def test_a_closed_gate_gives_hostups_reason_and_an_open_one_none():
    state = AccountRoutes.from_json(
        {
            "pools": [],
            "actions": {"canAllocatePool": {"allowed": False, "reason": "Cooling down.", "code": "cooldown"}},
            "destinations": [
                {"vpsId": "vps_a", "actions": {"canReceiveRoute": {"allowed": True, "reason": None}}},
                {"vpsId": "vps_b", "actions": {"canReceiveRoute": {"allowed": False, "reason": "Stopped."}}},
            ],
        }
    )

    page = pools_page(state)

    assert page.allocate_blocker == "Cooling down."
    assert [d.vps_id for d in page.eligible] == ["vps_a"]


def _full_pool(count: int, cidr: str = "2001:db8:1000::/48"):
    base = ipaddress.IPv6Network(cidr)
    routes = [
        {
            "id": f"ripv6rt_{n:026d}",
            "prefix": str(ipaddress.IPv6Network((int(base.network_address) + (n << 64), 64))),
            "vpsId": "vps_01hxa3b4c5d6e7f8g9h0j1k2m5",
            "vpsName": "web-01",
        }
        for n in reversed(range(count))  # HostUp's order is not the address order
    ]
    return {"id": f"ripv6_{cidr[:14]}", "parentCidr": cidr, "routes": routes}


def test_thousands_of_routes_are_shown_a_page_at_a_time_and_counted_in_full():
    state = AccountRoutes.from_json({"pools": [_full_pool(5000)]})

    first, second, past = pools_page(state), pools_page(state, number=2), pools_page(state, number=99)

    assert (first.pages, first.previous, first.next) == (25, None, 2)
    assert first.pools[0].routes[0].route.prefix == "2001:db8:1000::/64" and len(first.pools[0].routes) == 200
    assert second.pools[0].routes[0].route.prefix == "2001:db8:1000:c8::/64"
    assert second.pools[0].shown == "Routes 201–400 of 5,000, in address order." and second.query == "?page=2"
    assert (past.number, past.next) == (25, None)
    assert first.pools[0].usage.summary.startswith(
        "5,000 of 65,536 /64s used; the next free /56 is 2001:db8:1000:1400::/56"
    )


def test_an_admins_page_renders_one_page_of_rows_with_forms_that_keep_the_page():
    state = AccountRoutes.from_json({"pools": [_full_pool(450), _full_pool(3, cidr="2001:db8:2000::/48")]})
    page = pools_page(state, number=3)

    html = render_to_string(
        "pools/pool_list.html#pools-panel",
        {"page": page, "can_delete": True, "can_release": True, "create_form": RouteCreateForm()},
    )

    assert html.count('<tr id="route-') == 50
    assert 'action="/routed-ipv6/routes/ripv6rt_00000000000000000000000400/delete?page=3"' in html
    assert "Routes 401–450 of 450, in address order." in html and 'href="?page=2">Previous' in html
    assert "All 3 routes of this pool are on earlier pages." in html


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([48, 56, 64]), st.integers(0, 0x5FF)), max_size=40),
    st.sampled_from([48, 56, 64]),
)
def test_next_free_is_the_lowest_free_aligned_child_among_mixed_routes(placed, length):
    """Against a search over every candidate: routes of mixed lengths, none overlapping, in HostUp's order."""
    parent = ipaddress.IPv6Network("2001:db8:1000::/48")
    taken: list[ipaddress.IPv6Network] = []
    for route_length, position in placed:
        first = int(parent.network_address) + ((position << 64) & ~((1 << (128 - route_length)) - 1))
        net = ipaddress.IPv6Network((first, route_length))
        if not any(net.overlaps(other) for other in taken):
            taken.append(net)
    state = AccountRoutes.from_json(
        {
            "pools": [
                {"id": "ripv6_x", "parentCidr": str(parent), "routes": [{"id": "r", "prefix": str(n)} for n in taken]}
            ]
        }
    )

    expected = next((c for c in parent.subnets(new_prefix=length) if not any(c.overlaps(t) for t in taken)), None)

    usage = pool_usage(state.pools[0])
    assert {u.length: u.next_free for u in usage.lengths}[length] == expected
    assert usage.units_used == sum(1 << (64 - n.prefixlen) for n in taken)

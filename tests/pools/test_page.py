"""What the pools page derives from HostUp's state: usage, the next free prefix of each length, HostUp's reasons."""

from hostup_dash.hostup.account_routes import AccountRoutes
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

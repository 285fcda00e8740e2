"""The simulator's in-memory HostUp account: VPSes, their routed-IPv6 allocations and one account pool.

Everything is drawn from one `random.Random(seed)`, so a seed always gives the same fleet.
Seeded timestamps are relative to start-up, because seeded cooldowns must still be running.
Every public method holds the one lock: the HTTP server calls in from many threads.
"""

import ipaddress
import random
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hostup_dash.simulator.problems import ApiProblem

# Lower-case Crockford base32 (no i, l, o, u): HostUp's ids look like lower-case ULIDs (NOTES.md).
ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_LENGTH = 26

# Per-VPS allocations and the account pool come from different parents, as in the docs' examples.
PARENT_CIDR = ipaddress.IPv6Network("2001:db8:42::/48")
ACCOUNT_POOL_CIDR = ipaddress.IPv6Network("2001:db8:1000::/48")
ALLOCATION_PREFIX_LENGTH = 64
# Subnet 0 of the parent is the link network that holds every VPS's net0 address (the docs'
# next hop 2001:db8:42::1 lives there); routed /64s start at :100:, like the docs' example prefix.
FIRST_ALLOCATION_SUBNET = 0x100
SUBNETS_IN_PARENT = 1 << (ALLOCATION_PREFIX_LENGTH - PARENT_CIDR.prefixlen)
COOLDOWN_DAYS = 30
MAX_PER_VM = 1
ALLOWED_PREFIX_LENGTHS = (48, 56, 64)

REASON_NOT_RUNNING = "The VPS is not running."
REASON_NO_NET0_IPV6 = "Assign IPv6 to the net0 interface first to enable routed IPv6."
REASON_COOLDOWN = "The released routed IPv6 prefix is in cooldown until {until}; allocate again after that."
REASON_POOL_EXISTS = "The account already holds a routed /48 pool."
REASON_MIRRORED_ROUTE = "This route is a VPS allocation; release it on the VPS's routed IPv6 page."

ROLES = ("web", "db", "app", "cache", "mail", "api", "worker", "proxy")
OPERATING_SYSTEMS = (
    {"displayName": "Ubuntu 24.04", "family": "ubuntu", "version": "24.04", "variant": None},
    {"displayName": "Debian 12", "family": "debian", "version": "12", "variant": None},
    {"displayName": "AlmaLinux 9", "family": "almalinux", "version": "9", "variant": None},
    {"displayName": "Windows Server 2022", "family": "windows", "version": "2022", "variant": "standard"},
)
PLANS = ((1, 2, 40, 99), (2, 4, 80, 199), (4, 8, 160, 399), (8, 16, 320, 799))  # cores, GB RAM, GB disk, SEK/month
BILLING_CYCLES = (("monthly", 1, None), ("quarterly", 3, None), ("annually", 12, 1), ("biennially", 24, 2))
DOCUMENTATION_NETS = ("192.0.2", "198.51.100", "203.0.113")
# Account routes seeded into the pool: (prefix length, index of the first /64, label).
SEEDED_ROUTES = ((64, 0x10, "web subnet"), (56, 0x100, None), (64, 0x11, "monitoring"))


def now() -> datetime:
    """The current time, cut to milliseconds so stored values equal what the API shows."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and `Z`, HostUp's timestamp format."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)


def _subnet(parent: ipaddress.IPv6Network, index: int, length: int) -> ipaddress.IPv6Network:
    """The prefix of `length` bits that starts at the index-th /64 of `parent`."""
    return ipaddress.IPv6Network((parent.network_address + (index << (128 - ALLOCATION_PREFIX_LENGTH)), length))


def _ipv4_candidate(index: int) -> str:
    """The index-th primary IPv4: the documentation ranges first, then 10.0.0.0/8 for large fleets."""
    documentation_hosts = 254 * len(DOCUMENTATION_NETS)
    if index < documentation_hosts:
        net, host = divmod(index, 254)
        return f"{DOCUMENTATION_NETS[net]}.{host + 1}"
    return str(ipaddress.IPv4Address("10.0.0.1") + (index - documentation_hosts))


def _gate(reason: str | None, code: str | None = None) -> dict[str, object]:
    """HostUp's action-gate shape: allowed unless there is a reason; the code only names a refusal."""
    return {"allowed": reason is None, "reason": reason, "code": None if reason is None else code}


@dataclass
class Allocation:
    """A VPS's routed /64; it stays attached during its cooldown."""

    id: str
    prefix: ipaddress.IPv6Network
    next_hop: str
    allocated_at: datetime
    updated_at: datetime
    route_id: str  # its id when mirror mode lists it among the account routes
    status: str = "active"
    released_at: datetime | None = None
    cooldown_until: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def release(self, at: datetime) -> None:
        self.status = "cooldown"
        self.released_at = at
        self.cooldown_until = at + timedelta(days=COOLDOWN_DAYS)
        self.updated_at = at

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "prefix": str(self.prefix),
            "prefixLength": self.prefix.prefixlen,
            "nextHop": self.next_hop,
            "status": self.status,
            "allocatedAt": iso(self.allocated_at),
            "releasedAt": _iso_or_none(self.released_at),
            "cooldownUntil": _iso_or_none(self.cooldown_until),
            "createdAt": iso(self.allocated_at),
            "updatedAt": iso(self.updated_at),
        }


@dataclass
class Vps:
    id: str
    name: str
    primary_ip: str
    service_status: str
    power_state: str
    operating_system: dict[str, object]
    billing: dict[str, object]
    resources: dict[str, object]
    net0_ipv6: str | None  # what HostUp suggests as next hop; None while net0 has no IPv6
    allocation: Allocation | None = None

    def not_ready_reason(self) -> str | None:
        """Why no routed prefix can point at this VPS right now, if anything stops it."""
        if self.power_state != "running":
            return REASON_NOT_RUNNING
        if self.net0_ipv6 is None:
            return REASON_NO_NET0_IPV6
        return None

    def to_json(self, *, include_maintenance: bool) -> dict[str, object]:
        data: dict[str, object] = {
            "id": self.id,
            "name": self.name,
            "primaryIp": self.primary_ip,
            "serviceStatus": self.service_status,
            "powerState": self.power_state,
            "operatingSystem": self.operating_system,
            "billing": self.billing,
            "resources": self.resources,
        }
        if include_maintenance:
            data["pendingMaintenance"] = None
            data["pendingMaintenanceHasDeadline"] = False
        return data


@dataclass(frozen=True)
class AccountRoute:
    id: str
    prefix: ipaddress.IPv6Network
    next_hop: str
    label: str | None
    vps_id: str
    allocated_at: datetime
    updated_at: datetime
    delete_refusal: str | None = None  # set on mirrored VPS allocations, which are released per VPS


class SimState:
    def __init__(self, *, vps_count: int, seed: int) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        # A stream of its own, so the number of requests never shifts allocation ids.
        self._request_rng = random.Random(f"requests-{seed}")
        self._started_at = now()
        self._vpses: dict[str, Vps] = {}  # insertion order is list order
        self._used_ips: set[str] = set()
        self._next_ip_index = 0
        self._next_host = 1
        self._next_subnet = FIRST_ALLOCATION_SUBNET
        self._seed_vpses(vps_count)
        self._pool_id = self._new_id("ripv6_")
        self._pool_allocated_at = self._started_at - timedelta(days=60)
        self._routes = self._seed_routes()
        self._mirror_pool_id = self._new_id("ripv6_")

    # --- seeding -----------------------------------------------------------

    def _seed_kinds(self, count: int) -> list[str]:
        """A shuffled mix with fixed shares, so even a small fleet has one VPS of each interesting kind."""
        unavailable = round(count * 0.15)
        active = round(count * 0.20)
        stale = active // 2  # allocation's next hop differs from the suggested one: a refresh is due
        kinds = (
            ["stopped"] * (unavailable // 2)
            + ["no_net0"] * (unavailable - unavailable // 2)
            + ["stale"] * stale
            + ["current"] * (active - stale)
            + ["cooldown"] * min(2, count // 10)
        )
        kinds += ["idle"] * (count - len(kinds))
        self._rng.shuffle(kinds)
        return kinds

    def _seed_vpses(self, count: int) -> None:
        for number, kind in enumerate(self._seed_kinds(count), start=1):
            vps = self._create_vps(
                name=f"{self._rng.choice(ROLES)}-{number:03d}",
                primary_ip=None,
                power_state="stopped" if kind == "stopped" else "running",
                has_net0_ipv6=kind != "no_net0",
            )
            if kind == "stopped" and self._rng.random() < 0.3:
                vps.service_status = "suspended"
            if kind in ("stale", "current", "cooldown"):
                vps.allocation = self._seed_allocation(vps, kind)

    def _seed_allocation(self, vps: Vps, kind: str) -> Allocation:
        assert vps.net0_ipv6 is not None  # only VPSes with net0 IPv6 are seeded with allocations
        allocated_at = self._started_at - timedelta(
            days=self._rng.randint(COOLDOWN_DAYS + 1, 400), seconds=self._rng.randint(0, 86_399)
        )
        next_hop = vps.net0_ipv6
        if kind == "stale":
            # The address net0 had before it was renumbered.
            next_hop = str(ipaddress.IPv6Address(vps.net0_ipv6) + (1 << 32))
        allocation = self._new_allocation(next_hop=next_hop, at=allocated_at)
        if kind == "cooldown":
            allocation.release(self._started_at - timedelta(days=self._rng.randint(1, COOLDOWN_DAYS - 1)))
        return allocation

    def _seed_routes(self) -> list[AccountRoute]:
        eligible = [vps for vps in self._vpses.values() if vps.not_ready_reason() is None]
        chosen = self._rng.sample(eligible, min(len(SEEDED_ROUTES), len(eligible)))
        routes = []
        pairs = zip(chosen, SEEDED_ROUTES, strict=False)  # a tiny fleet may have fewer eligible VPSes than routes
        for minute, (vps, (length, first_subnet, label)) in enumerate(pairs, start=1):
            assert vps.net0_ipv6 is not None  # eligible VPSes have one
            routed_at = self._pool_allocated_at + timedelta(minutes=minute)
            routes.append(
                AccountRoute(
                    id=self._new_id("ripv6rt_"),
                    prefix=_subnet(ACCOUNT_POOL_CIDR, first_subnet, length),
                    next_hop=vps.net0_ipv6,
                    label=label,
                    vps_id=vps.id,
                    allocated_at=routed_at,
                    updated_at=routed_at,
                )
            )
        return routes

    # --- helpers (call with the lock held) -----------------------------------

    def _new_id(self, prefix: str) -> str:
        return prefix + "".join(self._rng.choice(ID_ALPHABET) for _ in range(ID_LENGTH))

    def _next_free_ip(self) -> str:
        while (candidate := _ipv4_candidate(self._next_ip_index)) in self._used_ips:
            self._next_ip_index += 1
        return candidate

    def _create_vps(self, *, name: str, primary_ip: str | None, power_state: str, has_net0_ipv6: bool) -> Vps:
        cores, memory, disk, monthly_price = self._rng.choice(PLANS)
        net0_ipv6 = str(PARENT_CIDR.network_address + self._next_host)
        self._next_host += 1
        vps = Vps(
            id=self._new_id("vps_"),
            name=name,
            primary_ip=primary_ip or self._next_free_ip(),
            service_status="active",
            power_state=power_state,
            operating_system=dict(self._rng.choice(OPERATING_SYSTEMS)),
            billing=self._billing(monthly_price),
            resources={"cpuCores": cores, "memoryGb": memory, "storageGb": disk},
            net0_ipv6=net0_ipv6 if has_net0_ipv6 else None,
        )
        self._used_ips.add(vps.primary_ip)
        self._vpses[vps.id] = vps
        return vps

    def _billing(self, monthly_price: int) -> dict[str, object]:
        if self._rng.random() < 0.2:  # usage-billed Cloud VPS: cycle reads "monthly", isPayg tells
            return {
                "amount": monthly_price,
                "currencyCode": "SEK",
                "billingCycle": "monthly",
                "isPayg": True,
                "periodYears": None,
            }
        cycle, months, years = self._rng.choice(BILLING_CYCLES)
        return {
            "amount": monthly_price * months,
            "currencyCode": "SEK",
            "billingCycle": cycle,
            "isPayg": False,
            "periodYears": years,
        }

    def _new_allocation(self, *, next_hop: str, at: datetime) -> Allocation:
        if self._next_subnet >= SUBNETS_IN_PARENT:
            raise ApiProblem(500, "internal_error", "The simulator has no free /64 left in its parent prefix.")
        # Prefixes are never reused, so every allocation a VPS gets is a distinct /64.
        prefix = _subnet(PARENT_CIDR, self._next_subnet, ALLOCATION_PREFIX_LENGTH)
        self._next_subnet += 1
        return Allocation(
            id=self._new_id("ripv6_"),
            prefix=prefix,
            next_hop=next_hop,
            allocated_at=at,
            updated_at=at,
            route_id=self._new_id("ripv6rt_"),
        )

    def _find(self, vps_id: str) -> Vps:
        """The VPS, with a finished cooldown already dropped; malformed ids simply are not found."""
        vps = self._vpses.get(vps_id)
        if vps is None:
            raise ApiProblem(404, "vps_not_found", "No VPS matching the given ID was found.")
        allocation = vps.allocation
        if allocation and allocation.cooldown_until is not None and allocation.cooldown_until <= now():
            vps.allocation = None
        return vps

    def _blocker(self, vps: Vps) -> ApiProblem | None:
        """The 409 an allocation would get now; its detail doubles as GET's `reason`."""
        reason = vps.not_ready_reason()
        if reason is not None:
            return ApiProblem(409, "vps_not_ready", reason)
        allocation = vps.allocation
        if allocation and allocation.cooldown_until is not None:
            until = iso(allocation.cooldown_until)
            return ApiProblem(
                409, "routed_ipv6_cooldown", REASON_COOLDOWN.format(until=until), extensions={"cooldownUntil": until}
            )
        return None

    def _state_json(self, vps: Vps, *, created: bool | None) -> dict[str, object]:
        blocker = self._blocker(vps)
        return {
            "available": blocker is None,
            "reason": None if blocker is None else blocker.detail,
            "parentCidr": str(PARENT_CIDR),
            # The docs show 48 and 64 here without saying what it measures; we report the size a VPS gets.
            "prefixLength": ALLOCATION_PREFIX_LENGTH,
            "cooldownDays": COOLDOWN_DAYS,
            "maxPerVm": MAX_PER_VM,
            "suggestedNextHop": vps.net0_ipv6,
            "created": created,
            "allocation": None if vps.allocation is None else vps.allocation.to_json(),
        }

    def _route_json(self, route: AccountRoute) -> dict[str, object]:
        return {
            "id": route.id,
            "prefix": str(route.prefix),
            "prefixLength": route.prefix.prefixlen,
            "nextHop": route.next_hop,
            "label": route.label,
            "vpsId": route.vps_id,
            "vpsName": self._vpses[route.vps_id].name,
            "status": "active",
            "allocatedAt": iso(route.allocated_at),
            "updatedAt": iso(route.updated_at),
            "actions": {"canDelete": _gate(route.delete_refusal, "per_vps_allocation")},
        }

    def _mirrored_routes(self) -> list[AccountRoute]:
        """Every active VPS allocation, seen as a route of the per-VPS parent."""
        return [
            AccountRoute(
                id=vps.allocation.route_id,
                prefix=vps.allocation.prefix,
                next_hop=vps.allocation.next_hop,
                label=None,
                vps_id=vps.id,
                allocated_at=vps.allocation.allocated_at,
                updated_at=vps.allocation.updated_at,
                delete_refusal=REASON_MIRRORED_ROUTE,
            )
            for vps in self._vpses.values()
            if vps.allocation is not None and vps.allocation.is_active
        ]

    def _destination_json(self, vps: Vps) -> dict[str, object]:
        return {
            "vpsId": vps.id,
            "vpsName": vps.name,
            "actions": {"canReceiveRoute": _gate(vps.not_ready_reason(), "vps_not_ready")},
        }

    def _pool_json(
        self, pool_id: str, cidr: ipaddress.IPv6Network, allocated_at: datetime, routes: list[dict[str, object]]
    ) -> dict[str, object]:
        return {
            "id": pool_id,
            "parentCidr": str(cidr),
            "prefixLength": cidr.prefixlen,
            "status": "active",
            "allocatedAt": iso(allocated_at),
            "updatedAt": iso(allocated_at),
            "routes": routes,
        }

    # --- public operations ---------------------------------------------------

    def new_request_id(self) -> str:
        with self._lock:
            return "req_" + "".join(self._request_rng.choice(ID_ALPHABET) for _ in range(ID_LENGTH))

    def vps_ids(self) -> list[str]:
        with self._lock:
            return list(self._vpses)

    def add_vps(self, *, name: str, primary_ip: str | None, power_state: str, available: bool) -> str:
        with self._lock:
            vps = self._create_vps(name=name, primary_ip=primary_ip, power_state=power_state, has_net0_ipv6=available)
            return vps.id

    def list_page(
        self, *, primary_ip: str | None, name: str | None, offset: int, limit: int, include_maintenance: bool
    ) -> tuple[list[dict[str, object]], bool]:
        """One page of VPSes, filtered before paging, and whether more follow."""
        wanted_name = None if name is None else name.casefold()
        with self._lock:
            matches = [
                vps
                for vps in self._vpses.values()
                if (primary_ip is None or vps.primary_ip == primary_ip)
                and (wanted_name is None or vps.name.casefold() == wanted_name)
            ]
            page = [vps.to_json(include_maintenance=include_maintenance) for vps in matches[offset : offset + limit]]
        return page, offset + limit < len(matches)

    def vps_json(self, vps_id: str) -> dict[str, object]:
        with self._lock:
            return self._find(vps_id).to_json(include_maintenance=False)

    def routed_state(self, vps_id: str) -> dict[str, object]:
        with self._lock:
            return self._state_json(self._find(vps_id), created=None)

    def allocate(self, vps_id: str) -> tuple[bool, dict[str, object]]:
        """Allocate a /64, or hand back the active one; says whether it is new. Raises 409 problems."""
        with self._lock:
            vps = self._find(vps_id)
            if vps.allocation is not None and vps.allocation.is_active:
                return False, self._state_json(vps, created=False)
            blocker = self._blocker(vps)
            if blocker is not None:
                raise blocker
            assert vps.net0_ipv6 is not None  # _blocker refuses VPSes without one
            vps.allocation = self._new_allocation(next_hop=vps.net0_ipv6, at=now())
            return True, self._state_json(vps, created=True)

    def refresh_next_hop(self, vps_id: str) -> dict[str, object]:
        """Point the active allocation at the current suggested next hop. Raises 409 problems."""
        with self._lock:
            vps = self._find(vps_id)
            allocation = vps.allocation
            if allocation is None or not allocation.is_active:
                raise ApiProblem(
                    409, "routed_ipv6_not_allocated", "This VPS has no active routed IPv6 allocation to refresh."
                )
            blocker = self._blocker(vps)
            if blocker is not None:
                raise blocker
            assert vps.net0_ipv6 is not None  # _blocker refuses VPSes without one
            allocation.next_hop = vps.net0_ipv6
            # Always move forward, so a refresh within the allocation's millisecond still shows.
            allocation.updated_at = max(now(), allocation.updated_at + timedelta(milliseconds=1))
            return self._state_json(vps, created=False)

    def release(self, vps_id: str) -> dict[str, object]:
        """Release the active allocation into cooldown; `released` false when there is none."""
        with self._lock:
            allocation = self._find(vps_id).allocation
            if allocation is None or not allocation.is_active:
                return {"released": False, "cooldownDays": COOLDOWN_DAYS, "cooldownUntil": None, "allocation": None}
            allocation.release(now())
            return {
                "released": True,
                "cooldownDays": COOLDOWN_DAYS,
                "cooldownUntil": _iso_or_none(allocation.cooldown_until),
                "allocation": allocation.to_json(),
            }

    def expire_cooldowns(self) -> None:
        with self._lock:
            for vps in self._vpses.values():
                if vps.allocation is not None and not vps.allocation.is_active:
                    vps.allocation = None

    def account_state(self, *, mirror_allocations: bool) -> dict[str, object]:
        """GET /api/v2/routed-ipv6; mirror mode adds every active VPS allocation as a route."""
        with self._lock:
            routes = [self._route_json(route) for route in self._routes]
            pools = [self._pool_json(self._pool_id, ACCOUNT_POOL_CIDR, self._pool_allocated_at, routes)]
            if mirror_allocations:
                mirrored = [self._route_json(route) for route in self._mirrored_routes()]
                pools.append(self._pool_json(self._mirror_pool_id, PARENT_CIDR, self._started_at, mirrored))
            destinations = [self._destination_json(vps) for vps in self._vpses.values()]
        return {
            "available": True,
            "reason": None,
            "allowedPrefixLengths": list(ALLOWED_PREFIX_LENGTHS),
            "pools": pools,
            "destinations": destinations,
            "actions": {
                "canAllocatePool": _gate(REASON_POOL_EXISTS, "pool_exists"),
                "canCreateRoute": _gate(None),
            },
        }

"""The VPS inventory: each VPS as GET /api/v2/vps shows it, and the fleet that creates, finds and pages them."""

import ipaddress
import random
from collections.abc import Iterator
from dataclasses import dataclass

from hostup_dash.simulator.formats import new_id
from hostup_dash.simulator.problems import ApiProblem

REASON_NOT_RUNNING = "The VPS is not running."
REASON_NO_NET0_IPV6 = "Assign IPv6 to the net0 interface first to enable routed IPv6."

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


def _ipv4_candidate(index: int) -> str:
    """The index-th primary IPv4: the documentation ranges first, then 10.0.0.0/8 for large fleets."""
    documentation_hosts = 254 * len(DOCUMENTATION_NETS)
    if index < documentation_hosts:
        net, host = divmod(index, 254)
        return f"{DOCUMENTATION_NETS[net]}.{host + 1}"
    return str(ipaddress.IPv4Address("10.0.0.1") + (index - documentation_hosts))


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


class Fleet:
    """Every VPS of the account, in list order. Not locked: call it with SimState's lock held."""

    def __init__(self, rng: random.Random, *, net0_network: ipaddress.IPv6Network) -> None:
        self._rng = rng
        self._net0_network = net0_network  # where each VPS's net0 address comes from, one host each
        self._vpses: dict[str, Vps] = {}  # insertion order is list order
        self._used_ips: set[str] = set()
        self._next_ip_index = 0
        self._next_host = 1

    def __iter__(self) -> Iterator[Vps]:
        return iter(self._vpses.values())

    def ids(self) -> list[str]:
        return list(self._vpses)

    def find(self, vps_id: str) -> Vps:
        """The VPS; malformed ids simply are not found. Raises the 404 vps_not_found problem."""
        vps = self._vpses.get(vps_id)
        if vps is None:
            raise ApiProblem(404, "vps_not_found", "No VPS matching the given ID was found.")
        return vps

    def create(self, *, name: str, primary_ip: str | None, power_state: str, has_net0_ipv6: bool) -> Vps:
        cores, memory, disk, monthly_price = self._rng.choice(PLANS)
        net0_ipv6 = str(self._net0_network.network_address + self._next_host)
        self._next_host += 1
        vps = Vps(
            id=new_id(self._rng, "vps_"),
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

    def renumber_net0(self, vps_id: str) -> str:
        """Give the VPS's net0 a new IPv6 address, as a move to another host does; returns it."""
        vps = self.find(vps_id)
        vps.net0_ipv6 = str(self._net0_network.network_address + self._next_host)
        self._next_host += 1
        return vps.net0_ipv6

    def page(
        self, *, primary_ip: str | None, name: str | None, offset: int, limit: int, include_maintenance: bool
    ) -> tuple[list[dict[str, object]], bool]:
        """One page of VPSes, filtered before paging, and whether more follow."""
        wanted_name = None if name is None else name.casefold()
        matches = [
            vps
            for vps in self._vpses.values()
            if (primary_ip is None or vps.primary_ip == primary_ip)
            and (wanted_name is None or vps.name.casefold() == wanted_name)
        ]
        page = [vps.to_json(include_maintenance=include_maintenance) for vps in matches[offset : offset + limit]]
        return page, offset + limit < len(matches)

    def _next_free_ip(self) -> str:
        while (candidate := _ipv4_candidate(self._next_ip_index)) in self._used_ips:
            self._next_ip_index += 1
        return candidate

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

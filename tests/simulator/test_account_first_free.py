"""The simulator's first free child of a pool: right among mixed lengths, and one pass however full the pool."""

import ipaddress
import time

from hostup_dash.simulator.account import first_free

POOL = ipaddress.IPv6Network("2001:db8:1000::/48")


def _child(index: int, length: int) -> ipaddress.IPv6Network:
    return ipaddress.IPv6Network((int(POOL.network_address) + (index << (128 - length)), length))


def test_skips_routes_of_every_length_to_an_aligned_child():
    used = [_child(1, 56), _child(0, 64), _child(3, 64)]  # not in address order

    assert first_free(POOL, 64, used) == _child(1, 64)
    assert first_free(POOL, 56, used) == _child(2, 56)
    assert first_free(POOL, 48, used) is None
    assert first_free(POOL, 48, []) == POOL


def test_a_nearly_full_pool_is_one_pass():
    used = [_child(index, 64) for index in reversed(range(65535))]

    started = time.monotonic()
    found = first_free(POOL, 64, used)

    assert found == _child(65535, 64)
    assert first_free(POOL, 64, [*used, found]) is None
    assert time.monotonic() - started < 2  # a search over every candidate takes minutes here

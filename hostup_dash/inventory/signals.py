"""Signals other apps may listen to; inventory itself never imports a listener."""

from django.dispatch import Signal

# Sent after a VPS's routed-IPv6 state was written to its snapshot row, with `vps_id` and `state`
# (a hostup RoutedIpv6State), in the writer's transaction. The notifications app tells of a drift from it.
state_stored = Signal()

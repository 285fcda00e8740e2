"""HostUp's refusals of an account write, next to the form field they concern and explained.

The dashboard checks each write against the state it read just before, so HostUp refusing it
mostly means the account changed in between (HostUp's panel, the API): a 409. Its codes are the
simulator's reading of the contract (NOTES.md: invented; clients branch on `code`, never on words).
A 400's own `errors[]` already point at fields and are shown as they are.
"""

from __future__ import annotations

from hostup_dash.hostup import FieldError, HostupError

CHANGED = "The account changed since this page was read."
# code -> (the field it concerns, "" for the form as a whole; what to do about it)
CONFLICTS = {
    "routed_ipv6_prefix_in_use": ("/prefix", "Reload the page and choose a free prefix, or leave it empty."),
    "routed_ipv6_pool_exhausted": ("/prefixLength", "Choose a longer prefix, or delete a route first."),
    "routed_ipv6_destination_not_eligible": ("/vpsId", "Choose another VPS, or try again once this one is ready."),
    "routed_ipv6_pool_exists": ("", "The account holds a pool already, and HostUp gives it only one."),
    "routed_ipv6_pool_not_empty": ("", "Delete the pool's routes first."),
    "routed_ipv6_route_not_deletable": ("", "HostUp does not let this route be deleted here."),
    "routed_ipv6_cooldown": ("", "A released pool is in cooldown; allocate again after it ends."),
    "not_found": ("", "HostUp no longer lists it: reload the page."),
}


def hostup_refusal_errors(problem: HostupError) -> tuple[FieldError, ...]:
    """The field errors to show for HostUp's answer: its own `errors[]`, or for a known conflict HostUp's
    words and what to do, on the field it concerns. Empty for everything else (shown as the problem)."""
    if problem.errors:
        return problem.errors
    pointer, advice = CONFLICTS.get(problem.code, (None, ""))
    if pointer is None or problem.status not in (404, 409):
        return ()
    words = " ".join(part for part in (problem.detail or problem.title, CHANGED, advice) if part)
    return (FieldError(pointer=pointer, detail=words, code=problem.code),)


UNKNOWN_ADVICE = (
    "The pools below were read from HostUp again after it: see whether the change is there before trying again. "
    "The audit record is settled later from HostUp's own log."
)


def hostup_advice(problem: HostupError) -> str:
    """What to do about an unknown outcome, or a known conflict that concerns no one field (shown under
    HostUp's words)."""
    if problem.is_outcome_unknown:
        return UNKNOWN_ADVICE
    pointer, advice = CONFLICTS.get(problem.code, (None, ""))
    return f"{CHANGED} {advice}" if pointer == "" and problem.status in (404, 409) else ""

"""Every view that accepts a POST is in a role-matrix test, so a new action cannot ship unchecked."""

from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from tests.approvals.test_views import APPROVAL_ACTIONS
from tests.bulk.test_views import BULK_ACTIONS
from tests.inventory.test_views import ACTIONS, REFRESHES
from tests.pools.test_views import POOL_ACTIONS

# Outside the role matrix, each for a reason.
NOT_ROLE_CHECKED = {
    "login": "open to everyone by design; tests/accounts/test_login.py covers it",
    "logout": "Django's view; it ends the caller's own session, whatever the role",
}
NAMESPACES_NOT_ROLE_CHECKED = {
    "admin": "the Django admin checks is_staff and model permissions itself; tests/accounts/test_admin_roles.py",
}


def _named_patterns(patterns: list, prefix: str = ""):
    """(namespaced URL name, pattern) of every named URL, skipping the namespaces left out above."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in NAMESPACES_NOT_ROLE_CHECKED:
                continue
            yield from _named_patterns(entry.url_patterns, f"{prefix}{entry.namespace}:" if entry.namespace else prefix)
        elif entry.name and prefix + entry.name not in NOT_ROLE_CHECKED:
            yield prefix + entry.name, entry


def _allowed_methods(pattern: URLPattern) -> set[str]:
    """The methods a view declares, read off the 405 its require_GET/require_POST gives an OPTIONS request.

    The method decorator is the outermost one on every view, so nothing else of the view runs here.
    """
    response = pattern.callback(RequestFactory().options("/"), **dict.fromkeys(pattern.pattern.converters, ""))
    assert response.status_code == 405, f"{pattern.name}: declare its methods with require_GET / require_POST"
    return {method.strip() for method in response["Allow"].split(",")}


def test_every_post_view_is_in_a_role_matrix():
    patterns = _named_patterns(get_resolver().url_patterns)
    posts = {name for name, pattern in patterns if "POST" in _allowed_methods(pattern)}

    assert posts == set(ACTIONS) | set(REFRESHES) | set(BULK_ACTIONS) | set(APPROVAL_ACTIONS) | set(POOL_ACTIONS)

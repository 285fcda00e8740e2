"""The routed-IPv6 panel after an action: a refused form keeps what was typed and shows its errors where they
belong, focus lands on them (or on the outcome), times read like the page's others, and a request is said once."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from hostup_dash.accounts.roles import Role
from hostup_dash.approvals.models import ChangeRequest
from tests.factories import pick_vps, release_form, synced

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
TYPED_CONFIRM = '2001:db8::/64"><b>x'
TYPED_TICKET = "OPS-<7>"


@pytest.fixture
def admin(make_user) -> Client:
    client = Client()
    client.force_login(make_user(Role.ADMIN, "alice"))
    return client


def _tag(html: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    found = re.search(rf'<[a-z0-9]+[^>]*\bid="{element_id}"[^>]*>', html)
    assert found, f"no #{element_id}"
    return found.group(0)


def _details_tag(html: str) -> str:
    found = re.search(r'<details class="release"[^>]*>', html)
    assert found
    return found.group(0)


def _release_refused(admin: Client, hostup, settings, **headers) -> tuple[str, str]:
    settings.APPROVAL_REQUIRED_FOR = ["release"]
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    form = release_form(hostup, vps_id, confirm=TYPED_CONFIRM, reason="", ticket=TYPED_TICKET, emergency="1")
    response = admin.post(reverse("inventory:ipv6-release", args=[vps_id]), form, **headers)
    assert response.status_code == 400
    return vps_id, response.content.decode()


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_refused_emergency_release_keeps_the_form_open_and_filled(admin, hostup, settings, headers):
    _, html = _release_refused(admin, hostup, settings, **headers)

    assert " open" in _details_tag(html)
    assert 'value="2001:db8::/64&quot;&gt;&lt;b&gt;x"' in _tag(html, "release-confirm")
    assert TYPED_CONFIRM not in html
    assert 'value="OPS-&lt;7&gt;"' in _tag(html, "release-ticket")
    assert " checked" in _tag(html, "release-emergency")
    reason = _tag(html, "release-reason")
    assert 'aria-invalid="true"' in reason
    assert 'aria-describedby="release-reason-error"' in reason
    # The field error sits inside the (now open) release form, next to its field.
    form = html[html.index('<details class="release"') : html.index("</details>")]
    assert 'id="release-reason-error"' in form
    # Focus goes to the first field in error, and only there.
    assert " autofocus" in reason
    assert html.count("autofocus") == 1


def test_refused_emergency_allocate_keeps_the_box_ticked(admin, hostup, settings):
    settings.APPROVAL_REQUIRED_FOR = ["allocate"]
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)
    form = {"reason": "", "ticket": TYPED_TICKET, "rack_id": "r<1>", "emergency": "1"}
    response = admin.post(reverse("inventory:ipv6-allocate", args=[vps_id]), form, **HTMX)

    html = response.content.decode()
    assert response.status_code == 400
    assert " checked" in _tag(html, "change-emergency")
    assert 'value="OPS-&lt;7&gt;"' in _tag(html, "change-ticket")
    assert 'value="r&lt;1&gt;"' in _tag(html, "rack-id")
    assert " autofocus" in _tag(html, "change-reason")


def test_a_release_that_is_not_refused_leaves_the_form_closed(admin, hostup):
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    html = admin.get(reverse("inventory:vps-detail", args=[vps_id]), **HTMX).content.decode()

    assert " open" not in _details_tag(html)
    assert "value=" not in _tag(html, "release-confirm")
    assert "autofocus" not in html  # a plain read (the panel's first load) takes no focus


def test_an_action_focuses_its_outcome(admin, hostup):
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)
    response = admin.post(reverse("inventory:ipv6-allocate", args=[vps_id]), {"reason": "test"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    heading = _tag(html, "ipv6-heading")
    assert 'tabindex="-1"' in heading
    assert " autofocus" in heading  # the outcome itself is announced by #ipv6-announce
    assert html.count("autofocus") == 1


def test_the_cooldown_reads_like_the_other_times(admin, hostup):
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    released = admin.post(reverse("inventory:ipv6-release", args=[vps_id]), release_form(hostup, vps_id), **HTMX)
    assert released.status_code == 200

    html = admin.get(reverse("inventory:vps-detail", args=[vps_id]), **HTMX).content.decode()
    reason = re.search(r'<p class="reason">.*?</p>', html, re.S)
    assert reason, "no reason line"
    assert "in cooldown, which ends" in reason.group(0)
    assert not re.search(r"until \d{4}-\d\d-\d\dT", html)
    assert re.search(
        r'ends <time class="relative" datetime="[^"]+" title="[^"]+ UTC">\d{4}-\d\d-\d\d \d\d:\d\d UTC', html
    )


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_a_release_request_is_said_once(admin, hostup, settings, headers):
    settings.APPROVAL_REQUIRED_FOR = ["release"]
    settings.APPROVAL_TTL = 3600
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    response = admin.post(
        reverse("inventory:ipv6-release", args=[vps_id]), release_form(hostup, vps_id), follow=True, **headers
    )

    html = response.content.decode()
    html = html[html.index('<section id="ipv6-panel"') : html.index("</section>")]  # what shows (not the announcement)
    request = ChangeRequest.objects.get(vps_id=vps_id)
    assert html.count(f"request #{request.id}") + html.count(f"Request #{request.id}") == 1
    assert html.count("is waiting for approval") == 1  # the top bar's count says "waiting for approval" too
    waiting = _tag(html, f"change-request-{request.id}")
    assert f'href="{reverse("approvals:request-detail", args=[request.id])}"' in html
    if headers:
        assert 'role="status"' in waiting

"""A "date" moment on the server: the calendar date, in words that still read once app.js makes it relative."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hostup_dash.accounts.roles import Role
from hostup_dash.core.templatetags.times import moment
from tests.factories import pick_vps, release_form, synced

HTMX = {"HTTP_HX_REQUEST": "true"}
# Words that read with a date but not with "in 3 weeks" / "2 days ago", the text app.js puts in its place.
DATE_ONLY_WORDS = re.compile(r'\b(until|at|on|since|from|by)\s+\{%\s*moment\s[^%]*"date"', re.I)


def test_a_date_moment_shows_the_date_with_the_exact_time_as_title():
    html = moment(datetime(2026, 12, 31, 15, 13, 7, tzinfo=UTC), "date")

    assert ">2026-12-31 15:13 UTC</time>" in html
    assert 'title="2026-12-31 15:13:07 UTC"' in html


@pytest.mark.django_db
def test_the_cooldown_sentence_shows_the_date_it_ends(make_user, hostup):
    admin = Client()
    admin.force_login(make_user(Role.ADMIN, "alice"))
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    released = admin.post(reverse("inventory:ipv6-release", args=[vps_id]), release_form(hostup, vps_id), **HTMX)
    assert released.status_code == 200

    html = admin.get(reverse("inventory:vps-detail", args=[vps_id])).content.decode()

    reason = re.search(r'<p class="reason">(.*?)</p>', html, re.S)
    assert reason, "no cooldown sentence"
    found = re.fullmatch(
        r'Not available: the released prefix is in cooldown, which ends <time class="relative" datetime="([^"]+)" '
        r'title="[^"]+ UTC">(\d{4}-\d\d-\d\d \d\d:\d\d) UTC</time>; allocate again after that\.',
        reason.group(1),
    )
    assert found, reason.group(1)
    ends = datetime.fromisoformat(found.group(1))
    assert ends > timezone.now() + timedelta(days=1)
    assert found.group(2) == f"{ends.astimezone(UTC):%Y-%m-%d %H:%M}"


def test_no_template_puts_a_date_moment_where_relative_words_cannot_go():
    templates = Path(settings.BASE_DIR) / "templates"
    wrong = [
        f"{path.relative_to(templates)}: {hit.group(0)}"
        for path in sorted(templates.rglob("*.html"))
        for hit in DATE_ONLY_WORDS.finditer(path.read_text(encoding="utf-8"))
    ]
    assert wrong == []

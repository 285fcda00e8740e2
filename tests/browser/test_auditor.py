"""The auditor narrows the audit log and takes the same view away as CSV."""

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect

from hostup_dash.inventory import services
from tests.factories import pick_vps, synced

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_auditor_filters_the_audit_log_and_downloads_csv(page: Page, live_server, hostup, make_user, log_in_as):
    wanted = pick_vps(hostup, allocated=False)
    other = pick_vps(hostup, allocated=True)
    synced(hostup)
    operator = make_user("operator")
    services.ipv6_allocate(actor=operator, vps_id=wanted)
    services.ipv6_next_hop_refresh(actor=operator, vps_id=other)
    log_in_as("auditor")

    page.goto(live_server.url + "/audit/")
    rows = page.locator("#audit-rows tbody tr")
    expect(rows.filter(has_text=wanted)).to_have_count(1)
    expect(rows.filter(has_text=other)).to_have_count(1)
    page.locator("#id_vps").fill(wanted)

    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(wanted)
    expect(page).to_have_url(re.compile(rf"/audit/\?.*vps={wanted}"))
    link = page.get_by_role("link", name="Download CSV")
    expect(link).to_have_attribute("href", re.compile(rf"^/audit/export\.csv\?.*vps={wanted}"))
    with page.expect_download() as download_info:
        link.click()

    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig") as file:
        # Lines starting with "#" describe the export (filter, time); the rest is one row per record.
        lines = [line for line in file if not line.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("".join(lines))))
    # The page shows the action once; the export holds both its records, newest first (the whole chain).
    assert [(row["vps_id"], row["action"], row["outcome"]) for row in rows] == [
        (wanted, "allocate", "succeeded"),
        (wanted, "allocate", "pending"),
    ]

"""Browser tests: Debian's Chromium, driven by Playwright, against Django's live server,
the HostUp simulator and the real Postgres.

Every test here needs `django_db(transaction=True)`: the live server answers from its
own thread and database connection, so rows a test makes must be committed to be seen.
"""

import os
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.factories import pick_vps, synced

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling home, and this network is closed.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
ARTIFACTS = "test-artifacts"
SCREENSHOTS_MARK = "screenshots"


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright for this package only, replacing pytest-playwright's session-wide one.

    While Playwright's sync API lives, an event loop runs in the main thread, and Django
    then (1) refuses database access unless DJANGO_ALLOW_ASYNC_UNSAFE is set and (2) keeps
    the thread's connections in per-context storage instead of the thread-local one. Both
    end with this package, so later tests see a plain thread again: the flag does not leak
    into their subprocesses (`check --deploy` rightly complains about it), and no orphaned
    connection keeps pytest-django from dropping the test database.
    """
    connections.close_all()
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        connections.close_all()
        driver.stop()
        if previous is None:
            del os.environ[ASYNC_UNSAFE]
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="package")
def browser(playwright: Playwright, browser_type_launch_args: dict) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(**browser_type_launch_args)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch the system Chromium; `playwright install` is never run here."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="package")
def browser_context_args() -> dict:
    # Not built on pytest-playwright's: that one needs its session-wide `playwright`.
    return {
        "viewport": {"width": 1280, "height": 860},
        "locale": "en-GB",
        "timezone_id": "UTC",
        "accept_downloads": True,
    }


@pytest.fixture
def page(page: Page) -> Page:
    # Long enough for a slow CI machine, short enough that a broken flow fails quickly.
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def log_in_as(page: Page, live_server, make_user) -> Callable[[str], object]:
    """Make a user in a role and give the browser that user's session (the login form has its own test)."""

    def log_in(role: str):
        user = make_user(role)
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
        return user

    return log_in


@pytest.fixture
def open_vps_as(page: Page, live_server, hostup, log_in_as) -> Callable[..., str]:
    """Log in as a role and open the page of a synced VPS with or without an allocation; return its id.

    Marks the window, so `page.evaluate("window.__marker")` shows whether a full page load happened since.
    """

    def open_vps(role: str, *, allocated: bool) -> str:
        vps_id = pick_vps(hostup, allocated=allocated)
        synced(hostup)
        log_in_as(role)
        page.goto(f"{live_server.url}/vps/{vps_id}/")
        expect(page.locator("#ipv6-panel")).to_be_visible()
        expect(page.locator("#ipv6-panel[aria-busy]")).to_have_count(0)  # the live state has arrived
        page.evaluate("window.__marker = 1")
        return vps_id

    return open_vps


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`make screenshots` selects the screenshot takers with `-m screenshots`; every other run leaves them out."""
    if SCREENSHOTS_MARK in (config.option.markexpr or ""):
        return
    kept = [item for item in items if item.get_closest_marker(SCREENSHOTS_MARK) is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """When a browser test fails, keep what the browser showed: test-artifacts/<test>.png and .html."""
    report = yield
    page = getattr(item, "funcargs", {}).get("page")
    if report.failed and report.when in ("setup", "call") and isinstance(page, Page) and not page.is_closed():
        _save_page(page, Path(item.config.rootpath) / ARTIFACTS, item.name)
    return report


def _save_page(page: Page, directory: Path, test_name: str) -> None:
    directory.mkdir(exist_ok=True)
    stem = directory / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name).strip("_")  # test_x[chromium] -> test_x_chromium
    try:
        page.screenshot(path=stem.with_suffix(".png"), full_page=True)
        stem.with_suffix(".html").write_text(page.content(), encoding="utf-8")
    except Exception as error:  # noqa: BLE001 - a broken page must not hide the test's own failure
        warnings.warn(f"could not save the page of {test_name}: {error}", stacklevel=1)

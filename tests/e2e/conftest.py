"""Browser tests: Playwright (sync API) driving Debian's Chromium against the live server.

Chromium is launched once per test module; every test gets a fresh context (cookies,
storage) and page, closed afterwards. Without /usr/bin/chromium the tests are skipped,
except when FABRECK_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
TIMEOUT_MS = 10_000


def _browser_required() -> bool:
    return os.environ.get("FABRECK_REQUIRE_BROWSER", "").strip() == "1"


def _chromium_available_or_skip() -> None:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium)"
    if _browser_required():
        pytest.fail(f"FABRECK_REQUIRE_BROWSER=1 but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def _chromium() -> Iterator[object]:
    _chromium_available_or_skip()
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API runs an asyncio loop in this thread, so Django's async-safety
    # check would refuse the test's own ORM calls; allowed only while the browser is up.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_page(_chromium) -> Iterator[object]:
    """A page in a fresh browser context (English, no cookies), closed after the test."""
    context = _chromium.new_context(locale="en-GB", extra_http_headers={"Accept-Language": "en"})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()

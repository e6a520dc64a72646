"""Browser tests: Debian's chromium driven by Playwright, against the app on a real local server.

Playwright's own browser download cannot work here, so the browser is launched from
``CHROMIUM`` (default ``/usr/bin/chromium``).  Without it these tests skip locally and fail in CI.
Screenshots go to ``test-artifacts/screenshots/<database backend>/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ..conftest import IN_CI, TEST_DATABASE_URL

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        reason = f"no chromium at {CHROMIUM} (apt-get install chromium fonts-wqy-microhei)"
        if IN_CI:
            pytest.fail("CI needs the browser: " + reason, pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open pages in fresh browser contexts (kiosk screen by default; pass a phone's viewport)."""
    contexts = []

    def _open(**options):
        options.setdefault("viewport", {"width": 1280, "height": 1024})
        context = browser.new_context(base_url=live_server, locale="zh-CN", **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request):
    """Save a screenshot: ``shot(page, "01-home")``."""
    backend = "postgresql" if TEST_DATABASE_URL else "sqlite"
    folder = ARTIFACTS / backend / request.node.name
    folder.mkdir(parents=True, exist_ok=True)

    def _shot(page, name: str, **options):
        path = folder / f"{name}.png"
        options.setdefault("full_page", True)
        page.screenshot(path=str(path), **options)
        return path

    return _shot

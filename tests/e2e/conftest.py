"""Browser fixtures: Debian's Chromium driven by Playwright (sync API), one browser per session.

Each test gets its own context (a fresh profile: storage, permissions), at a phone viewport.
Requests to any host but the local stack are aborted and recorded, and uncaught page errors
and CSP violations are collected, so a test can assert the pages load nothing from elsewhere
and run cleanly under the app's Content-Security-Policy.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@dataclass
class BrowserLog:
    """What a context did that a test may want to assert on."""
    foreign_requests: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        # Chromium logs every 4xx fetch as "Failed to load resource"; the forms expect 409/422s.
        console = [text for text in self.console_errors if not text.startswith("Failed to load resource")]
        return self.foreign_requests + self.page_errors + console


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Any]:
    assert Path(CHROMIUM).exists() or shutil.which("chromium"), "Chromium is not installed: run `make browser`"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


def launch(playwright: Any, extra_args: list[str] | None = None) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + (extra_args or []))


@pytest.fixture(scope="session")
def browser(playwright_session: Any) -> Iterator[Any]:
    browser = launch(playwright_session)
    yield browser
    browser.close()


def watch(context: Any, log: BrowserLog) -> None:
    def route(route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", None) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            log.foreign_requests.append(route.request.url)
            route.abort()

    context.route("**/*", route)

    def on_page(page: Any) -> None:
        page.on("pageerror", lambda error: log.page_errors.append(f"pageerror: {error}"))
        page.on("console", lambda message: log.console_errors.append(message.text)
                if message.type == "error" else None)

    context.on("page", on_page)


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


def new_phone_context(browser: Any, log: BrowserLog, **overrides: Any) -> Any:
    context = browser.new_context(**{**PHONE, **overrides})
    context.set_default_timeout(10_000)
    watch(context, log)
    return context


@pytest.fixture
def phone(browser: Any, browser_log: BrowserLog) -> Iterator[Any]:
    """A page in a fresh phone-sized context (390×844, touch, zh-CN, Asia/Shanghai)."""
    context = new_phone_context(browser, browser_log)
    page = context.new_page()
    yield page
    context.close()
    assert not browser_log.problems(), browser_log.problems()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def shoot(screenshot_dir: Path):
    """shoot(page, "name") saves a full-page screenshot under test-artifacts/screenshots/."""

    def save(page: Any, name: str, full_page: bool = True) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        return path

    return save

"""Browser fixtures: Debian's Chromium driven by Playwright (sync API), one browser per session.

Each test gets its own context (a fresh profile: storage, permissions), at a phone viewport.
Requests to any host but the local stack are aborted and recorded, and uncaught page errors
and CSP violations are collected, so a test can assert the pages load nothing from elsewhere
and run cleanly under the app's Content-Security-Policy.

`axe_violations(page)` runs axe-core (node_modules/axe-core) on the page as it is now and
returns its serious and critical findings; `save_screenshot(page, name)` (and the `shoot`
fixture) writes test-artifacts/screenshots/<name>.png.
"""
from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
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


def save_screenshot(page: Any, name: str, full_page: bool = True, scale: str = "device") -> Path:
    """Saves what the page shows as test-artifacts/screenshots/<name>.png (animations stopped;
    scale="css" for one image pixel per CSS pixel: smaller and quicker on a 2× phone)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", scale=scale)
    return path


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def shoot(screenshot_dir: Path):
    """shoot(page, "name") saves a full-page screenshot under test-artifacts/screenshots/."""
    return save_screenshot


# --- accessibility: axe-core -------------------------------------------------------------------

@functools.cache
def axe_source() -> str:
    """axe-core's browser build, read once per session (`npm ci` installs it)."""
    assert AXE_JS.exists(), f"{AXE_JS.relative_to(ROOT)} is missing: run `npm ci`"
    return AXE_JS.read_text(encoding="utf-8")


# axe's defaults (WCAG 2.0–2.2 A/AA and best practices) plus WCAG 2.2's 2.5.8 target size,
# which axe ships switched off: these pages are used with a thumb.
AXE_OPTIONS: dict[str, Any] = {"rules": {"target-size": {"enabled": True}}}

# In the page: axe.run, then only what a test needs from each finding (the rule, how bad, what it
# means, where). axe cannot tell the contrast of text over a CSS gradient (it reports it as
# "incomplete"); for those nodes the gradient is swapped for each of its colour stops in turn and
# color-contrast is run again, so text on a gradient must be readable over both of its ends.
_AXE_RUN = r"""async ({options, gradients}) => {
  const brief = (rule, note) => ({
    id: rule.id, impact: rule.impact, help: rule.help + (note || ''), helpUrl: rule.helpUrl,
    nodes: rule.nodes.map((node) => ({
      target: node.target.map(String), impact: node.impact,
      html: node.html.length > 200 ? node.html.slice(0, 200) + '…' : node.html,
      summary: node.failureSummary || '',
    })),
  });
  const results = await axe.run(document, {...options, resultTypes: ['violations', 'incomplete']});
  const found = results.violations.map((rule) => brief(rule));
  if (!gradients) return found;
  const unsure = results.incomplete.filter((rule) => rule.id === 'color-contrast')
    .flatMap((rule) => rule.nodes)
    .filter((node) => [...node.any, ...node.all].some((check) => (check.data || {}).messageKey === 'bgGradient'))
    .map((node) => node.target);
  // A gradient drawn as a small unrepeated image (a select's arrow) is not behind the text.
  const small = (style) => style.backgroundRepeat.split(',').every((repeat) => repeat.trim() === 'no-repeat') &&
    style.backgroundSize.split(',').every((size) => /^\s*[\d.]+px( [\d.]+px)?\s*$/.test(size));
  const contrast = {runOnly: {type: 'rule', values: ['color-contrast']}, resultTypes: ['violations']};
  const layers = new Set();
  for (const target of unsure) {
    for (let el = document.querySelector(target[0]); el; el = el.parentElement) {
      const style = getComputedStyle(el);
      if (style.backgroundImage.includes('gradient') && !small(style)) layers.add(el);
    }
  }
  for (const layer of layers) {
    const inside = unsure.filter((target) => layer.contains(document.querySelector(target[0])));
    const stops = getComputedStyle(layer).backgroundImage.match(/rgba?\([^)]*\)/g) || [];
    const style = layer.getAttribute('style');
    try {
      for (const stop of new Set(stops)) {
        layer.style.backgroundImage = 'none';
        layer.style.backgroundColor = stop;
        const again = await axe.run({include: inside}, contrast);
        found.push(...again.violations.map((rule) => brief(rule, ` (over ${stop}, a colour stop of a gradient)`)));
      }
    } finally {
      if (style === null) layer.removeAttribute('style'); else layer.setAttribute('style', style);
    }
  }
  return found;
}"""


# axe waits on setTimeout between rules: under page.clock (a test holding a page's timers, say a
# banner that hides itself) it would wait forever. It gets the browser's own timers instead.
_AXE_WITH_REAL_TIMERS = """(function (timers) {
  (function (setTimeout, clearTimeout) {
/*axe*/
  }).call(window, timers.setTimeout.bind(window), timers.clearTimeout.bind(window));
})((window.__pwClock && window.__pwClock.builtins) || window)"""


def preload_axe(context: Any) -> None:
    """Puts axe into every document the context opens, before the page's own scripts (an init
    script: compiled once, not sent again). For a context that runs axe on many pages."""
    context.add_init_script(script=_AXE_WITH_REAL_TIMERS.replace("/*axe*/", axe_source()))


def axe_violations(page: Any, impact: tuple[str, ...] | None = ("serious", "critical"),
                   options: dict[str, Any] | None = None, gradients: bool = True) -> list[dict[str, Any]]:
    """Runs axe-core on the page's current DOM; returns the violations of the given impacts
    (all of them with impact=None), each as {id, impact, help, helpUrl, nodes: [{target, impact,
    html, summary}]}, with only the nodes of those impacts. `options` are axe.run's (default
    AXE_OPTIONS); with `gradients`, text over a CSS gradient is checked against each colour stop.

    axe is put into the page with page.evaluate, not a <script> tag: the app's CSP
    (script-src 'self') refuses inline and injected scripts, but code evaluated through the
    DevTools protocol is not subject to it. Once per document (a navigation clears it), unless
    preload_axe(context) put it there already."""
    if not page.evaluate("typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        page.evaluate(_AXE_WITH_REAL_TIMERS.replace("/*axe*/", axe_source()))
    found = page.evaluate(_AXE_RUN, {"options": AXE_OPTIONS if options is None else options,
                                     "gradients": gradients})
    wanted = []
    for rule in found:
        nodes = [node for node in rule["nodes"] if impact is None or (node["impact"] or rule["impact"]) in impact]
        if nodes:
            wanted.append({**rule, "nodes": nodes})
    return wanted


def format_violations(violations: list[dict[str, Any]], where: str = "") -> str:
    """A readable failure message: one block per rule, its failing nodes beneath."""
    lines = [f"{len(violations)} accessibility violation(s){' on ' + where if where else ''}:"]
    for rule in violations:
        lines.append(f"- [{rule['impact']}] {rule['id']}: {rule['help']} ({rule['helpUrl']})")
        for node in rule["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {' > '.join(node['target'])}  {node['html']}")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)

"""In a real Chromium: an administrator edits a diagram in the modeler, sees a validation error
marked on its element, fixes it and deploys a new version; every page is photographed on a
desktop and on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.database import Database
from tests.web.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    require_browser,
    screenshot_path,
    serve,
)
from tests.web.world import PASSWORD, World, populate
from web.app import create_app
from web.composition import build_engine, upgrade
from web.settings import Settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    """The app as it runs in production (secure cookies, CSRF) on a migrated SQLite database."""
    require_browser()
    folder = tmp_path_factory.mktemp("live")
    database = Database(f"sqlite:///{folder / 'live.db'}")
    upgrade(database)
    engine = build_engine(database)
    world = populate(engine, roles=("admin", "mediator"))
    app = create_app(Settings(database.url, folder / "instance"), engine=engine)
    with serve(app) as base:
        yield base, world
    database.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


INFERNO_NOTICE = "It looks like you're using a minified copy of the development build of Inferno"


class Watched:
    """A page whose script errors and console errors (CSP refusals included) are collected."""

    def __init__(self, page: Any, *, refusals: tuple[str, ...] = ()):
        self.page = page
        self.refusals = refusals  # paths expected to answer 4xx (Chromium logs each one)
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        url = (message.location or {}).get("url", "")
        if message.type != "error" or url.endswith(self.refusals):
            return
        if message.text.startswith(INFERNO_NOTICE):
            return  # dmn-js's own build trips Inferno's development-mode notice; harmless
        self.errors.append(f"console: {message.text} ({url})")

    def shot(self, name: str) -> Path:
        """Save a full-page screenshot."""
        path = screenshot_path(name)
        self.page.screenshot(path=str(path), full_page=True)
        return path


def log_in(page: Any, base: str, username: str) -> None:
    """Log in through the form."""
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash-success")


SET_CONDITION = """([flowId, body]) => {
  const modeler = window.tiaojieModeler;
  const flow = modeler.get('elementRegistry').get(flowId);
  const expression = modeler.get('moddle').create('bpmn:FormalExpression', { body });
  modeler.get('modeling').updateProperties(flow, { conditionExpression: expression });
}"""


def test_administrator_fixes_a_diagram_in_the_modeler_and_deploys_it(
    live: tuple[str, World], browser: Any
) -> None:
    base, world = live
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    watched = Watched(context.new_page(), refusals=("/validate",))
    page = watched.page
    page.goto(base + "/")
    watched.shot("home-desktop")
    log_in(page, base, "admin")
    watched.shot("home-admin-desktop")

    page.click("text=流程定义")
    page.wait_for_selector("#processes")
    assert "v2" in page.inner_text("tr[data-process=triage] .latest-version")
    watched.shot("definitions-desktop")
    page.click("tr[data-process=triage] a >> nth=0")
    page.wait_for_selector("#versions")
    watched.shot("process-desktop")

    page.click("li:has(code:text-is('triage.bpmn')) >> text=在建模器中编辑")
    page.wait_for_selector("#modeler[data-state=ready]")
    assert page.locator("g.djs-element[data-element-id=amount_large]").count() == 1
    watched.shot("modeler-loaded-desktop")

    # Break the gateway's condition: the server's check must point at that very flow.
    page.evaluate(SET_CONDITION, ["to_district", "amount >"])
    page.click("#validate")
    page.wait_for_selector("#modeler[data-state=invalid]")
    marked = page.locator("g.djs-element.has-problem")
    assert marked.count() == 1
    assert marked.first.get_attribute("data-element-id") == "to_district"
    assert page.locator(".djs-overlay .problem-badge").count() == 1
    problem = page.locator("#problems li[data-element=to_district]")
    assert "to_district" in problem.inner_text()
    problem.locator("button").click()
    assert page.locator("g.djs-element.selected").first.get_attribute("data-element-id") == \
        "to_district"
    watched.shot("modeler-problem-desktop")

    page.evaluate(SET_CONDITION, ["to_district", "amount > 20000"])
    page.click("#validate")
    page.wait_for_selector("#modeler[data-state=valid]")
    assert page.locator("g.djs-element.has-problem").count() == 0
    assert "未发现问题" in page.inner_text("#modeler-status")

    page.fill("#deploy-note", "大额门槛调整为两万元")
    page.click("#deploy")
    page.wait_for_selector("#modeler[data-state=deployed]")
    assert "triage v3" in page.inner_text("#modeler-status")
    watched.shot("modeler-deployed-desktop")
    page.click("#open-definitions")
    page.wait_for_selector("#processes")
    assert "v3" in page.inner_text("tr[data-process=triage] .latest-version")
    assert "大额门槛调整为两万元" in page.inner_text(".history")
    watched.shot("definitions-after-deploy-desktop")

    page.goto(f"{base}/admin/modeler/{world.deployment_id}/tier.dmn")
    page.wait_for_selector("#modeler[data-state=ready]")
    page.wait_for_selector(".tjs-table")
    watched.shot("modeler-dmn-desktop")
    context.close()
    assert watched.errors == []


ADMIN_PAGES = [
    ("definitions", "/admin/definitions"),
    ("process", "/admin/definitions/triage"),
    ("instances", "/admin/instances"),
    ("instance-error", "/admin/instances/{errored}"),
    ("organisation", "/admin/organisation"),
    ("users", "/admin/users"),
    ("user-new", "/admin/users/new"),
    ("holidays", "/admin/holidays"),
    ("modeler", "/admin/modeler/{deployment_id}/triage.bpmn"),
]


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_page_renders_in_chinese_and_english(
    live: tuple[str, World], browser: Any, viewport: str
) -> None:
    base, world = live
    size = PHONE if viewport == "phone" else DESKTOP
    context = browser.new_context(viewport=size, is_mobile=viewport == "phone",
                                  has_touch=viewport == "phone")
    watched = Watched(context.new_page(), refusals=("/admin/users",))
    page = watched.page
    page.goto(base + "/")
    watched.shot(f"home-{viewport}")
    page.goto(base + "/login")
    watched.shot(f"login-{viewport}")
    log_in(page, base, "mediator")
    page.goto(base + "/admin/users")
    assert "您无权打开此页面" in page.inner_text("main")
    watched.shot(f"forbidden-{viewport}")
    if viewport == "phone":
        page.click(".menu-toggle")
    page.click("text=退出")
    log_in(page, base, "admin")
    ids = {"errored": world.errored, "deployment_id": world.deployment_id}
    for name, path in ADMIN_PAGES:
        page.goto(base + path.format(**ids))
        if name == "modeler":
            page.wait_for_selector("#modeler[data-state=ready]")
        watched.shot(f"{name}-{viewport}")
        if name == "instances":
            # htmx swaps in the results as the person types; the page itself stays.
            page.evaluate("window.keptAcrossSwaps = true")
            page.fill("#q", "RC-2026-0002")
            page.wait_for_selector("#results h2:has-text('RC-2026-0002')")
            assert page.locator("#results tbody tr").count() == 1
            assert page.evaluate("window.keptAcrossSwaps") is True
            assert page.url.endswith("q=RC-2026-0002")
            watched.shot(f"instances-search-{viewport}")
    page.goto(base + "/admin/definitions")
    if viewport == "phone":
        page.click(".menu-toggle")
        watched.shot("menu-open-phone")
    page.click("button[name=lang][value=en]")
    page.wait_for_selector("html[lang=en]")
    assert "Deployed processes" in page.inner_text("main")
    watched.shot(f"definitions-english-{viewport}")
    if viewport == "phone":
        page.click(".menu-toggle")
    page.click("button[name=lang][value=zh_Hans_CN]")
    page.wait_for_selector("html[lang=zh-CN]")
    context.close()
    assert watched.errors == []

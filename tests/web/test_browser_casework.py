"""In a real Chromium: a resident reports a dispute on the public form, a clerk registers it, the
resident (who has a login) chooses a mediator from the roster on a phone and the mediator records
the other side's choice, the chosen mediator works the case's tasks until the agreement is signed
(each party's signature by that party, or recorded by the mediator for a party without a login),
the parties apply for judicial confirmation and the court accepts and confirms it.  Every page is
photographed (desktop, and the ones people use on the street on a phone) under
test-output/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from engine.database import Database
from tests.web.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    draw,
    require_browser,
    screenshot_path,
    serve,
)
from tests.web.casework import GRID, Casework, build
from tests.web.test_browser import Watched, log_in
from web.app import create_app
from web.composition import upgrade
from web.settings import Settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Casework]]:
    """The app as it runs in production (secure cookies, CSRF), on a fixed clock."""
    require_browser()
    folder = tmp_path_factory.mktemp("live-casework")
    database = Database(f"sqlite:///{folder / 'live.db'}")
    upgrade(database)
    world = build(database)
    app = create_app(Settings(database.url, folder / "instance"), engine=world.engine)
    with serve(app) as base:
        yield base, world
    database.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Person:
    """A browser of one person (its own context: its own session cookie)."""

    def __init__(self, browser: Any, base: str, username: str | None, *, phone: bool = False):
        size = PHONE if phone else DESKTOP
        self.context = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone,
                                           locale="zh-CN")
        self.watched = Watched(self.context.new_page())
        self.page = self.watched.page
        self.base = base
        self.suffix = "phone" if phone else "desktop"
        if username:
            log_in(self.page, base, username)

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def shot(self, name: str) -> None:
        self.watched.shot(f"casework-{name}-{self.suffix}")

    def submit(self, form: str = "#task-form", *, refused: bool = False) -> None:
        """Send the form; ``refused``: the server is expected to answer 422 (Chromium logs it)."""
        if refused:
            self.watched.refusals = (self.page.url.split(self.base, 1)[1].split("?")[0],)
        with self.page.expect_navigation():
            self.page.click(f"{form} button.primary")

    def open_task(self, element: str, view: str = "queue") -> None:
        """Open the first task of ``element`` in my tasks or the queue (claiming it there)."""
        self.go(f"/tasks?view={view}")
        row = self.page.locator(f"tr[data-element={element}]").first
        if view == "queue":
            with self.page.expect_navigation():
                row.locator("button:has-text('认领')").click()
            assert "您已认领" in self.page.inner_text(".flashes")
        else:
            with self.page.expect_navigation():
                row.locator("td a").first.click()

    def shot_of(self, selector: str, name: str) -> None:
        """Photograph one part of the page (the diagram, say) at full size."""
        self.page.locator(selector).screenshot(
            path=str(screenshot_path(f"casework-{name}-{self.suffix}")))

    def close(self) -> None:
        self.context.close()
        assert self.watched.errors == []


def test_a_dispute_goes_from_the_public_form_to_a_confirmed_agreement(
    live: tuple[str, Casework], browser: Any
) -> None:
    base, world = live

    # -- a resident, on a phone, at night -------------------------------------------------------
    resident = Person(browser, base, None, phone=True)
    page = resident.page
    resident.go("/report")
    resident.shot("report-empty")
    page.fill("#applicant_name", "张三")  # the resident who has the login "party"
    page.fill("#applicant_phone", "1380000000")  # one digit short
    page.fill("#respondent_name", "赵六")
    page.select_option("#dispute_type", "neighbour")
    page.fill("#amount", "1200")
    page.fill("#description", "楼上卫生间漏水，浸湿楼下天花板，协商未果")
    page.select_option("#town", "T01")
    page.wait_for_selector("#village:not([disabled])")
    page.select_option("#village", "T01-V1")
    page.wait_for_selector("#grid:not([disabled])")
    page.select_option("#grid", GRID)
    page.wait_for_selector("#courtyard:not([disabled])")
    resident.submit("#report-form", refused=True)
    assert "11位手机号码" in page.inner_text("#applicant_phone-help")
    assert page.input_value("#applicant_name") == "张三"
    assert page.input_value("#grid") == GRID
    resident.shot("report-errors")
    page.fill("#applicant_phone", "13800000001")
    resident.submit("#report-form")
    case_no = page.inner_text("#case-number")
    assert re.fullmatch(r"\(2026\)渝荣调字第\d{5}号", case_no)
    resident.shot("report-receipt")
    resident.close()

    # -- the intake clerk registers it -----------------------------------------------------------
    clerk = Person(browser, base, "clerk")
    page = clerk.page
    clerk.go("/tasks?view=queue")
    assert case_no in page.inner_text("#task-list")
    clerk.shot("clerk-queue")
    clerk.open_task("register_dispute")
    assert page.input_value("#f-dispute_type") == "neighbour"
    clerk.shot("register-form")
    # Refusal reasons are asked only when refusing, the registration details only when
    # registering: nothing else is shown (or sent).
    assert not page.is_visible("#field-refusal_reason")
    assert not page.is_visible("#field-ownership_confirmation")
    page.check("input[name=registration_decision][value=refuse]")
    assert page.is_visible("#field-refusal_reason") and page.is_visible("#field-referral_route")
    assert not page.is_visible("#field-dispute_type")
    assert page.is_disabled("#f-dispute_type")
    clerk.shot("register-refusing")
    page.check("input[name=registration_decision][value=register]")
    assert not page.is_visible("#field-refusal_reason")
    assert page.is_visible("#field-dispute_type")
    page.check("input[name=applied_jointly][value=true]")
    page.check("input[name=ownership_confirmation][value=false]")
    clerk.submit()
    assert "已完成：登记受理" in page.inner_text(".flashes")
    clerk.shot("case-registered")
    case_url = page.url
    clerk.close()

    # -- the resident chooses a mediator from the roster, on a phone ----------------------------
    party = Person(browser, base, "party", phone=True)
    page = party.page
    party.open_task("choose_mediator", view="mine")
    roster = page.inner_text("#field-preferred_mediator")
    assert "调解员王芳" in roster and "调解员李强" in roster and "在办案件：" in roster
    party.shot("choose-mediator")
    page.check("input[name=preferred_mediator][value=mediator]")
    party.submit()
    party.close()

    # -- the grid's mediator records the other side's choice and works the case ------------------
    mediator = Person(browser, base, "mediator")
    page = mediator.page
    mediator.go("/tasks?view=queue")
    mediator.shot("mediator-queue")
    mediator.open_task("choose_mediator")
    assert "当事人：赵六" in page.inner_text("h1")
    page.check("input[name=preferred_mediator][value=mediator]")
    mediator.submit()
    # Both named the same mediator, who gets the case's next task at once: accepting it.
    assert "下一步：确认接收" in page.inner_text(".flashes")
    page.check("input[name=accepts][value=true]")
    mediator.submit()
    assert "下一步：调解" in page.inner_text(".flashes")
    # Asking for a failure without its ground is refused next to the fields, nothing lost.
    page.select_option("#f-outcome", "failed")
    mediator.submit(refused=True)
    assert page.inner_text("#failure_ground-help").strip() == "此项必填。"
    assert page.input_value("#f-outcome") == "failed"
    mediator.shot("mediate-errors")
    page.select_option("#f-outcome", "agreement")
    mediator.submit()
    mediator.shot("draft-agreement")
    page.check("input[name=agreement_form][value=written]")
    page.fill("#f-facts", "楼上卫生间防水层老化，漏水浸湿楼下天花板")
    page.fill("#f-issues", "维修费用及损失赔偿")
    page.fill("#f-responsibilities", "楼上住户承担全部维修责任")
    page.fill("#f-terms", "赵六于十日内修复防水层并赔偿张三800元")
    page.fill("#f-performance_manner", "现金支付")
    page.fill("#f-performance_place", "社区调解室")
    page.fill("#f-performance_deadline", "2026-03-12")
    page.check("input[name=performed_on_spot][value=false]")
    page.fill("#f-amount_agreed", "800")
    mediator.submit()
    # 赵六 has no login: the mediator records the signature on paper.
    assert "当事人：赵六" in page.inner_text("h1")
    page.select_option("#f-signing", "signature")
    mediator.shot("sign-respondent")
    mediator.submit()

    # 张三 signs on his phone, in his own task.
    party = Person(browser, base, "party", phone=True)
    party.open_task("sign_by_parties", view="mine")
    assert "当事人：张三" in party.page.inner_text("h1")
    party.page.select_option("#f-signing", "e_signature")
    party.page.wait_for_selector("#signature-pad:not([hidden])")
    draw(party.page, "#signature-canvas")
    party.shot("sign-applicant")
    party.submit()
    party.close()

    mediator.open_task("sign_by_mediator", view="mine")
    page.check("input[name=mediator_signed][value=true]")
    page.check("input[name=committee_seal][value=true]")
    mediator.shot("sign-mediator")
    mediator.submit()
    # The parties may now apply: the mediator records 赵六's application, 张三 applies himself.
    assert "下一步：申请司法确认" in page.inner_text(".flashes")
    assert "当事人：赵六" in page.inner_text("h1")
    page.check("input[name=applies][value=true]")
    mediator.submit()
    page.goto(case_url)
    assert page.inner_text("#case-state") == "司法确认"
    mediator.shot("case-agreed")
    mediator.close()

    # -- the resident applies for judicial confirmation ------------------------------------------
    party = Person(browser, base, "party", phone=True)
    page = party.page
    party.open_task("apply_jointly", view="mine")
    party.shot("apply-jointly")
    page.check("input[name=applies][value=true]")
    party.submit()
    party.close()

    # -- the court accepts and confirms ------------------------------------------------------------
    filing = Person(browser, base, "filing")
    page = filing.page
    filing.go("/court")
    row = page.locator("tr[data-element=decide_acceptance]").first
    assert case_no in row.inner_text() and "剩余3天" in row.inner_text()
    filing.shot("court-queue-acceptance")
    with page.expect_navigation():
        row.locator("td a").first.click()
    page.check("input[name=jc_accepted][value=true]")
    filing.shot("decide-acceptance")
    filing.submit()
    filing.close()

    judge = Person(browser, base, "judge")
    page = judge.page
    judge.go("/court")
    row = page.locator("tr[data-element=review_agreement]").first
    assert "审查：受理之日起15日内" in row.inner_text()
    judge.shot("court-queue-review")
    with page.expect_navigation():
        row.locator("td a").first.click()
    page.check("input[name=ruling][value=valid]")
    judge.shot("review-agreement")
    judge.submit()
    page.goto(case_url)
    page.wait_for_selector("#diagram[data-state=ready]")
    assert int(page.get_attribute("#diagram", "data-done") or 0) > 5
    assert page.locator("#diagram .djs-element.done").count() > 5
    assert "裁定调解协议有效" in page.inner_text("#documents")
    judge.shot("case-confirmed")
    judge.shot_of("#process", "diagram-main")
    # The called processes' diagrams: the judicial confirmation, with its serving task active.
    confirmation = page.eval_on_selector(
        "#diagram-file",
        "s => [...s.options].find(o => o.value.endsWith('/judicial_confirmation.bpmn')).value")
    page.select_option("#diagram-file", confirmation)
    page.wait_for_selector("#diagram[data-state=ready]")
    page.wait_for_selector("#diagram .djs-element.active")
    judge.shot("case-diagram-confirmation")
    judge.shot_of("#process", "diagram-confirmation")
    judge.close()

    with world.engine.db.reading() as session:
        from sqlalchemy import select

        from workflows.models import Case
        case = session.scalar(select(Case).where(Case.case_no == case_no))
        assert case is not None and case.details["jc_ruling_due"]


PHONE_PAGES = [
    ("mediator", "/tasks?view=queue", "inbox"),
    ("mediator", "/cases", "cases"),
    ("gridworker", "/grid/report", "quick-report"),
    ("filing", "/court?list=suits", "court-suits"),
]


@pytest.mark.parametrize(("username", "path", "name"), PHONE_PAGES)
def test_pages_people_use_on_the_street_fit_a_phone(
    live: tuple[str, Casework], browser: Any, username: str, path: str, name: str
) -> None:
    base, world = live
    if name == "inbox":
        world.submit().registered()
        world.submit().in_mediation()
    person = Person(browser, base, username, phone=True)
    person.go(path)
    width = person.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} scrolls sideways on a phone ({width}px)"
    person.shot(name)
    person.close()


def test_the_case_page_on_a_phone(live: tuple[str, Casework], browser: Any) -> None:
    base, world = live
    case = world.submit().agreed()
    person = Person(browser, base, "mediator", phone=True)
    person.go(f"/cases/{case.case_id}")
    person.page.wait_for_selector("#diagram[data-state=ready]")
    assert person.page.locator("#diagram .djs-element.active").count() >= 1
    width = person.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    person.shot("case")
    task = case.task("apply_jointly").id
    person.go(f"/tasks/{task}")
    person.shot("task")
    person.close()


def test_the_court_sends_a_case_and_the_clerk_records_a_withdrawal(
    live: tuple[str, Casework], browser: Any
) -> None:
    base, world = live
    # -- the court's filing division sends a suit to the office before filing --------------------
    filing = Person(browser, base, "filing")
    page = filing.page
    filing.go("/court")
    with page.expect_navigation():
        page.click("#send-to-mediation")
    page.check("input[name=mode][value=delegated]")
    page.fill("#court_reference", "(2026)渝0153民诉前66号")
    page.fill("#applicant_name", "孙七")
    page.fill("#applicant_phone", "12")
    page.fill("#respondent_name", "周八")
    page.select_option("#dispute_type", "debt")
    page.fill("#amount", "8000")
    page.fill("#description", "借款八千元到期未还，原告起诉至法院")
    filing.submit("#referral-form", refused=True)
    assert "11位手机号码" in page.inner_text("#applicant_phone-help")
    page.fill("#applicant_phone", "13800002222")
    filing.shot("court-referral")
    filing.submit("#referral-form")
    notice = page.inner_text(".flashes")
    case_no = re.search(r"\(2026\)渝0151民诉前调\d+号", notice)
    assert case_no, notice
    filing.close()

    # -- the office's clerk finds it, and records that the applicant withdrew --------------------
    clerk = Person(browser, base, "clerk")
    page = clerk.page
    clerk.go(f"/cases?q={case_no.group(0)}")
    with page.expect_navigation():
        page.locator("a", has_text=case_no.group(0)).first.click()
    assert page.inner_text("#court-referral").startswith("委派调解（立案前）")
    page.select_option("#withdraw-party", label="孙七 · 申请人")
    page.fill("#withdraw-reason", "双方已庭外和解")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#withdraw-form button")
    assert "已记录孙七撤回" in page.inner_text(".flashes")
    assert page.inner_text("#case-state") == "已撤回"
    assert page.locator("#withdraw-form").count() == 0
    clerk.shot("case-withdrawn")
    clerk.close()

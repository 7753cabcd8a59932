"""On a phone (390×844) in a real Chromium: the grid worker reports with a photo taken on the
spot, a party signs the agreement with a finger on the signature pad, and the mediator downloads
the signed agreement as PDF (its first page is rendered to PNG beside the screenshots)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from engine.database import Database
from tests.web.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    draw,
    require_browser,
    screenshot_path,
    serve,
)
from tests.web.casework import AGREEMENT, GRID, MATERIALS, Casework, build
from tests.web.test_browser_casework import Person
from web.app import create_app
from web.composition import upgrade
from web.settings import Settings
from workflows.models import Material, Signature

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Casework]]:
    require_browser()
    folder = tmp_path_factory.mktemp("live-documents")
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


def fits_the_phone(person: Person) -> None:
    width = person.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{person.page.url} scrolls sideways ({width}px)"


def test_the_grid_worker_reports_with_a_photo(live: tuple[str, Casework], browser: Any) -> None:
    base, world = live
    worker = Person(browser, base, "gridworker", phone=True)
    page = worker.page
    worker.go("/grid/report")
    assert page.get_attribute("#photos", "capture") == "environment"
    page.select_option("#place", GRID)
    page.select_option("#dispute_type", "neighbour")
    page.fill("#description", "两户因排水沟堵塞争吵，院内积水")
    page.fill("#applicant_name", "张三")
    page.fill("#applicant_phone", "13800000001")
    page.fill("#respondent_name", "李四")
    page.set_input_files("#photos", str(MATERIALS / "scene.jpg"))
    worker.shot("documents-quick-report-photo")
    worker.submit("#quick-form")
    number = page.locator("#case-number")
    assert number.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
    box = number.bounding_box()
    assert box is not None and box["height"] < 60  # one line
    fits_the_phone(worker)
    worker.shot("documents-receipt")
    with page.expect_navigation():
        page.click("text=打开案件")
    thumbnail = page.locator("#materials img").first
    thumbnail.wait_for()
    assert page.evaluate("img => img.naturalWidth", thumbnail.element_handle()) > 0
    fits_the_phone(worker)
    worker.shot_of("#materials", "documents-case-materials")
    worker.close()
    with world.engine.db.reading() as session:
        photo = session.scalars(select(Material).order_by(Material.id.desc())).first()
        assert photo is not None and photo.added_by == "gridworker"
        assert photo.media_type == "image/jpeg"


def test_a_party_signs_and_the_mediator_downloads_the_agreement(
    live: tuple[str, Casework], browser: Any
) -> None:
    base, world = live
    case = world.submit().in_mediation()
    case.do("mediate", "mediator", outcome="agreement")
    case.do("draft_agreement", "mediator", **AGREEMENT)

    # 张三 signs on their own phone; 李四, who has no login, signs on the mediator's phone in the
    # mediation room.
    for login_name, name in (("party", "张三"), ("mediator", "李四")):
        signer = Person(browser, base, login_name, phone=True)
        page = signer.page
        task = next(t for t in case.view.ready_tasks
                    if t.element_id == "sign_by_parties" and t.assignee == login_name)
        signer.go(f"/tasks/{task.id}")
        assert name in page.inner_text("h1")
        page.select_option("#f-signing", "e_signature")
        page.wait_for_selector("#signature-pad:not([hidden])")
        fits_the_phone(signer)
        draw(page, "#signature-canvas")
        signer.shot(f"documents-sign-{'applicant' if name == '张三' else 'respondent'}")
        signer.submit()
        assert "已完成" in page.inner_text(".flashes")
        case.refresh()
        signer.close()
    with world.engine.db.reading() as session:
        signed = list(session.scalars(select(Signature).where(Signature.case_id == case.case_id)))
        assert sorted(s.party_name for s in signed) == ["张三", "李四"]
        assert all(s.method == "e_signature" and s.image_sha256 for s in signed)

    mediator = Person(browser, base, "mediator", phone=True)
    page = mediator.page
    mediator.go(f"/cases/{case.case_id}")
    fits_the_phone(mediator)
    mediator.shot_of("#generated-documents", "documents-list")
    with page.expect_download() as download:
        page.click("#document-agreement a:has-text('PDF')")
    saved = screenshot_path("documents-agreement").with_suffix(".pdf")
    download.value.save_as(str(saved))
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(saved).pages)
    assert case.case_no in text and AGREEMENT["terms"] in text
    assert "张三·2026年3月2日" in text and "李四·2026年3月2日" in text
    render_first_page(saved, screenshot_path("documents-agreement-page1"))
    mediator.close()


def render_first_page(pdf: Path, png: Path) -> None:
    """The PDF's first page as a PNG, for looking at beside the screenshots."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        document[0].render(scale=1.5).to_pil().save(png)
    finally:
        document.close()

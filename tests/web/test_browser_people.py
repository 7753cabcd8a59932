"""In a real Chromium, on a phone: each of two party logins of the same courtyard sees and works
only their own case — the other's case and task are refused with the reason — and chooses the
mediator they want from the unit's roster, shown with each mediator's specialties and open cases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from engine.database import Database
from tests.web.casework import PARTY2_PARTIES, Casework, Driven, build
from tests.web.test_browser_casework import Person, browser  # noqa: F401  (fixture)
from tests.web.browser import require_browser, serve
from web.app import create_app
from web.composition import upgrade
from web.settings import Settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Casework]]:
    require_browser()
    folder = tmp_path_factory.mktemp("live-people")
    database = Database(f"sqlite:///{folder / 'live.db'}")
    upgrade(database)
    world = build(database)
    app = create_app(Settings(database.url, folder / "instance"), engine=world.engine)
    with serve(app) as base:
        yield base, world
    database.dispose()


def own_choice(case: Driven, username: str) -> int:
    """The id of the choose_mediator task that is ``username``'s own."""
    return next(t.id for t in case.view.ready_tasks
                if t.element_id == "choose_mediator" and t.assignee == username)


def test_two_parties_of_one_courtyard_each_see_only_their_own_case_and_choose_from_the_roster(
    live: tuple[str, Casework], browser: Any  # noqa: F811
) -> None:
    base, world = live
    cases = {"party": world.submit().registered(),
             "party2": world.submit(parties=PARTY2_PARTIES).registered()}
    for username, other in (("party", "party2"), ("party2", "party")):
        mine, theirs = cases[username], cases[other]
        person = Person(browser, base, username, phone=True)
        page = person.page
        # The case list holds my case only.
        person.go("/cases")
        listed = page.inner_text("main")
        assert mine.case_no in listed and theirs.case_no not in listed
        person.shot(f"{username}-cases")
        # The other party's case and task are refused, saying why.
        for path in (f"/cases/{theirs.case_id}", f"/tasks/{own_choice(theirs, other)}"):
            person.watched.refusals = (path,)
            response = page.goto(base + path)
            assert response is not None and response.status == 403
            assert page.get_attribute(".error-page", "data-reason") == "party"
            assert "当事人只能查看本人的案件和任务" in page.inner_text(".error-page")
        person.shot(f"{username}-refused")
        person.watched.refusals = ()
        # My tasks hold my own choice; parties have no queue.
        person.go("/tasks?view=mine")
        rows = page.locator("#task-list tr[data-task]")
        listed_tasks = {int(rows.nth(i).get_attribute("data-task") or 0)
                        for i in range(rows.count())}
        assert listed_tasks == {own_choice(mine, username)}
        person.open_task("choose_mediator", view="mine")
        roster = page.inner_text("#field-preferred_mediator")
        for words in ("调解员王芳", "邻里纠纷", "调解员李强", "债权债务", "在办案件：0",
                      "不指定人选，由调处室指定调解员"):
            assert words in roster, words
        person.shot(f"{username}-roster")
        page.check("input[name=preferred_mediator][value=colleague]")
        person.submit()
        assert "已完成" in page.inner_text(".flashes")
        person.close()
    # Each choice was recorded as that party's own.
    engine = world.engine
    for username, case in cases.items():
        with engine.db.reading() as session:
            done = [e for e in engine.audit_trail(session, case.view.id)
                    if e.action == "task_completed" and e.element_id == "choose_mediator"]
        assert [e.actor for e in done] == [username]
        recorded = (done[0].changes or {})["mediator_choices"][1]
        assert [c["mediator"] for c in recorded.values()] == ["colleague"]

"""Provisional deadlines wherever deadlines are shown, the holiday page's provisional years and
the import that recomputes them, and cases stuck in the error state made visible.

The clock stands in January 2027 and the packaged calendar stops at 2026 (whatever the installed
package carries), so 2027 is counted provisionally: its Spring Festival is 2027-02-05 (eve) ..
02-08.  The illustrative official schedule rests 02-05 .. 02-13.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.database import Database
from tests.web.casework import Casework, Driven, build
from tests.web.world import csrf_token, login, post_form
from workflows.deadlines import SHANGHAI, HolidayCalendar

OFFICIAL_2027 = "date,kind\n" + "".join(
    f"2027-02-{day:02d},holiday\n" for day in range(5, 14)
) + "2027-02-20,workday\n" + "".join(f"2027-10-{day:02d},holiday\n" for day in range(1, 8))
PROVISIONAL = re.compile(r'<abbr class="provisional" title="([^"]*)">([^<]*)</abbr>')


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def world(db: Database) -> Casework:
    return build(db, start=at("2027-01-29 09:30"),
                 packaged_calendar=HolidayCalendar.default().up_to(2026))


@pytest.fixture
def app(world: Casework, tmp_path) -> Flask:
    return world.app(tmp_path / "instance")


@pytest.fixture
def browsers(app: Flask) -> Iterator[dict[str, FlaskClient]]:
    found = {}
    for username in ("admin", "mediator", "filing"):
        found[username] = app.test_client()
        assert login(found[username], username).status_code == 302
    yield found


def test_provisional_deadlines_are_marked_on_the_case_page_and_the_task_list(
    world: Casework, browsers: dict[str, FlaskClient]
) -> None:
    case = world.submit().in_mediation()  # grid, 7 CD from 01-29: provisionally Tue 02-09
    mediator = browsers["mediator"]
    page = mediator.get(f"/cases/{case.case_id}").get_data(as_text=True)
    deadlines = page.split('id="deadlines"')[1].split("</section>")[0]
    assert "2027-02-09" in deadlines
    marks = PROVISIONAL.findall(deadlines)
    assert marks and all(word == "暂定" for _, word in marks)
    assert "2027 年的国务院节假日安排尚未导入" in marks[0][0]
    post_form(mediator, f"/tasks/{case.task('mediate').id}/claim", {})
    mine = mediator.get("/tasks?view=mine").get_data(as_text=True)
    row = re.search(rf'data-task="{case.task("mediate").id}".*?</tr>', mine, re.S).group(0)
    assert "2027-02-09" in row and PROVISIONAL.search(row)
    post_form(mediator, "/language", {"lang": "en", "next": "/tasks"})
    mine = mediator.get("/tasks?view=mine").get_data(as_text=True)
    hint, word = PROVISIONAL.search(mine).groups()
    assert word == "Provisional"
    assert hint.startswith("Provisional: the official holiday schedule for 2027 is not imported")


def test_the_court_queue_marks_a_provisional_period(
    world: Casework, browsers: dict[str, FlaskClient]
) -> None:
    # Agreed and applied on Fri 01-29: the court decides acceptance within 3 CD, 02-01 (Mon).
    case = world.submit().agreed(performance_deadline="2027-03-20")
    case.each("apply_jointly", "party", applies=True)
    queue = browsers["filing"].get("/court").get_data(as_text=True)
    row = re.search(rf'data-task="{case.task("decide_acceptance").id}".*?</tr>', queue,
                    re.S).group(0)
    assert "2027-02-01" in row and PROVISIONAL.search(row)


def test_the_holiday_page_lists_provisional_years_and_an_import_moves_the_deadlines(
    world: Casework, browsers: dict[str, FlaskClient]
) -> None:
    case = world.submit().in_mediation()
    admin = browsers["admin"]
    page = admin.get("/admin/holidays").get_data(as_text=True)
    listed = page.split('id="provisional-years"')[1].split("</table>")[0]
    assert "2027" in listed and case.case_no in listed and "1 件" in listed
    assert "2027-02-05, 2027-02-06, 2027-02-07, 2027-02-08" in page  # the statutory preview
    token = csrf_token(admin.get("/admin/holidays"))
    response = admin.post("/admin/holidays", data={
        "csrf_token": token, "schedule": (BytesIO(OFFICIAL_2027.encode()), "2027.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    page = admin.get("/admin/holidays").get_data(as_text=True)
    assert "1 个在办案件的暂定期限已按正式安排重新计算并变更" in page
    assert 'id="no-provisional"' in page
    case.refresh()
    assert case.view.data["mediation_due"] == "2027-02-16T00:00:00+08:00"
    assert case.task("mediate").due_at == at("2027-02-16 00:00")
    shown = browsers["mediator"].get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert "导入正式节假日安排后期限变更：2027-02-09 → 2027-02-15" in shown
    deadlines = shown.split('id="deadlines"')[1].split("</section>")[0]
    assert "2027-02-15" in deadlines and not PROVISIONAL.search(deadlines)


def stuck_case(world: Casework) -> Driven:
    case = world.submit().registered()
    case.each("choose_mediator", "mediator", preferred_mediator="mediator")
    with world.engine.transaction() as session:  # a broken setting reaches the process
        world.engine.update_data(session, case.view.id, data={"period_unit": "days"},
                                 actor="admin")
    with world.engine.transaction() as session:
        case.view = world.engine.complete_task(session, case.task("accept_dispatch").id,
                                               data={"accepts": True}, actor="mediator")
    assert case.view.status == "error"
    return case


def test_a_stuck_case_says_why_and_administrators_see_it_listed_with_a_retry(
    world: Casework, browsers: dict[str, FlaskClient]
) -> None:
    case = stuck_case(world)
    page = browsers["mediator"].get(f"/cases/{case.case_id}").get_data(as_text=True)
    stuck = page.split('id="stuck"')[1].split("</section>")[0]
    assert "本案流程已停滞" in stuck and "开始计算调解期限" in stuck
    assert "unit must be &#39;CD&#39;" in stuck
    assert "打开流程实例并重试" not in stuck  # only administrators get the way to fix it
    admin = browsers["admin"]
    assert "打开流程实例并重试" in admin.get(f"/cases/{case.case_id}").get_data(as_text=True)
    listing = admin.get("/admin/instances").get_data(as_text=True)
    assert case.case_no in listing and "start_mediation_clock" in listing
    assert "unit must be &#39;CD&#39;" in listing
    assert f'action="/admin/instances/{case.view.id}/retry"' in listing
    with world.engine.transaction() as session:
        world.engine.update_data(session, case.view.id, data={"period_unit": "CD"},
                                 actor="admin")
    response = post_form(admin, f"/admin/instances/{case.view.id}/retry", {"next": "list"},
                         page="/admin/instances")
    assert response.status_code == 302 and response.location.endswith("/admin/instances")
    assert case.refresh().view.status == "running"
    assert case.view.data["accepted_at"] == "2027-01-29T09:30:00+08:00"

"""The inbox: my tasks and my groups' queue, filters, sorting, paging by key through the pages,
claiming, giving back and reassigning, and who may do which."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.database import Database
from engine.models import HumanTask
from tests.web.casework import GRID, T0, Casework, build
from tests.web.world import login, post_form
from workflows.access import workable_groups
from workflows.organisation import Membership


@pytest.fixture(scope="module")
def world(module_db: Database) -> Casework:
    return build(module_db)


@pytest.fixture(scope="module")
def app(world: Casework, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield world.app(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="module")
def clients(app: Flask) -> dict[str, FlaskClient]:
    browsers = {}
    for username in ("mediator", "colleague", "chair", "outsider", "clerk", "admin", "party",
                     "party2"):
        browser = app.test_client()
        assert login(browser, username).status_code == 302
        browsers[username] = browser
    return browsers


def listed(browser: FlaskClient, url: str) -> list[int]:
    """The task ids of the list at ``url``."""
    return task_ids(browser.get(url).get_data(as_text=True))


def task_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-task="(\d+)"', html)]


def holder(world: Casework, task_id: int) -> str | None:
    with world.engine.db.reading() as session:
        return session.scalar(select(HumanTask.assignee).where(HumanTask.id == task_id))


def give_back(world: Casework, task_id: int, holder_: str) -> None:
    """The holder gives the task back to the unit's queue."""
    with world.engine.transaction() as session:
        world.engine.unclaim_task(session, task_id, actor=holder_)


def test_the_queue_holds_my_units_unassigned_tasks_and_my_tasks_what_i_hold(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    case = world.submit().in_mediation()
    mediate = case.task("mediate").id
    # The mediator who accepted the case has its next task at once: no claiming each step.
    assert holder(world, mediate) == "mediator"
    assert mediate in listed(clients["mediator"], "/tasks?view=mine")
    assert mediate not in listed(clients["colleague"], "/tasks?view=queue")
    give_back(world, mediate, "mediator")
    queue = clients["mediator"].get("/tasks?view=queue").get_data(as_text=True)
    assert mediate in task_ids(queue)
    assert case.case_no in queue
    # Lists mask phone numbers.
    assert "138****0001" in queue and "13800000001" not in queue
    assert mediate not in listed(clients["outsider"], "/tasks?view=queue")
    assert mediate not in task_ids(clients["mediator"].get("/tasks").get_data(as_text=True))

    claimed = post_form(clients["mediator"], f"/tasks/{mediate}/claim", page="/tasks")
    assert claimed.status_code == 302 and claimed.headers["Location"] == f"/tasks/{mediate}"
    assert holder(world, mediate) == "mediator"
    mine = clients["mediator"].get("/tasks?view=mine").get_data(as_text=True)
    assert mediate in task_ids(mine)
    assert mediate not in listed(clients["colleague"], "/tasks?view=queue")

    given_back = post_form(clients["mediator"], f"/tasks/{mediate}/unclaim", page="/tasks")
    assert given_back.status_code == 302
    assert holder(world, mediate) is None


def test_a_party_has_their_own_task_and_mediators_record_for_parties_without_a_login(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    case = world.submit().registered()
    choose = [t for t in case.view.ready_tasks if t.element_id == "choose_mediator"]
    mine = next(t for t in choose if t.assignee == "party")  # 张三 has a login
    theirs = next(t for t in choose if t.assignee is None)  # 李四 has none
    # Neither sits in a parties' queue: parties have no queue at all.
    assert not [g for g in workable_groups([Membership("party", GRID)])]
    assert {t.candidate_group for t in choose} == {f"mediator:{GRID}"}
    assert mine.id in listed(clients["party"], "/tasks?view=mine")
    assert listed(clients["party"], "/tasks?view=queue") == []
    assert theirs.id in listed(clients["mediator"], "/tasks?view=queue")
    assert mine.id not in listed(clients["mediator"], "/tasks?view=queue")
    assert clients["outsider"].get(f"/tasks/{theirs.id}").status_code == 403
    # Another party may not open, claim or complete either of them.
    for task in (mine, theirs):
        assert clients["party2"].get(f"/tasks/{task.id}").status_code == 403
        assert post_form(clients["party2"], f"/tasks/{task.id}/claim").status_code == 403
        assert post_form(clients["party2"], f"/tasks/{task.id}",
                         {"preferred_mediator": "mediator"}).status_code == 403
    # A task that is one's own by name does not go back to a queue.
    assert post_form(clients["party"], f"/tasks/{mine.id}/unclaim").status_code == 409
    done = post_form(clients["party"], f"/tasks/{mine.id}", {"preferred_mediator": "mediator"})
    assert done.status_code == 302


def test_claiming_a_task_someone_else_holds_is_a_conflict(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    mediate = world.submit().in_mediation().task("mediate").id
    assert post_form(clients["mediator"], f"/tasks/{mediate}/claim").status_code == 302
    # Claiming again is harmless for the holder.
    assert post_form(clients["mediator"], f"/tasks/{mediate}/claim").status_code == 302
    taken = post_form(clients["colleague"], f"/tasks/{mediate}/claim")
    assert taken.status_code == 409
    assert post_form(clients["colleague"], f"/tasks/{mediate}/unclaim").status_code == 409
    # Nor may the colleague complete it.
    refused = post_form(clients["colleague"], f"/tasks/{mediate}", {"outcome": "agreement"})
    assert refused.status_code == 409
    page = clients["colleague"].get(f"/tasks/{mediate}").get_data(as_text=True)
    assert 'id="task-form"' not in page and "调解员王芳" in page
    # Another unit's mediator may not even try.
    assert post_form(clients["outsider"], f"/tasks/{mediate}/claim").status_code == 403
    assert holder(world, mediate) == "mediator"


def test_a_committee_chair_reassigns_within_the_unit(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    mediate = world.submit().in_mediation().task("mediate").id
    post_form(clients["mediator"], f"/tasks/{mediate}/claim")
    page = clients["chair"].get(f"/tasks/{mediate}").get_data(as_text=True)
    assert 'id="reassign"' in page
    assert 'value="colleague"' in page and 'value="outsider"' not in page
    own = clients["mediator"].get(f"/tasks/{mediate}").get_data(as_text=True)
    assert 'id="reassign"' not in own

    assert post_form(clients["mediator"], f"/tasks/{mediate}/reassign",
                     {"assignee": "mediator"}).status_code == 403
    assert post_form(clients["chair"], f"/tasks/{mediate}/reassign",
                     {"assignee": "outsider"}).status_code == 400
    moved = post_form(clients["chair"], f"/tasks/{mediate}/reassign", {"assignee": "colleague"})
    assert moved.status_code == 302
    assert holder(world, mediate) == "colleague"
    assert mediate in task_ids(clients["colleague"].get("/tasks").get_data(as_text=True))
    back = post_form(clients["chair"], f"/tasks/{mediate}/reassign", {"assignee": ""})
    assert back.status_code == 302 and holder(world, mediate) is None
    # The timeline says so.
    with world.engine.db.reading() as session:
        actions = [e.action for e in world.engine.audit_trail(
            session, session.scalar(select(HumanTask.instance_id).where(HumanTask.id == mediate)))]
    assert actions.count("reassigned") == 2


def test_filters_narrow_the_queue(world: Casework, clients: dict[str, FlaskClient]) -> None:
    mediating = world.submit().in_mediation().task("mediate").id
    give_back(world, mediating, "mediator")
    registered = world.submit().registered()
    choosing = next(t.id for t in registered.view.ready_tasks if t.assignee is None)
    browser = clients["mediator"]

    def queue(query: str) -> set[int]:
        return set(listed(browser, f"/tasks?view=queue&{query}"))

    assert {mediating, choosing} <= queue("")
    in_mediation = queue("state=in_mediation")
    assert mediating in in_mediation and choosing not in in_mediation
    assert choosing in queue("state=dispatched") and mediating not in queue("state=dispatched")
    assert {mediating, choosing} <= queue("type=neighbour&tier=grid")
    assert not {mediating, choosing} & queue("type=debt")
    assert not {mediating, choosing} & queue("tier=district")
    # choose_mediator falls due first (2 working days), mediate later (7 calendar days).
    soon = queue("due_before=2026-03-04")
    assert choosing in soon and mediating not in soon
    assert not {mediating, choosing} & queue("overdue=1")
    world.clock.set(datetime(2026, 3, 6, 1, 0, tzinfo=timezone.utc))
    try:
        overdue = queue("overdue=1")
        assert choosing in overdue and mediating not in overdue
        page = browser.get("/tasks?view=queue&overdue=1").get_data(as_text=True)
        assert "已超期" in page
    finally:
        world.clock.set(T0)
    # Unknown values are ignored rather than refused.
    assert {mediating, choosing} <= queue("type=alien&tier=moon&due_before=soon&sort=sideways")
    # htmx asks for the results only.
    partial = browser.get("/tasks?view=queue&state=in_mediation", headers={"HX-Request": "true"})
    assert "<html" not in partial.get_data(as_text=True)
    assert mediating in task_ids(partial.get_data(as_text=True))


def test_paging_through_the_queue_shows_every_task_once_in_order(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    for _ in range(30):
        world.submit().registered()
    browser = clients["mediator"]
    with world.engine.db.reading() as session:
        expected = {
            task_id: due for task_id, due in session.execute(
                select(HumanTask.id, HumanTask.due_at).where(
                    HumanTask.state == "ready", HumanTask.assignee.is_(None),
                    HumanTask.candidate_group.in_(
                        workable_groups([Membership("mediator", GRID)]))))
        }
    assert len(expected) > 30
    for sort in ("due", "created", "priority"):
        seen: list[int] = []
        url = f"/tasks?view=queue&sort={sort}"
        pages = 0
        while url:
            html = browser.get(url).get_data(as_text=True)
            ids = task_ids(html)
            assert len(ids) <= 25
            seen += ids
            pages += 1
            found = re.search(r'id="next-page" href="([^"]+)"', html)
            url = found.group(1).replace("&amp;", "&") if found else ""
        assert pages >= 2
        assert len(seen) == len(set(seen)), f"a task was listed twice ({sort})"
        assert set(seen) == set(expected), f"a task was missed ({sort})"
        if sort == "due":
            keys = [(expected[t] is None, expected[t] or T0, t) for t in seen]
            assert keys == sorted(keys)
        if sort == "created":
            assert seen == sorted(seen, reverse=True)


def test_the_inbox_is_for_people_with_tasks(clients: dict[str, FlaskClient], app: Flask) -> None:
    assert clients["admin"].get("/tasks").status_code == 403
    assert clients["clerk"].get("/tasks").status_code == 200
    anonymous = app.test_client().get("/tasks")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")


def test_a_task_that_is_done_cannot_be_worked_again(
    world: Casework, clients: dict[str, FlaskClient]
) -> None:
    case = world.submit().in_mediation()
    mediate = case.task("mediate").id
    case.do("mediate", "mediator", outcome="agreement")
    assert clients["mediator"].get(f"/tasks/{mediate}").status_code == 409
    assert post_form(clients["mediator"], f"/tasks/{mediate}",
                     {"outcome": "agreement"}).status_code == 409
    assert clients["mediator"].get("/tasks/999999").status_code == 404

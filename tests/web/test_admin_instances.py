"""Instances: finding them, reading their state, and retry, suspend, resume, terminate, migrate."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from engine.runtime import Engine
from tests.web.world import DATA, World, bundle, post_form


def status_of(engine: Engine, instance_id: int) -> str:
    with engine.db.reading() as session:
        return engine.instance(session, instance_id).status


def test_without_a_query_the_instances_needing_attention_are_listed(
    admin: FlaskClient, world: World
) -> None:
    page = admin.get("/admin/instances").get_data(as_text=True)
    assert f"/admin/instances/{world.errored}" in page
    assert f"/admin/instances/{world.suspended}" in page
    assert f"/admin/instances/{world.running}\"" not in page


def test_an_instance_is_found_by_id_or_by_the_start_of_its_business_key(
    admin: FlaskClient, world: World
) -> None:
    by_id = admin.get(f"/admin/instances?q={world.running}").get_data(as_text=True)
    assert f'href="/admin/instances/{world.running}"' in by_id
    by_key = admin.get("/admin/instances?q=RC-2026-000").get_data(as_text=True)
    assert by_key.count('href="/admin/instances/') == 5
    none = admin.get("/admin/instances?q=XX-9").get_data(as_text=True)
    assert "没有该编号的实例" in none


def test_htmx_gets_only_the_results(admin: FlaskClient) -> None:
    page = admin.get("/admin/instances?q=RC", headers={"HX-Request": "true"}).get_data(
        as_text=True)
    assert "<html" not in page and "RC-2026-0001" in page


def test_the_instance_page_shows_the_error_and_the_element(
    admin: FlaskClient, world: World
) -> None:
    page = admin.get(f"/admin/instances/{world.errored}").get_data(as_text=True)
    assert "compute_fee" in page and "division by zero" in page
    assert f"/admin/instances/{world.errored}/retry" in page
    running = admin.get(f"/admin/instances/{world.running}").get_data(as_text=True)
    assert "评估纠纷" in running and "/retry" not in running  # waits in 'assess'


def test_retry_runs_the_failed_element_again(
    admin: FlaskClient, world: World, engine: Engine
) -> None:
    response = post_form(admin, f"/admin/instances/{world.errored}/retry")
    assert response.status_code == 302
    assert "再次失败" in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert status_of(engine, world.errored) == "error"


def test_suspend_then_resume(admin: FlaskClient, world: World, engine: Engine) -> None:
    assert post_form(admin, f"/admin/instances/{world.running}/suspend").status_code == 302
    assert status_of(engine, world.running) == "suspended"
    assert post_form(admin, f"/admin/instances/{world.running}/resume").status_code == 302
    assert status_of(engine, world.running) == "running"


def test_an_action_that_does_not_fit_the_state_is_a_conflict_in_words(
    admin: FlaskClient, world: World, engine: Engine
) -> None:
    response = post_form(admin, f"/admin/instances/{world.running}/resume")
    assert response.status_code == 409
    assert "not suspended" in response.get_data(as_text=True)
    assert status_of(engine, world.running) == "running"


def test_terminate_records_the_reason(admin: FlaskClient, world: World, engine: Engine) -> None:
    response = post_form(admin, f"/admin/instances/{world.running}/terminate",
                         {"reason": "重复登记"})
    assert response.status_code == 302
    assert status_of(engine, world.running) == "terminated"
    page = admin.get(f"/admin/instances/{world.running}").get_data(as_text=True)
    assert "重复登记" in page and "/terminate" not in page


def test_migrate_moves_an_instance_to_a_newer_version(
    admin: FlaskClient, world: World, engine: Engine
) -> None:
    page = admin.get(f"/admin/instances/{world.on_v1}").get_data(as_text=True)
    assert f'<option value="{world.v2_definition_id}">v2</option>' in page
    response = post_form(admin, f"/admin/instances/{world.on_v1}/migrate",
                         {"definition_id": world.v2_definition_id})
    assert response.status_code == 302
    assert "第 2 版" in admin.get(response.headers["Location"]).get_data(as_text=True)


def without_assess() -> bytes:
    """triage.bpmn with the task 'assess' (where instances wait) taken out."""
    xml = (DATA / "triage.bpmn").read_text(encoding="utf-8")
    xml = re.sub(r'<bpmn:userTask id="assess".*?</bpmn:userTask>', "", xml, flags=re.DOTALL)
    xml = re.sub(r'<bpmn:sequenceFlow id="to_gateway"[^>]*/>', "", xml)
    xml = re.sub(r'<bpmndi:BPMN(Shape|Edge) id="(assess|to_gateway)_di".*?</bpmndi:BPMN\1>', "",
                 xml, flags=re.DOTALL)
    xml = xml.replace('targetRef="assess"', 'targetRef="amount_large"')
    return xml.replace("<bpmn:incoming>to_gateway</bpmn:incoming>",
                       "<bpmn:incoming>to_assess</bpmn:incoming>").encode()


def test_a_refused_migration_shows_its_reasons(
    admin: FlaskClient, world: World, engine: Engine
) -> None:
    with engine.transaction() as session:
        v3 = engine.deploy(session, bundle({"triage.bpmn": without_assess()}), actor="test")
    response = post_form(admin, f"/admin/instances/{world.running}/migrate",
                         {"definition_id": v3.definitions[0].id})
    assert response.status_code == 409
    assert "element &#39;assess&#39; is active but no longer exists" in response.get_data(
        as_text=True)
    assert status_of(engine, world.running) == "running"


def test_a_malformed_migration_target_is_a_bad_request(admin: FlaskClient, world: World) -> None:
    response = post_form(admin, f"/admin/instances/{world.on_v1}/migrate", {"definition_id": "x"})
    assert response.status_code == 400

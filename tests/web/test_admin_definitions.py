"""Process definitions: versions and their instances, deploy history, downloads, the modeler's
validate and deploy."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.web.world import DATA, World, post_json


def text_of(html: str) -> str:
    """The page's words without tags, whitespace squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_list_shows_each_process_with_the_versions_its_instances_use(
    admin: FlaskClient,
) -> None:
    page = admin.get("/admin/definitions").get_data(as_text=True)
    row = page.split('data-process="triage"', 1)[1].split("</tr>", 1)[0]
    assert "v2" in text_of(row.split('class="latest-version"', 1)[1].split("</td>", 1)[0])
    # populate(): one instance on v1, five open ones on v2 (running, error, suspended, ...)
    assert "v2: 5" in text_of(row) and "v1: 1" in text_of(row)


def test_the_history_lists_deployments_with_their_files(admin: FlaskClient, world: World) -> None:
    page = text_of(admin.get("/admin/definitions").get_data(as_text=True))
    assert f"部署 {world.v2_deployment_id}" in page and f"部署 {world.deployment_id}" in page
    assert "triage v2" in page and "tier.dmn" in page and "triage.bpmn" in page


def test_the_process_page_offers_each_file_of_the_latest_version(
    admin: FlaskClient, world: World
) -> None:
    page = admin.get("/admin/definitions/triage").get_data(as_text=True)
    latest = world.v2_deployment_id
    assert f"/admin/modeler/{latest}/triage.bpmn" in page
    assert f"/admin/modeler/{latest}/tier.dmn" in page
    assert 'data-version="1"' in page and 'data-version="2"' in page


def test_an_unknown_process_is_not_found(admin: FlaskClient) -> None:
    assert admin.get("/admin/definitions/no_such_process").status_code == 404


def test_a_deployed_file_downloads_as_deployed(admin: FlaskClient, world: World) -> None:
    with admin.get(f"/admin/deployments/{world.deployment_id}/files/triage.bpmn") as response:
        assert response.status_code == 200
        assert response.data == (DATA / "triage.bpmn").read_bytes()
        assert response.mimetype == "application/xml"
        assert response.headers["Content-Disposition"].startswith('attachment; filename="triage')
    assert admin.get(f"/admin/deployments/{world.deployment_id}/files/x.bpmn").status_code == 404


def test_the_modeler_page_points_at_its_file_and_endpoints(
    admin: FlaskClient, world: World
) -> None:
    page = admin.get(f"/admin/modeler/{world.deployment_id}/triage.bpmn").get_data(as_text=True)
    assert 'data-kind="bpmn"' in page
    assert f'data-validate-url="/admin/modeler/{world.deployment_id}/validate"' in page
    assert "bpmn-modeler.production.min.js" in page
    dmn = admin.get(f"/admin/modeler/{world.deployment_id}/tier.dmn").get_data(as_text=True)
    assert 'data-kind="dmn"' in dmn and "dmn-modeler.production.min.js" in dmn


def test_the_modeler_opens_only_files_of_the_deployment(admin: FlaskClient, world: World) -> None:
    assert admin.get(f"/admin/modeler/{world.deployment_id}/other.bpmn").status_code == 404
    assert admin.get("/admin/modeler/999/triage.bpmn").status_code == 404


def broken_triage() -> str:
    return (DATA / "triage.bpmn").read_text(encoding="utf-8").replace(
        "amount &gt; 10000", "amount &gt;"
    )


def test_validate_reports_each_problem_at_its_element(admin: FlaskClient, world: World) -> None:
    response = post_json(admin, f"/admin/modeler/{world.deployment_id}/validate",
                         {"key": "triage.bpmn", "xml": broken_triage()})
    assert response.status_code == 400
    problems = response.get_json()["problems"]
    assert [(p["file"], p["element"]) for p in problems] == [("triage.bpmn", "to_district")]
    assert "not a valid Python expression" in problems[0]["reason"]


def test_validate_compiles_the_edited_file_with_the_rest_of_its_bundle(
    admin: FlaskClient, world: World
) -> None:
    # The diagram calls tier_decision, which lives in tier.dmn of the same deployment.
    xml = (DATA / "triage.bpmn").read_text(encoding="utf-8")
    response = post_json(admin, f"/admin/modeler/{world.deployment_id}/validate",
                         {"key": "triage.bpmn", "xml": xml})
    assert response.status_code == 200
    assert response.get_json()["processes"] == ["triage"]
    broken_table = (DATA / "tier.dmn").read_text(encoding="utf-8").replace("'grid'", "'grid")
    refused = post_json(admin, f"/admin/modeler/{world.deployment_id}/validate",
                        {"key": "tier.dmn", "xml": broken_table})
    assert refused.status_code == 400
    assert refused.get_json()["problems"][0]["file"] == "tier.dmn"


def test_deploy_makes_a_new_version_and_records_who_and_why(
    admin: FlaskClient, world: World
) -> None:
    xml = broken_triage().replace("amount &gt;", "amount &gt; 20000")
    response = post_json(admin, f"/admin/modeler/{world.v2_deployment_id}/deploy",
                         {"key": "triage.bpmn", "xml": xml, "note": "门槛两万"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["created"] is True
    assert [(d["process_id"], d["version"]) for d in body["definitions"]] == [("triage", 3)]
    assert body["edit_url"] == f"/admin/modeler/{body['deployment_id']}/triage.bpmn"
    page = text_of(admin.get("/admin/definitions").get_data(as_text=True))
    assert "门槛两万" in page and "triage v3" in page and "admin" in page


def test_deploying_unchanged_content_changes_nothing(admin: FlaskClient, world: World) -> None:
    xml = (DATA / "tier.dmn").read_text(encoding="utf-8")
    body = post_json(admin, f"/admin/modeler/{world.deployment_id}/deploy",
                     {"key": "tier.dmn", "xml": xml}).get_json()
    assert body["created"] is False and body["deployment_id"] == world.deployment_id


def test_deploy_refuses_a_broken_file_and_stores_nothing(
    admin: FlaskClient, world: World
) -> None:
    response = post_json(admin, f"/admin/modeler/{world.deployment_id}/deploy",
                         {"key": "triage.bpmn", "xml": broken_triage()})
    assert response.status_code == 400
    assert response.get_json()["problems"][0]["element"] == "to_district"
    assert "triage v3" not in admin.get("/admin/definitions").get_data(as_text=True)


def test_the_modeler_refuses_malformed_requests(admin: FlaskClient, world: World) -> None:
    url = f"/admin/modeler/{world.deployment_id}/validate"
    assert post_json(admin, url, {"key": "triage.bpmn"}).status_code == 400
    assert post_json(admin, url, {"key": "notes.txt", "xml": "x"}).status_code == 400
    assert post_json(admin, url, {"key": "new.bpmn", "xml": "<x/>"}).status_code == 404

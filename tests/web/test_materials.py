"""Case materials through the web: real photos, PDFs and recordings kept by their content (EXIF
stripped, thumbnails made), files that lie about their type refused, limits, safe downloads,
withdrawal, and photos sent with the public report and the grid worker's quick report."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from engine.database import Database
from tests.web.casework import GRID, MATERIALS, Casework, build
from tests.web.world import csrf_token, login
from workflows.configuration import OfficeSettings
from workflows.materials import MaterialRules
from workflows.models import Case, Material
from workflows.storage import FileStore


@pytest.fixture
def world(db: Database) -> Casework:
    return build(db)


@pytest.fixture
def app(world: Casework, tmp_path: Path) -> Flask:
    return world.app(tmp_path / "instance")


def client_of(app: Flask, username: str) -> FlaskClient:
    browser = app.test_client()
    assert login(browser, username).status_code == 302
    return browser


def upload(browser: FlaskClient, case_id: int, *files: tuple[str, bytes],
           field: str = "files") -> tuple[int, str]:
    token = csrf_token(browser.get("/"))
    response = browser.post(f"/cases/{case_id}/materials", content_type="multipart/form-data",
                            data={"csrf_token": token,
                                  field: [(io.BytesIO(content), name) for name, content in files]})
    return response.status_code, response.get_data(as_text=True)


def materials(world: Casework, case_id: int, *, withdrawn: bool = False) -> list[Material]:
    with world.engine.db.reading() as session:
        query = select(Material).where(Material.case_id == case_id).order_by(Material.id)
        rows = list(session.scalars(query))
        for row in rows:
            session.expunge(row)
    return [m for m in rows if withdrawn or m.withdrawn_at is None]


def test_real_photos_pdfs_and_recordings_are_kept_by_content(world: Casework, app: Flask,
                                                              tmp_path: Path) -> None:
    case = world.submit().in_mediation()
    mediator = client_of(app, "mediator")
    files = [(name, (MATERIALS / name).read_bytes())
             for name in ("scene.jpg", "sketch.png", "receipt.pdf", "voice.wav")]
    status, _page = upload(mediator, case.case_id, *files)
    assert status == 302
    stored = materials(world, case.case_id)
    assert [(m.filename, m.media_type, m.kind) for m in stored] == [
        ("scene.jpg", "image/jpeg", "photo"), ("sketch.png", "image/png", "photo"),
        ("receipt.pdf", "application/pdf", "document"), ("voice.wav", "audio/x-wav", "audio")]
    assert all(m.added_by == "mediator" for m in stored)
    store = FileStore(tmp_path / "instance" / "files")
    photo = store.read(stored[0].sha256)
    with Image.open(io.BytesIO(photo)) as image:
        # Location, phone model and orientation are gone; the photo was turned upright first.
        assert not image.getexif()
        assert image.size == (900, 1200)
    with Image.open(MATERIALS / "scene.jpg") as original:
        assert original.getexif().get_ifd(0x8825)  # the original did carry GPS data
    assert store.read(stored[2].sha256) == files[2][1]  # PDFs and sound are kept as sent
    assert stored[0].thumbnail_sha256 and stored[2].thumbnail_sha256 is None
    page = mediator.get(f"/cases/{case.case_id}").get_data(as_text=True)
    for m in stored:
        assert f'id="material-{m.id}"' in page
    assert f"/cases/{case.case_id}/materials/{stored[0].id}/thumbnail" in page

    shown = mediator.get(f"/cases/{case.case_id}/materials/{stored[0].id}")
    assert shown.status_code == 200 and shown.data == photo
    assert shown.headers["Content-Type"] == "image/jpeg"
    assert shown.headers["Content-Disposition"].startswith("inline")
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in shown.headers["Content-Security-Policy"]
    pdf = mediator.get(f"/cases/{case.case_id}/materials/{stored[2].id}")
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    thumb = mediator.get(f"/cases/{case.case_id}/materials/{stored[0].id}/thumbnail")
    with Image.open(io.BytesIO(thumb.data)) as image:
        assert image.format == "JPEG" and max(image.size) <= 320
    assert mediator.get(f"/cases/{case.case_id}/materials/{stored[2].id}/thumbnail"
                        ).status_code == 404


@pytest.mark.parametrize(("name", "content", "message"), [
    ("photo.jpg", (MATERIALS / "not-a-photo.jpg").read_bytes(), "不是照片"),
    ("drawing.png", (MATERIALS / "drawing.svg.png").read_bytes(), "不是照片"),
    ("scene.jpg", (MATERIALS / "truncated.jpg").read_bytes(), "已损坏"),
    ("empty.jpg", b"", "空文件"),
    ("page.pdf", b"%PDF-1.7\n%garbage that is no PDF at all\n", "已损坏"),
])
def test_files_that_lie_about_their_type_are_refused(
    world: Casework, app: Flask, name: str, content: bytes, message: str
) -> None:
    case = world.submit().in_mediation()
    status, page = upload(client_of(app, "mediator"), case.case_id, (name, content))
    assert status == 422
    assert message in page and name in page
    assert materials(world, case.case_id) == []


def test_a_file_is_what_its_content_says_whatever_its_name(world: Casework, app: Flask) -> None:
    case = world.submit().in_mediation()
    pdf = (MATERIALS / "receipt.pdf").read_bytes()
    status, _page = upload(client_of(app, "mediator"), case.case_id, ("photo.jpg", pdf))
    assert status == 302
    [stored] = materials(world, case.case_id)
    assert (stored.filename, stored.media_type) == ("photo.pdf", "application/pdf")


def test_size_and_count_are_limited_by_the_office_settings(world: Casework, app: Flask) -> None:
    app.config["OFFICE_SETTINGS"] = OfficeSettings(
        materials=MaterialRules(max_bytes=20_000, max_per_case=2, max_per_upload=2))
    case = world.submit().in_mediation()
    mediator = client_of(app, "mediator")
    status, page = upload(mediator, case.case_id, ("scene.jpg", (MATERIALS / "scene.jpg").read_bytes()))
    assert status == 422 and "“scene.jpg”超过 20 KB" in page
    png = (MATERIALS / "sketch.png").read_bytes()
    status, page = upload(mediator, case.case_id, ("a.png", png), ("b.png", png), ("c.png", png))
    assert status == 422 and "一次最多上传 2 个文件" in page
    assert upload(mediator, case.case_id, ("a.png", png), ("b.png", png))[0] == 302
    status, page = upload(mediator, case.case_id, ("c.png", png))
    assert status == 422 and "案件已有 2 个文件" in page


def test_a_withdrawn_material_leaves_the_list_and_stays_on_record(
    world: Casework, app: Flask
) -> None:
    case = world.submit().in_mediation()
    mediator = client_of(app, "mediator")
    upload(mediator, case.case_id, ("sketch.png", (MATERIALS / "sketch.png").read_bytes()))
    [stored] = materials(world, case.case_id)
    url = f"/cases/{case.case_id}/materials/{stored.id}/withdraw"
    token = csrf_token(mediator.get("/"))
    assert mediator.post(url, data={"csrf_token": token, "reason": ""}).status_code == 422
    # Another unit's mediator sees nothing of the case; the grid worker did not add the file.
    outsider = client_of(app, "outsider")
    assert outsider.get(f"/cases/{case.case_id}/materials/{stored.id}").status_code == 403
    assert outsider.post(url, data={"csrf_token": csrf_token(outsider.get("/")),
                                    "reason": "x"}).status_code == 403
    assert mediator.post(url, data={"csrf_token": token, "reason": "拍错了案件"}).status_code == 302
    assert materials(world, case.case_id) == []
    [kept] = materials(world, case.case_id, withdrawn=True)
    assert (kept.withdrawn_by, kept.withdrawal_reason) == ("mediator", "拍错了案件")
    # The people who work the case can still open it; nobody else can.
    assert mediator.get(f"/cases/{case.case_id}/materials/{stored.id}").status_code == 200
    page = mediator.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert f'id="material-{stored.id}"' not in page
    assert "撤回了“sketch.png”" in page and "拍错了案件" in page


def test_residents_and_grid_workers_report_with_photos(world: Casework, app: Flask) -> None:
    resident = app.test_client()
    token = csrf_token(resident.get("/report"))
    photo = (MATERIALS / "scene.jpg").read_bytes()
    form = {"csrf_token": token, "applicant_name": "王五", "applicant_phone": "13800001111",
            "respondent_name": "赵六", "dispute_type": "neighbour",
            "description": "楼上漏水浸湿天花板", "town": "T01", "village": "T01-V1", "grid": GRID}
    # A lying photo: the report is not filed, everything typed is kept, the photo is named.
    refused = resident.post("/report", content_type="multipart/form-data", data={
        **form, "photos": [(io.BytesIO(b"<svg/>"), "leak.jpg")]})
    assert refused.status_code == 422
    assert "leak.jpg" in refused.get_data(as_text=True)
    assert 'value="王五"' in refused.get_data(as_text=True)
    sent = resident.post("/report", content_type="multipart/form-data", data={
        **form, "photos": [(io.BytesIO(photo), "leak.jpg")]})
    assert sent.status_code == 302
    receipt = resident.get("/report/receipt").get_data(as_text=True)
    case_no = re.search(r'id="case-number">([^<]+)<', receipt).group(1)
    with world.engine.db.reading() as session:
        case = session.scalar(select(Case).where(Case.case_no == case_no))
        [material] = session.scalars(select(Material).where(Material.case_id == case.id))
        assert (material.added_by, material.media_type) == ("public", "image/jpeg")

    worker = client_of(app, "gridworker")
    token = csrf_token(worker.get("/grid/report"))
    sent = worker.post("/grid/report", content_type="multipart/form-data", data={
        "csrf_token": token, "place": GRID, "dispute_type": "neighbour",
        "description": "两户因排水沟堵塞争吵", "applicant_name": "张三",
        "applicant_phone": "13800000001", "respondent_name": "李四",
        "photos": [(io.BytesIO(photo), "IMG_0001.JPG"),
                   (io.BytesIO((MATERIALS / "sketch.png").read_bytes()), "IMG_0002.PNG")]})
    assert sent.status_code == 302
    receipt = worker.get("/report/receipt").get_data(as_text=True)
    case_id = int(re.search(r"/cases/(\d+)", receipt).group(1))
    assert [(m.filename, m.added_by) for m in materials(world, case_id)] == [
        ("IMG_0001.jpg", "gridworker"), ("IMG_0002.png", "gridworker")]
    # The grid worker sees the photos of the case they reported.
    assert worker.get(f"/cases/{case_id}").status_code == 200

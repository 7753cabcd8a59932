"""Starting an installation from the command line: the first administrator without the demo, and
``tiaojie run --demo`` refusing to serve when the demo cannot be loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from engine.database import Database
from workflows.models import OrgUnit
from workflows.people import authenticate, memberships

REPO = Path(__file__).resolve().parents[2]


def tiaojie(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("tiaojie")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "web.cli"]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env.update(TIAOJIE_INSTANCE=str(tmp_path / "instance"),
               DATABASE_URL=f"sqlite:///{tmp_path / 'office.db'}",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])))
    done = subprocess.run([*command, *args], cwd=tmp_path, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


def test_the_first_administrator_of_an_installation_without_the_demo(tmp_path: Path) -> None:
    assert tiaojie(tmp_path, "db", "upgrade").returncode == 0
    refused = tiaojie(tmp_path, "user", "create", "--admin", "chief", stdin="short\n")
    assert refused.returncode == 1 and "at least 8 characters" in refused.stderr
    made = tiaojie(tmp_path, "user", "create", "--admin", "chief", "--name", "周主任",
                   stdin="a long enough secret\n")
    assert made.returncode == 0, made.stderr
    assert "administrator 'chief' created (unit RC)" in made.stdout
    again = tiaojie(tmp_path, "user", "create", "--admin", "chief", stdin="another secret\n")
    assert again.returncode == 1 and "the username 'chief' is taken" in again.stderr
    assert tiaojie(tmp_path, "user", "create", "nobody", stdin="x" * 10).returncode == 2
    database = Database(f"sqlite:///{tmp_path / 'office.db'}")
    try:
        with database.reading() as session:
            person = authenticate(session, "chief", "a long enough secret")
            assert person is not None and person.display_name == "周主任"
            assert [(m.role, m.unit_code) for m in memberships(session, person.id)] == [
                ("admin", "RC")]
            assert [u.code for u in session.query(OrgUnit)] == ["RC"]
    finally:
        database.dispose()


def test_run_stops_with_the_reason_instead_of_serving_what_cannot_work(tmp_path: Path):
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "office.json").write_text('{"tier_periods": 5}', encoding="utf-8")
    done = tiaojie(tmp_path, "run", "--demo", "--port", "5999")
    assert done.returncode == 1
    assert "office.json: tier_periods: Not a valid mapping type" in done.stderr
    assert "tiaojie at http" not in done.stdout


def test_a_demo_that_cannot_load_stops_the_start_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from web.cli import _load_demo
    from web.composition import upgrade
    from web.settings import Settings

    settings = Settings.from_env(database_url=f"sqlite:///{tmp_path / 'office.db'}")
    database = Database(settings.database_url)
    upgrade(database)
    try:
        with pytest.raises(SystemExit) as stopped:
            _load_demo(settings, database, now=datetime.now(timezone.utc), cases=3)
    finally:
        database.dispose()
    assert stopped.value.code == 1
    assert "error: the demo was not loaded: the demo needs at least" in capsys.readouterr().err

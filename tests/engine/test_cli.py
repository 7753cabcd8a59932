"""The ``tiaojie`` command line, run for real: a separate process per command, as an operator would.

Every command runs with its working directory, ``TIAOJIE_INSTANCE`` and (where a database is
involved) ``DATABASE_URL`` inside the test's ``tmp_path`` (or the ``db`` fixture's database), so
nothing touches the repository's ``instance`` folder.  The console script next to the interpreter
is used when the project is installed, else ``python -m web.cli`` (the same ``main``).

A timer that is due is made by starting an instance in-process on a clock set before the timer's
date (2019-12-01 for a timer on 2020-01-01 +08:00); the worker, on the real clock, finds it due.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.clock import FixedClock
from engine.database import Database
from engine.definitions import read_paths
from engine.models import AuditEvent
from engine.runtime import Engine, EngineConfig

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data" / "runtime"
SCRIPT = Path(sys.executable).with_name("tiaojie")
TIMEOUT = 120
# One located line per problem: FILE:LINE: ELEMENT: reason (ELEMENT is '-' for the whole file).
PROBLEM_LINE = re.compile(r"^[^:\s]+:\d+: [^:\s]+: \S.*$")
BEFORE_THE_TIMER = datetime(2019, 12, 1, tzinfo=timezone.utc)

DUE_TIMER_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="due_definitions" targetNamespace="http://tiaojie.test/due">
  <bpmn:process id="wait_for_date" name="Wait for a date" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>to_wait</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="to_wait" sourceRef="start" targetRef="until_new_year" />
    <bpmn:intermediateCatchEvent id="until_new_year" name="New year 2020">
      <bpmn:incoming>to_wait</bpmn:incoming>
      <bpmn:outgoing>to_act</bpmn:outgoing>
      <bpmn:timerEventDefinition id="new_year_timer">
        <bpmn:timeDate>"2020-01-01T00:00:00+08:00"</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="to_act" sourceRef="until_new_year" targetRef="act" />
    <bpmn:userTask id="act" name="Act after the date">
      <bpmn:incoming>to_act</bpmn:incoming>
      <bpmn:outgoing>to_end</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="to_end" sourceRef="act" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>to_end</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""

GATEWAY_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="route_definitions" targetNamespace="http://tiaojie.test/route">
  <bpmn:process id="route_claim" name="Route a claim" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>to_route</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="to_route" sourceRef="start" targetRef="route" />
    <bpmn:exclusiveGateway id="route" name="Large claim?" default="small">
      <bpmn:incoming>to_route</bpmn:incoming>
      <bpmn:outgoing>large</bpmn:outgoing>
      <bpmn:outgoing>small</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="large" sourceRef="route" targetRef="end_large">
      <bpmn:conditionExpression>amount &gt; limit</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="small" sourceRef="route" targetRef="end_small" />
    <bpmn:endEvent id="end_large"><bpmn:incoming>large</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_small"><bpmn:incoming>small</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""

XXE_BPMN = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&e;</bpmn:definitions>
"""


# --------------------------------------------------------------------------- helpers


def tiaojie_command() -> list[str]:
    """How to run the console script: the installed one, else the module it points to."""
    return [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "web.cli"]


def cli_env(tmp_path: Path, database_url: str | None = None) -> dict[str, str]:
    """The environment of one command: instance folder and database inside the test's tmp_path."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env["TIAOJIE_INSTANCE"] = str(tmp_path / "instance")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def run(
    tmp_path: Path, *args: str | Path, database_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``tiaojie ARGS`` to its end; output is never a Python traceback."""
    done = subprocess.run(
        [*tiaojie_command(), *map(str, args)],
        cwd=tmp_path,
        env=cli_env(tmp_path, database_url),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


def line_of(path: Path, marker: str) -> int:
    """The 1-based line of the first occurrence of ``marker`` in ``path``."""
    text = path.read_text()
    return text.count("\n", 0, text.index(marker)) + 1


def approval_copy(folder: Path, *, timer: str = '"P3D"', form: bool = True) -> Path:
    """approval.bpmn (with its review timer set to ``timer``) and, if ``form``, review.json."""
    folder.mkdir(parents=True, exist_ok=True)
    source = (DATA / "approval.bpmn").read_text()
    assert source.count('"P3D"') == 1
    (folder / "approval.bpmn").write_text(source.replace('"P3D"', timer))
    if form:
        (folder / "review.json").write_bytes((DATA / "review.json").read_bytes())
    return folder


def sqlite_count(database: Path, table: str) -> int:
    with sqlite3.connect(database) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def start_due_instances(db: Database, count: int) -> list[int]:
    """Deploy the due-timer process and start ``count`` instances before the timer's date."""
    engine = Engine(db, EngineConfig(clock=FixedClock(BEFORE_THE_TIMER)))
    files = {"due.bpmn": DUE_TIMER_BPMN.encode()}
    ids = []
    with engine.transaction() as s:
        engine.deploy(s, files, actor="admin")
        for i in range(count):
            view = engine.start(s, "wait_for_date", data={"n": i}, actor="clerk")
            assert [t.element_id for t in view.timers] == ["until_new_year"]
            assert view.ready_tasks == ()
            ids.append(view.id)
    return ids


def timers_fired(db: Database) -> Counter[int]:
    """How often a timer fired, per instance, from the audit trail."""
    with db.reading() as s:
        return Counter(
            s.scalars(select(AuditEvent.instance_id).where(AuditEvent.action == "timer_fired")).all()
        )


def fired_steps(stdout: str) -> int:
    """The number a worker reports in 'fired N timer step(s)' (0 when it says nothing)."""
    found = re.search(r"fired (\d+) timer step", stdout)
    return int(found.group(1)) if found else 0


# --------------------------------------------------------------------------- check


def test_check_accepts_a_valid_folder(tmp_path: Path) -> None:
    done = run(tmp_path, "check", DATA)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("ok")


def _broken_timer(folder: Path) -> list[str]:
    approval_copy(folder, timer="P5D")
    line = line_of(folder / "approval.bpmn", "P5D")
    return [f"approval.bpmn:{line}: review_overdue: boundary event 'review_overdue': timer "
            "expression P5D is not a valid expression; write a quoted ISO 8601 value such as "
            '"P5D"']


def _missing_form(folder: Path) -> list[str]:
    approval_copy(folder, form=False)
    line = line_of(folder / "approval.bpmn", 'value="review.json"')
    return [f"approval.bpmn:{line}: review: user task 'review' uses form 'review.json', which "
            "is not in the bundle"]


def _external_entity(folder: Path) -> list[str]:
    folder.mkdir(parents=True)
    secret = folder.parent / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    (folder / "evil.bpmn").write_text(XXE_BPMN.format(secret=secret))
    return ["evil.bpmn:2: -: file declares a DOCTYPE/entities, which is not allowed"]


def _all_three(folder: Path) -> list[str]:
    approval_copy(folder, timer="P5D", form=False)
    secret = folder.parent / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    (folder / "evil.bpmn").write_text(XXE_BPMN.format(secret=secret))
    form_line = line_of(folder / "approval.bpmn", 'value="review.json"')
    timer_line = line_of(folder / "approval.bpmn", "P5D")
    return [
        f"approval.bpmn:{form_line}: review: user task 'review' uses form 'review.json', which "
        "is not in the bundle",
        f"approval.bpmn:{timer_line}: review_overdue: boundary event 'review_overdue': timer "
        'expression P5D is not a valid expression; write a quoted ISO 8601 value such as "P5D"',
        "evil.bpmn:2: -: file declares a DOCTYPE/entities, which is not allowed",
    ]


@pytest.mark.parametrize(
    "breakage", [_broken_timer, _missing_form, _external_entity, _all_three],
    ids=["unquoted-timer", "missing-form", "external-entity", "all-three"],
)
def test_check_prints_one_located_line_per_problem_and_exits_1(tmp_path: Path, breakage) -> None:
    folder = tmp_path / "broken"
    expected = breakage(folder)
    done = run(tmp_path, "check", folder)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines == expected
    assert all(PROBLEM_LINE.match(line) for line in lines), lines
    assert "TOP-SECRET-MARKER" not in done.stdout + done.stderr


def test_check_of_a_missing_path_says_so(tmp_path: Path) -> None:
    done = run(tmp_path, "check", tmp_path / "nowhere")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [f"{tmp_path / 'nowhere'}: -: no such file or directory"]


# --------------------------------------------------------------------------- db upgrade, deploy


def test_upgrade_then_deploy_prints_versions_and_only_changed_content_makes_a_new_one(
    tmp_path: Path,
) -> None:
    database = tmp_path / "instance" / "tiaojie.db"
    upgraded = run(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip() == f"database is up to date (sqlite:///{database})"
    assert database.is_file()

    bundle = approval_copy(tmp_path / "bundle")
    first = run(tmp_path, "deploy", bundle)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == ["deployment 1: deployed", "  approval version 1"]

    again = run(tmp_path, "deploy", bundle)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        "deployment 1: already deployed (identical content)", "  approval version 1"]

    form = bundle / "review.json"
    form.write_text(form.read_text().replace('"Review"', '"Review v2"'))
    changed = run(tmp_path, "deploy", bundle, "--note", "new form title")
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.splitlines() == ["deployment 2: deployed", "  approval version 2"]
    assert sqlite_count(database, "engine_deployment") == 2


def test_deploy_before_upgrade_asks_for_the_upgrade(tmp_path: Path) -> None:
    done = run(tmp_path, "deploy", approval_copy(tmp_path / "bundle"))
    assert done.returncode == 1
    assert "run `tiaojie db upgrade` first" in done.stderr
    worker = run(tmp_path, "worker", "--once")
    assert worker.returncode == 1
    assert "run `tiaojie db upgrade` first" in worker.stderr


def test_deploy_on_a_schema_missing_a_migration_branch_asks_for_the_upgrade(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'engine-only.db'}")
    database.upgrade()  # the engine's branch only, not the application's
    database.dispose()
    url = database.url
    done = run(tmp_path, "deploy", approval_copy(tmp_path / "bundle"), database_url=url)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: the database {url} is not up to date; run `tiaojie db upgrade` first")
    assert run(tmp_path, "db", "upgrade", database_url=url).returncode == 0
    assert run(tmp_path, "deploy", tmp_path / "bundle", database_url=url).returncode == 0


def test_commands_on_an_unreachable_database_say_so(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"
    for args in (["db", "upgrade"], ["deploy", DATA], ["worker", "--once"]):
        done = run(tmp_path, *args, database_url=url)
        assert done.returncode == 1, args
        assert done.stderr.startswith("error: cannot "), done.stderr
        assert "127.0.0.1" in done.stderr and "sqlalche.me" not in done.stderr


def test_deploy_of_a_broken_bundle_exits_1_and_stores_nothing(tmp_path: Path) -> None:
    database = tmp_path / "instance" / "tiaojie.db"
    assert run(tmp_path, "db", "upgrade").returncode == 0
    broken = tmp_path / "broken"
    expected = _broken_timer(broken)
    done = run(tmp_path, "deploy", broken)
    assert done.returncode == 1
    assert done.stderr.splitlines() == expected
    assert "deployment" not in done.stdout
    for table in ("engine_deployment", "engine_deployment_file", "engine_process_definition"):
        assert sqlite_count(database, table) == 0, table

    fixed = run(tmp_path, "deploy", approval_copy(tmp_path / "fixed"))
    assert fixed.stdout.splitlines() == ["deployment 1: deployed", "  approval version 1"]


# --------------------------------------------------------------------------- try


def test_try_prints_the_first_wait_state_as_json(tmp_path: Path) -> None:
    before = datetime.now(timezone.utc)
    done = run(tmp_path, "try", DATA / "approval.bpmn", DATA / "review.json",
               "--data", '{"amount": 10, "limit": 100}')
    after = datetime.now(timezone.utc)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["process"], result["startable"], result["status"], result["error"]) == (
        "approval", ["approval"], "running", None)
    [task] = result["ready_tasks"]
    assert (task["element"], task["name"], task["lane"], task["form"]) == (
        "review", "Review the request", "Reviewers", "review.json")
    [timer] = result["timers"]
    assert (timer["element"], timer["name"]) == ("review_overdue", "Review overdue")
    due = datetime.fromisoformat(timer["due_at"])
    assert before + timedelta(days=3) <= due <= after + timedelta(days=3)
    assert result["awaited_messages"] == []
    assert result["data"] == {"amount": 10, "limit": 100}
    assert not (tmp_path / "instance").exists()  # a trial leaves no database behind


def test_try_a_process_waiting_for_a_message(tmp_path: Path) -> None:
    done = run(tmp_path, "try", DATA / "messages.bpmn", "--process", "wait_for_ruling")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "running"
    assert result["startable"] == ["issue_ruling", "wait_for_ruling"]
    assert [m["message"] for m in result["awaited_messages"]] == ["ruling_issued"]
    assert result["ready_tasks"] == [] and result["timers"] == []


@pytest.mark.parametrize(
    ("data", "says"),
    [('{"amount": 10,', "not valid JSON"), ("[1, 2]", "must be a JSON object")],
    ids=["not-json", "not-an-object"],
)
def test_try_with_invalid_data_names_the_option(tmp_path: Path, data: str, says: str) -> None:
    done = run(tmp_path, "try", DATA / "approval.bpmn", DATA / "review.json", "--data", data)
    assert done.returncode != 0
    assert done.stdout == ""
    assert "--data" in done.stderr and says in done.stderr


def test_try_shows_a_failing_gateway_as_an_error_with_its_element(tmp_path: Path) -> None:
    bpmn = tmp_path / "route.bpmn"
    bpmn.write_text(GATEWAY_BPMN)
    done = run(tmp_path, "try", bpmn, "--data", '{"amount": 5}')
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "error"
    assert result["error"]["element"] == "route"
    assert "limit" in result["error"]["message"]
    assert not re.search(r"NameError|KeyError|Traceback", result["error"]["message"])
    assert result["ready_tasks"] == [] and result["timers"] == []

    fine = json.loads(run(tmp_path, "try", bpmn, "--data", '{"amount": 5, "limit": 1}').stdout)
    assert (fine["status"], fine["error"]) == ("completed", None)


def test_try_an_unknown_process_lists_the_startable_ones(tmp_path: Path) -> None:
    done = run(tmp_path, "try", DATA / "messages.bpmn", "--process", "nope")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: process 'nope' is not in these files; startable: issue_ruling, wait_for_ruling")


def test_try_a_broken_file_prints_its_problems(tmp_path: Path) -> None:
    expected = _broken_timer(tmp_path / "broken")
    done = run(tmp_path, "try", tmp_path / "broken")
    assert done.returncode == 1
    assert done.stderr.splitlines() == expected


def test_try_with_a_data_key_named_self(tmp_path: Path) -> None:
    done = subprocess.run(
        [*tiaojie_command(), "try", str(DATA / "approval.bpmn"), str(DATA / "review.json"),
         "--data", '{"self": 1, "amount": 10, "limit": 100}'],
        cwd=tmp_path, env=cli_env(tmp_path), capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert "Traceback" not in done.stderr
    assert done.returncode == 0
    assert json.loads(done.stdout)["data"]["self"] == 1


# --------------------------------------------------------------------------- worker


def test_worker_once_fires_a_due_timer(db: Database, tmp_path: Path) -> None:
    [instance_id] = start_due_instances(db, 1)
    done = run(tmp_path, "worker", "--once", database_url=db.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "fired 1 timer step(s), routed 0 message(s)"

    engine = Engine(db)  # the real clock, as the worker had
    with db.reading() as s:
        view = engine.instance(s, instance_id)
        actions = [(e.action, e.element_id) for e in engine.audit_trail(s, instance_id)]
    assert view.status == "running"
    assert [t.element_id for t in view.ready_tasks] == ["act"]
    assert view.timers == ()
    assert ("timer_fired", "until_new_year") in actions
    assert ("element_completed", "until_new_year") in actions

    idle = run(tmp_path, "worker", "--once", database_url=db.url)
    assert (idle.returncode, idle.stdout) == (0, "")
    assert timers_fired(db) == Counter({instance_id: 1})


# The worker command, started in several processes that wait for one signal (a file) before
# running it: the imports are done by then, so the workers really compete for the same rows.
LAUNCH_TOGETHER = """
import sys, time
from pathlib import Path
import web.cli, engine.runtime, web.composition, sqlalchemy, psycopg
go = Path(sys.argv[1])
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.002)
web.cli.main(sys.argv[2:], prog_name="tiaojie")
"""


@pytest.mark.postgres
def test_three_worker_processes_fire_every_due_timer_exactly_once(
    db: Database, tmp_path: Path
) -> None:
    if not db.is_postgres:
        pytest.skip(
            "three worker processes run against PostgreSQL only; this is the SQLite run"
            if os.environ.get("TEST_DATABASE_URL")
            else "needs PostgreSQL: set TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    ids = start_due_instances(db, 24)
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", LAUNCH_TOGETHER, str(go), "worker", "--once"],
            cwd=tmp_path, env=cli_env(tmp_path, db.url),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(3)
    ]
    outputs = []
    try:
        go.touch()
        for worker in workers:
            outputs.append(worker.communicate(timeout=TIMEOUT))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err
        assert "Traceback" not in out + err, err
    assert sum(fired_steps(out) for out, _ in outputs) == len(ids)
    assert timers_fired(db) == Counter({i: 1 for i in ids})
    engine = Engine(db)
    with db.reading() as s:
        for i in ids:
            assert [t.element_id for t in engine.instance(s, i).ready_tasks] == ["act"]


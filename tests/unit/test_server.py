"""`kflow server` in this process: webhooks, schedules, Flow triggers, the execution API, load.

Each test starts a real server on a free loopback port (`Server` on its own threads) and talks
to it over HTTP; the state database it writes is read back with a `StateStore` of its own.
Tests that need separate processes (restart, `kflow run` beside the server, shutdown) are in
`test_server_process.py`.
"""

from __future__ import annotations

import json
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest

from kflow.runner_cli import main
from kflow.runtime_shims.execution import TERMINAL
from kflow.runtime_shims.state import ExecutionRecord, StateStore
from kflow.server.app import Options, Server

RETURN = "io.kestra.plugin.core.debug.Return"
WEBHOOK = "io.kestra.plugin.core.trigger.Webhook"
SCHEDULE = "io.kestra.plugin.core.trigger.Schedule"
KEY = "s3cr3t-Key_42"

HOOK = f"""
id: hook
namespace: team.hooks
tasks:
  - id: echo
    type: {RETURN}
    format: "{{{{ trigger.body.name ?? 'nobody' }}}}"
outputs:
  - id: name
    type: STRING
    value: "{{{{ outputs.echo.value }}}}"
  - id: trigger
    type: JSON
    value: "{{{{ trigger }}}}"
triggers:
  - id: hook
    type: {WEBHOOK}
    key: {KEY}
"""


def write(path: Path, text: str) -> Path:
    """Write a (dedented) file, creating its directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def wait_for(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def executions(state: Path, flow_id: str | None = None) -> list[ExecutionRecord]:
    """The executions in a state directory (optionally of one flow), oldest first."""
    store = StateStore(state)
    try:
        return store.executions(flow_id=flow_id)
    finally:
        store.close()


def ended(state: Path, execution_id: str, timeout: float = 10.0) -> ExecutionRecord:
    """The execution once it is in a terminal state."""

    def check() -> ExecutionRecord | None:
        store = StateStore(state)
        try:
            record = store.execution(execution_id)
        finally:
            store.close()
        done = record is not None and record.state in TERMINAL
        return record if done else None

    found: ExecutionRecord = wait_for(check, timeout, f"execution {execution_id} to end")
    return found


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    root = tmp_path / "flows"
    write(root / "hook.yml", HOOK)
    return root


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def start(flows: Path, state: Path) -> Iterator[Callable[..., Server]]:
    """Start a server on a free port (stopped at the end of the test)."""
    started: list[Server] = []

    def start(**options: Any) -> Server:
        server = Server(
            Options(flows_dir=flows, state_dir=str(state), port=0, grace=5.0, **options)
        )
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def hook_url(server: Server, key: str = KEY, flow: str = "team.hooks/hook") -> str:
    return f"{server.url}/api/v1/executions/webhook/{flow}/{key}"


# -- webhooks ---------------------------------------------------------------------------------


def test_a_webhook_call_starts_an_execution_that_sees_the_request(
    start: Callable[..., Server], state: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="kflow.server")
    server = start()
    response = httpx.post(
        hook_url(server) + "?tag=a&tag=b&empty=",
        json={"name": "Ada", "n": 1},
        headers={"X-Trace": "t-1"},
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["namespace"] == "team.hooks" and answer["flowId"] == "hook"
    assert answer["state"]["current"] == "CREATED"
    assert answer["trigger"]["id"] == "hook" and answer["trigger"]["type"] == WEBHOOK
    assert answer["url"] == f"{server.url}/api/v1/executions/{answer['id']}"
    record = ended(state, answer["id"])
    assert record.state == "SUCCESS"
    assert record.outputs is not None and record.outputs["name"] == "Ada"
    seen = record.outputs["trigger"]
    assert seen["body"] == {"name": "Ada", "n": 1}
    assert seen["parameters"] == {"tag": ["a", "b"], "empty": [""]}
    assert seen["headers"]["X-Trace"] == ["t-1"]
    assert seen["headers"]["Content-Type"] == ["application/json"]
    assert "POST /api/v1/executions/webhook/team.hooks/hook/****** 200" in caplog.text
    assert KEY not in caplog.text


def test_the_webhook_accepts_get_put_the_tenant_path_and_text_bodies(
    start: Callable[..., Server], state: Path
) -> None:
    server = start()
    tenant = f"{server.url}/api/v1/main/executions/webhook/team.hooks/hook/{KEY}"
    assert httpx.get(hook_url(server)).status_code == 200
    put = httpx.put(tenant, content=b"plain words", headers={"Content-Type": "text/plain"})
    assert put.status_code == 200
    record = ended(state, put.json()["id"])
    assert record.outputs is not None and record.outputs["trigger"]["body"] == "plain words"
    binary = httpx.post(
        hook_url(server), content=b"\x00\x01", headers={"Content-Type": "application/zip"}
    )
    record = ended(state, binary.json()["id"])
    assert record.outputs is not None and record.outputs["trigger"]["body"] == "AAE="
    assert httpx.delete(hook_url(server)).status_code == 405


def test_a_wrong_key_and_an_unknown_flow_get_the_same_404(
    start: Callable[..., Server], state: Path
) -> None:
    server = start()
    wrong_key = httpx.post(hook_url(server, key=KEY[:-1] + "x"), json={})
    prefix = httpx.post(hook_url(server, key=KEY[:-1]), json={})
    unknown = httpx.post(hook_url(server, flow="team.hooks/nope"), json={})
    extra = httpx.post(hook_url(server) + "/more", json={})
    for response in (wrong_key, prefix, unknown, extra):
        assert response.status_code == 404
        assert response.content == wrong_key.content == b'{"message":"Not Found"}'
    assert executions(state) == []


def test_the_key_may_be_a_template_and_disabled_triggers_and_flows_start_nothing(
    start: Callable[..., Server], flows: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENV_HOOK_KEY", "from-env")
    write(
        flows / "templated.yml",
        f"""
        id: templated
        namespace: team.hooks
        tasks:
          - id: t
            type: {RETURN}
            format: ok
        triggers:
          - id: by-env
            type: {WEBHOOK}
            key: "  {{{{ envs.hook_key }}}}  "
          - id: off
            type: {WEBHOOK}
            key: disabled-key
            disabled: true
        """,
    )
    write(flows / "off.yml", HOOK.replace("id: hook\n", "id: off\ndisabled: true\n", 1))
    server = start()
    assert httpx.post(hook_url(server, "from-env", "team.hooks/templated")).status_code == 200
    assert httpx.post(hook_url(server, "disabled-key", "team.hooks/templated")).status_code == 404
    disabled_flow = httpx.post(hook_url(server, flow="team.hooks/off"))
    assert disabled_flow.status_code == 409
    assert httpx.post(hook_url(server, "bad", "team.hooks/off")).status_code == 404


def test_conditions_that_do_not_hold_answer_204_and_start_nothing(
    start: Callable[..., Server], flows: Path, state: Path
) -> None:
    write(
        flows / "guarded.yml",
        f"""
        id: guarded
        namespace: team.hooks
        tasks:
          - id: t
            type: {RETURN}
            format: "{{{{ trigger.body.go }}}}"
        triggers:
          - id: hook
            type: {WEBHOOK}
            key: {KEY}
            conditions:
              - type: io.kestra.plugin.core.condition.Expression
                expression: "{{{{ trigger.body.go == 'yes' }}}}"
        """,
    )
    server = start()
    url = hook_url(server, flow="team.hooks/guarded")
    refused = httpx.post(url, json={"go": "no"})
    assert refused.status_code == 204 and refused.content == b""
    assert executions(state, "guarded") == []
    accepted = httpx.post(url, json={"go": "yes"})
    assert accepted.status_code == 200
    assert ended(state, accepted.json()["id"]).state == "SUCCESS"


def test_inputs_are_rendered_with_the_trigger_and_bad_ones_get_422(
    start: Callable[..., Server], flows: Path, state: Path
) -> None:
    write(
        flows / "with-inputs.yml",
        f"""
        id: with-inputs
        namespace: team.hooks
        inputs:
          - id: count
            type: INT
        tasks:
          - id: t
            type: {RETURN}
            format: "{{{{ inputs.count + 1 }}}}"
        outputs:
          - id: next
            type: STRING
            value: "{{{{ outputs.t.value }}}}"
        triggers:
          - id: hook
            type: {WEBHOOK}
            key: {KEY}
            inputs:
              count: "{{{{ trigger.body.count }}}}"
        """,
    )
    server = start()
    url = hook_url(server, flow="team.hooks/with-inputs")
    response = httpx.post(url, json={"count": 41})
    record = ended(state, response.json()["id"])
    assert record.inputs == {"count": 41} and record.outputs == {"next": "42"}
    unrenderable = httpx.post(url, json={"other": 1})
    assert unrenderable.status_code == 422
    assert "count" in unrenderable.json()["message"]


def test_an_oversized_body_gets_413_and_starts_nothing(
    start: Callable[..., Server], state: Path
) -> None:
    server = start(max_body=1000)
    assert httpx.post(hook_url(server), content=b"x" * 1000).status_code == 200
    big = httpx.post(hook_url(server), content=b"x" * 1001)
    assert big.status_code == 413
    chunked = httpx.post(hook_url(server), content=iter([b"y" * 600, b"y" * 600]))
    assert chunked.status_code == 413
    small_chunks = httpx.post(hook_url(server), content=iter([b'{"name":', b' "Bo"}']))
    assert small_chunks.status_code == 200
    record = ended(state, small_chunks.json()["id"])
    assert record.outputs is not None and record.outputs["name"] == "Bo"
    assert len(executions(state)) == 2


def test_wait_and_return_outputs_answer_when_the_execution_ends(
    start: Callable[..., Server], flows: Path
) -> None:
    write(
        flows / "sync.yml",
        f"""
        id: sync
        namespace: team.hooks
        tasks:
          - id: t
            type: {RETURN}
            format: "hi {{{{ trigger.parameters.who[0] }}}}"
        outputs:
          - id: greeting
            type: STRING
            value: "{{{{ outputs.t.value }}}}"
        triggers:
          - id: with-outputs
            type: {WEBHOOK}
            key: outputs-key
            wait: true
            returnOutputs: true
          - id: with-execution
            type: {WEBHOOK}
            key: execution-key
            wait: true
            responseCode: "{{{{ outputs.t.value == 'hi Bo' ? 201 : 202 }}}}"
        """,
    )
    server = start()
    outputs = httpx.get(hook_url(server, "outputs-key", "team.hooks/sync") + "?who=Al")
    assert outputs.status_code == 200 and outputs.json() == {"greeting": "hi Al"}
    execution = httpx.get(hook_url(server, "execution-key", "team.hooks/sync") + "?who=Bo")
    assert execution.status_code == 201
    assert execution.json()["state"]["current"] == "SUCCESS"
    assert execution.json()["outputs"] == {"greeting": "hi Bo"}


def test_get_execution_returns_the_run_report_or_404(
    start: Callable[..., Server], state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = start()
    started = httpx.post(hook_url(server), json={"name": "Ed"}).json()
    ended(state, started["id"])
    found = httpx.get(f"{server.url}/api/v1/executions/{started['id']}")
    assert found.status_code == 200
    code = main(
        ["executions", "get", "--id", started["id"], "--state-dir", str(state), "--format", "json"]
    )
    assert code == 0
    assert found.json() == json.loads(capsys.readouterr().out)
    assert found.json()["state"] == "SUCCESS" and found.json()["outputs"]["name"] == "Ed"
    tenant = httpx.get(f"{server.url}/api/v1/main/executions/{started['id']}")
    assert tenant.json() == found.json()
    missing = httpx.get(f"{server.url}/api/v1/executions/no-such-id")
    assert missing.status_code == 404
    assert httpx.post(f"{server.url}/api/v1/executions/{started['id']}").status_code == 405
    assert httpx.get(f"{server.url}/elsewhere").status_code == 404


def test_a_flow_added_while_the_server_runs_is_picked_up(
    start: Callable[..., Server], flows: Path
) -> None:
    server = start()
    url = hook_url(server, "late-key", "team.hooks/late")
    assert httpx.post(url).status_code == 404
    write(flows / "late.yml", HOOK.replace("id: hook\n", "id: late\n", 1).replace(KEY, "late-key"))
    server.reload()
    wait_for(lambda: httpx.post(url).status_code == 200, what="the new flow to be served")


def test_200_concurrent_webhook_calls_start_200_executions(
    start: Callable[..., Server], state: Path
) -> None:
    server = start(workers=4)
    url = hook_url(server)
    together = threading.Barrier(200)

    def call(number: int) -> str:
        with httpx.Client(timeout=30) as client:
            together.wait(30)  # every call is sent at the same moment
            response = client.post(url, json={"name": f"n{number}"})
        assert response.status_code == 200
        return str(response.json()["id"])

    with ThreadPoolExecutor(max_workers=200) as pool:
        ids = list(pool.map(call, range(200)))
    assert len(set(ids)) == 200

    def all_ended() -> list[ExecutionRecord] | None:
        records = executions(state, "hook")
        done = [r for r in records if r.state == "SUCCESS"]
        return records if len(done) == 200 else None

    records = wait_for(all_ended, timeout=60, what="200 executions to succeed")
    assert {r.id for r in records} == set(ids)
    assert sorted(str((r.outputs or {})["name"]) for r in records) == sorted(
        f"n{number}" for number in range(200)
    )


# -- flow concurrency ---------------------------------------------------------------------------


def limited_flow(flows: Path, behavior: str, first_task: str = "") -> None:
    """A webhook flow that allows one execution at a time and records when its tasks ran."""
    write(
        flows / "limited.yml",
        f"""
        id: limited
        namespace: team.hooks
        concurrency:
          limit: 1
          behavior: {behavior}
        tasks:{first_task}
          - id: first
            type: {RETURN}
            format: "{{{{ now() }}}}"
          - id: wait
            type: io.kestra.plugin.core.flow.Sleep
            duration: PT1S
          - id: last
            type: {RETURN}
            format: "{{{{ now() }}}}"
        outputs:
          - id: span
            type: JSON
            value: '["{{{{ outputs.first.value }}}}", "{{{{ outputs.last.value }}}}"]'
        triggers:
          - id: hook
            type: {WEBHOOK}
            key: {KEY}
        """,
    )


def state_of(state: Path, execution_id: str) -> str | None:
    store = StateStore(state)
    try:
        record = store.execution(execution_id)
    finally:
        store.close()
    return record.state if record else None


def has_state(state: Path, execution_id: str, wanted: str) -> bool:
    return state_of(state, execution_id) == wanted


def logged(state: Path, execution_id: str) -> list[str]:
    store = StateStore(state)
    try:
        return [str(line["message"]) for line in store.logs(execution_id)]
    finally:
        store.close()


def test_queue_runs_one_execution_at_a_time_in_arrival_order(
    start: Callable[..., Server], flows: Path, state: Path
) -> None:
    limited_flow(flows, "QUEUE")
    server = start(workers=3)
    url = hook_url(server, flow="team.hooks/limited")
    ids: list[str] = []
    for expected in ("RUNNING", "QUEUED", "QUEUED"):  # one at a time: a known arrival order
        execution_id = httpx.post(url, json={}).json()["id"]
        ids.append(execution_id)
        wait_for(partial(has_state, state, execution_id, expected), what=expected)
    records = [ended(state, execution_id, timeout=20) for execution_id in ids]
    assert [r.state for r in records] == ["SUCCESS"] * 3
    spans = [[datetime.fromisoformat(t) for t in (r.outputs or {})["span"]] for r in records]
    for (_, finished), (started, _) in pairwise(spans):
        assert started >= finished  # in arrival order, never two at once
    queued = [any(m.startswith("queued:") for m in logged(state, i)) for i in ids]
    assert queued == [False, True, True]


@pytest.mark.parametrize(("behavior", "final"), [("CANCEL", "CANCELLED"), ("FAIL", "FAILED")])
def test_cancel_and_fail_end_an_execution_over_the_limit_at_once(
    start: Callable[..., Server], flows: Path, state: Path, behavior: str, final: str
) -> None:
    limited_flow(flows, behavior)
    server = start(workers=3)
    url = hook_url(server, flow="team.hooks/limited")
    first = httpx.post(url, json={}).json()["id"]
    wait_for(
        lambda: state_of(state, first) == "RUNNING",
        what="the first execution to run",
    )
    refused = ended(state, httpx.post(url, json={}).json()["id"])
    message = f"the flow's concurrency limit (1) is reached (behavior {behavior})"
    assert refused.state == final and message in logged(state, refused.id)
    assert refused.error == (message if final == "FAILED" else None)
    assert ended(state, first).state == "SUCCESS"
    # the slot is free again
    assert ended(state, httpx.post(url, json={}).json()["id"]).state == "SUCCESS"


def test_a_paused_execution_keeps_its_slot_until_it_is_resumed(
    start: Callable[..., Server], flows: Path, state: Path
) -> None:
    pause = "\n          - id: hold\n            type: io.kestra.plugin.core.flow.Pause"
    limited_flow(flows, "QUEUE", first_task=pause)
    server = start()
    url = hook_url(server, flow="team.hooks/limited")
    paused = httpx.post(url, json={}).json()["id"]
    wait_for(
        lambda: state_of(state, paused) == "PAUSED",
        what="the first execution to pause",
    )
    waiting = httpx.post(url, json={}).json()["id"]
    wait_for(
        lambda: state_of(state, waiting) == "QUEUED",
        what="the second execution to be queued",
    )
    time.sleep(2.5)  # longer than the server's recheck interval: still no slot
    assert state_of(state, waiting) == "QUEUED"
    assert main(["executions", "resume", "--id", paused, "--state-dir", str(state)]) == 0
    wait_for(  # its turn: it pauses too
        lambda: state_of(state, waiting) == "PAUSED",
        timeout=20,
        what="the second execution to run",
    )


# -- schedules --------------------------------------------------------------------------------


def test_a_schedule_every_second_starts_an_execution_each_second(
    start: Callable[..., Server], flows: Path, state: Path
) -> None:
    write(
        flows / "tick.yml",
        f"""
        id: tick
        namespace: team.clock
        inputs:
          - id: at
            type: STRING
        tasks:
          - id: t
            type: {RETURN}
            format: "{{{{ inputs.at }}}}"
        triggers:
          - id: every-second
            type: {SCHEDULE}
            cron: "* * * * * *"
            withSeconds: true
            inputs:
              at: "{{{{ trigger.date }}}}"
        """,
    )
    start()
    records = wait_for(
        lambda: [r for r in executions(state, "tick") if r.state == "SUCCESS"][2:],
        timeout=10,
        what="three scheduled executions",
    )
    dates = sorted(schedule_date(r) for r in executions(state, "tick"))
    assert len(dates) == len(set(dates))
    assert all(b - a == timedelta(seconds=1) for a, b in pairwise(dates))
    assert all(r.inputs["at"] == (r.trigger or {})["date"] for r in records)


def test_a_backfill_starts_the_past_dates_once(
    flows: Path, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(timezone.utc)
    begin = (now - timedelta(minutes=3)).replace(second=0, microsecond=0)
    write(
        flows / "backfilled.yml",
        f"""
        id: backfilled
        namespace: team.clock
        tasks:
          - id: t
            type: {RETURN}
            format: "{{{{ trigger.date }}}}"
        triggers:
          - id: every-minute
            type: {SCHEDULE}
            cron: "* * * * *"
            backfill:
              start: "{begin.isoformat()}"
        """,
    )
    for _ in range(2):  # the second start must not run the backfill again
        server = Server(Options(flows_dir=flows, state_dir=str(state), port=0))
        server.start()
        wait_for(lambda: len(executions(state, "backfilled")) >= 4, what="the backfill")
        server.stop()
    dates = [schedule_date(r) for r in executions(state, "backfilled")]
    assert len(dates) == len(set(dates)), "a date ran twice"
    past = [d for d in dates if d <= now]
    assert past == [begin + timedelta(minutes=n) for n in range(4)]
    code = main(
        [
            "triggers",
            "list",
            "--flows-dir",
            str(flows),
            "--state-dir",
            str(state),
            "--format",
            "json",
        ]
    )
    row = next(r for r in json.loads(capsys.readouterr().out) if r["flowId"] == "backfilled")
    assert code == 0 and datetime.fromisoformat(row["lastFired"]) == max(dates)


def schedule_date(record: ExecutionRecord) -> datetime:
    """The schedule date an execution was started for (`trigger.date`)."""
    return datetime.fromisoformat(str((record.trigger or {})["date"]).replace("Z", "+00:00"))


# -- Flow triggers ------------------------------------------------------------------------------


def test_a_flow_trigger_fires_when_the_upstream_execution_ends(
    start: Callable[..., Server], flows: Path, state: Path
) -> None:
    write(
        flows / "downstream.yml",
        f"""
        id: downstream
        namespace: team.after
        inputs:
          - id: name
            type: STRING
        tasks:
          - id: t
            type: {RETURN}
            format: "after {{{{ inputs.name }}}} of {{{{ trigger.flowId }}}}"
        outputs:
          - id: said
            type: STRING
            value: "{{{{ outputs.t.value }}}}"
        triggers:
          - id: after-hook
            type: io.kestra.plugin.core.trigger.Flow
            inputs:
              name: "{{{{ trigger.outputs.name }}}}"
            preconditions:
              id: hook-succeeded
              flows:
                - namespace: team.hooks
                  flowId: hook
                  states: [SUCCESS]
        """,
    )
    server = start()
    upstream = httpx.post(hook_url(server), json={"name": "Flo"}).json()["id"]
    record = wait_for(lambda: executions(state, "downstream"), what="the downstream execution")[0]
    record = ended(state, record.id)
    assert record.state == "SUCCESS" and record.outputs == {"said": "after Flo of hook"}
    assert (record.trigger or {})["executionId"] == upstream
    assert (record.trigger or {})["state"] == "SUCCESS"


# -- triggers list ------------------------------------------------------------------------------


def test_triggers_list_shows_every_trigger_with_the_key_masked(
    flows: Path, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        flows / "many.yml",
        f"""
        id: many
        namespace: team.list
        tasks:
          - id: t
            type: {RETURN}
            format: x
        triggers:
          - id: nightly
            type: {SCHEDULE}
            cron: "0 2 * * *"
            timezone: Europe/Paris
          - id: after
            type: io.kestra.plugin.core.trigger.Flow
            states: [FAILED]
            conditions:
              - type: io.kestra.plugin.core.condition.ExecutionFlow
                namespace: team.hooks
                flowId: hook
        """,
    )
    code = main(
        [
            "triggers",
            "list",
            "--flows-dir",
            str(flows),
            "--state-dir",
            str(state),
            "--format",
            "json",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and KEY not in out
    rows = {r["triggerId"]: r for r in json.loads(out)}
    assert rows["hook"]["url"] == "/api/v1/executions/webhook/team.hooks/hook/******"
    nightly = rows["nightly"]
    assert (nightly["cron"], nightly["timezone"], nightly["lastFired"]) == (
        "0 2 * * *",
        "Europe/Paris",
        None,
    )
    assert nightly["next"].endswith(("T02:00:00+01:00", "T02:00:00+02:00"))
    assert rows["after"]["states"] == ["FAILED"] and rows["after"]["upstream"] == [
        "team.hooks.hook"
    ]
    assert main(["triggers", "list", "--flows-dir", str(flows)]) == 0
    text = capsys.readouterr().out
    assert "nightly" in text and "cron '0 2 * * *' Europe/Paris; next" in text
    assert KEY not in text


def test_kflow_help_does_not_import_the_server() -> None:
    import subprocess
    import sys

    script = (
        "import sys, kflow.cli as c; c.build_parser().format_help(); "
        "print(any(m.startswith('kflow.server') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"


def test_an_older_state_database_gains_the_trigger_tables(state: Path) -> None:
    import sqlite3

    store = StateStore(state)
    store.close()
    with sqlite3.connect(state / "state.db") as db:  # back to what kflow 0.1 (schema 2) wrote
        for table in ("schedule_state", "execution_transitions", "cursors", "flow_trigger_state"):
            db.execute(f"DROP TABLE {table}")
        for trigger in ("executions_transition_update", "executions_transition_insert"):
            db.execute(f"DROP TRIGGER {trigger}")
        db.execute("PRAGMA user_version = 2")
    store = StateStore(state)
    record = ExecutionRecord(
        "e1",
        "ns",
        "f",
        None,
        "CREATED",
        {},
        None,
        {},
        None,
        None,
        "2026-01-01T00:00:00Z",
        None,
        None,
    )
    store.create_execution(record)
    store.update_execution("e1", state="RUNNING")
    store.update_execution("e1", state="SUCCESS", end_date="2026-01-01T00:00:01Z")
    store.update_execution("e1", state="SUCCESS")
    changes = store.transitions(0)
    assert [(c.execution_id, c.state, c.date) for c in changes] == [
        ("e1", "SUCCESS", "2026-01-01T00:00:01Z")
    ]
    assert store.start_schedule("ns", "f", "t", since="s", until="u")
    assert not store.advance_schedule("ns", "f", "t", previous="other", until="v")
    assert store.advance_schedule("ns", "f", "t", previous="u", until="v", fired="v")
    saved = store.schedule_state("ns", "f", "t")
    assert saved is not None and (saved.handled_until, saved.last_fired) == ("v", "v")
    store.close()


# -- the seed's 08-triggers.yml: its three triggers on one server ---------------------------------


def test_the_seed_triggers_flow_keeps_its_meaning(
    start: Callable[..., Server], flows: Path, state: Path, shared: Path
) -> None:
    """Schedule with a backfill, Flow trigger on sales.data-extraction SUCCESS, webhook key, as
    the seed writes them (only the backfill start is moved near now, to keep the test short)."""
    begin = (datetime.now(timezone.utc) - timedelta(days=3)).date()
    seed = (shared / "examples/seed/08-triggers.yml").read_text()
    seed = seed.replace("2024-01-01T00:00:00Z", f"{begin.isoformat()}T00:00:00Z")
    write(flows / "seed-triggers.yml", seed)
    write(
        flows / "data-extraction.yml",
        f"""
        id: data-extraction
        namespace: sales
        tasks:
          - id: t
            type: {RETURN}
            format: extracted
        """,
    )
    server = start()
    # the backfill: 09:00 UTC of each past day since the start, once each
    wanted = [
        datetime.combine(begin + timedelta(days=n), datetime.min.time(), timezone.utc)
        + timedelta(hours=9)
        for n in range(4)
    ]
    wanted = [d for d in wanted if d <= datetime.now(timezone.utc)]
    found = wait_for(
        lambda: len(executions(state, "seed-triggers")) >= len(wanted) and executions(state),
        what="the backfill",
    )
    dates = sorted(schedule_date(r) for r in found if r.flow_id == "seed-triggers")
    assert dates == wanted
    # the webhook
    answer = httpx.post(hook_url(server, "my-webhook-key", "dev/seed-triggers"), json={})
    assert answer.status_code == 200
    assert httpx.post(hook_url(server, "wrong", "dev/seed-triggers")).status_code == 404
    hooked = ended(state, answer.json()["id"])
    assert hooked.state == "SUCCESS" and (hooked.trigger or {}).get("body") == {}
    # the flow trigger: an execution of sales.data-extraction that ends SUCCESS
    before = {r.id for r in executions(state, "seed-triggers")}
    assert main(["flows", "execute", "--namespace", "sales", "--flow", "data-extraction",
                 "--flows-dir", str(flows), "--state-dir", str(state)]) == 0  # fmt: skip

    def triggered() -> list[ExecutionRecord]:
        return [
            r for r in executions(state, "seed-triggers")
            if r.id not in before and (r.trigger or {}).get("flowId") == "data-extraction"
        ]  # fmt: skip

    record = ended(state, wait_for(triggered, what="the flow trigger")[0].id)
    assert record.state == "SUCCESS" and (record.trigger or {})["namespace"] == "sales"


def test_a_negative_chunk_size_cannot_pass_the_size_limit(
    start: Callable[..., Server], state: Path
) -> None:
    import socket

    server = start(max_body=1000)
    host, port = server.url.removeprefix("http://").split(":")
    path = hook_url(server).removeprefix(server.url)
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n".encode()
            + b"z" * 5000
        )
        answer = raw.recv(200)
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert executions(state) == []


def test_a_webhook_cannot_make_the_server_read_its_own_files(
    start: Callable[..., Server], flows: Path, state: Path
) -> None:
    write(
        flows / "upload.yml",
        f"""
        id: upload
        namespace: team.hooks
        inputs:
          - id: doc
            type: FILE
        tasks:
          - id: t
            type: {RETURN}
            format: "{{{{ read(inputs.doc) }}}}"
        triggers:
          - id: hook
            type: {WEBHOOK}
            key: {KEY}
            inputs:
              doc: "{{{{ trigger.body.path }}}}"
        """,
    )
    secret = flows / "secret.txt"
    secret.write_text("server-side secret")
    server = start()
    answer = httpx.post(hook_url(server, flow="team.hooks/upload"), json={"path": str(secret)})
    if answer.status_code == 200:
        record = ended(state, answer.json()["id"])
        assert record.state == "FAILED"
        assert "server-side secret" not in json.dumps(record.outputs or {})
    else:
        assert answer.status_code == 422

"""A third-party plugin package, installed for real, found through the `kflow.plugins` entry point.

`tests/plugins/kflow-plugin-example` is built and installed into a directory of its own (pip's
`--target`), which the kflow commands below get on PYTHONPATH: importlib.metadata finds its
entry point there as in any environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PLUGIN = REPO / "tests/plugins/kflow-plugin-example"

FLOW = """\
id: plugin-flow
namespace: company.team
inputs:
  - id: word
    type: STRING
    defaults: kflow
tasks:
  - id: reverse
    type: com.example.Reverse
    text: "{{ inputs.word }}"
    upper: true
  - id: count
    type: com.example.text.Count
    text: "{{ outputs.reverse.value }} and more words"
outputs:
  - id: reversed
    type: STRING
    value: "{{ outputs.reverse.value }}"
"""


def _installer() -> list[str]:
    uv = shutil.which("uv")
    if uv:
        return [uv, "pip", "install", "--python", sys.executable]
    return [sys.executable, "-m", "pip", "install", "--quiet"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the installed plugin package (and a broken one beside it)."""
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("source") / PLUGIN.name  # the build writes beside it
    shutil.copytree(PLUGIN, source)
    subprocess.run(
        [*_installer(), "--no-deps", "--target", str(target), str(source)],
        check=True,
        capture_output=True,
    )
    # An installed distribution whose entry point cannot be imported: it must not stop kflow.
    broken = target / "kflow_broken_plugin-0.1.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text("Metadata-Version: 2.1\nName: kflow-broken-plugin\n"
                                     "Version: 0.1\n")  # fmt: skip
    (broken / "entry_points.txt").write_text(
        "[kflow.plugins]\nbroken = no_such_module:PLUGINS\nhalf = kflow_half_broken:PLUGINS\n"
    )
    # ... and one that imports, but names a properties model that does not
    (target / "kflow_half_broken.py").write_text(
        "from kflow.plugin_registry import Kind, PluginSpec\n"
        "PLUGINS = [PluginSpec('com.example.Half', Kind.TASK, 'Half.', 'no_such_mod:Model',"
        " run=print)]\n"
    )
    return target


def kflow(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}
    return subprocess.run(
        [sys.executable, "-m", "kflow", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_list_shows_the_plugin_with_its_package_and_targets(site: Path, tmp_path: Path) -> None:
    done = kflow(site, tmp_path, "plugins", "list", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = {row["type"]: row for row in json.loads(done.stdout)}
    reverse = rows["com.example.text.Reverse"]
    assert reverse["aliases"] == ["com.example.Reverse"]
    assert reverse["targets"] == ["runner", "airflow", "prefect"]
    assert reverse["plugin"] == "kflow-plugin-example 1.0.0"
    assert "io.kestra.plugin.core.log.Log" in rows  # the built-ins are still all there
    # the broken package is reported, not fatal
    assert "plugin 'broken' (kflow-broken-plugin 0.1) failed to load" in done.stderr
    assert "type 'com.example.Half' cannot be loaded: ModuleNotFoundError" in done.stderr
    assert "com.example.Half" not in rows


def test_show_documents_the_plugin(site: Path, tmp_path: Path) -> None:
    done = kflow(site, tmp_path, "plugins", "show", "com.example.text.Count")
    assert done.returncode == 0, done.stderr
    assert "  text: string (required)\n      The text whose words are counted" in done.stdout
    assert "Plugin: kflow-plugin-example 1.0.0" in done.stdout
    assert "type: com.example.text.Count\n        text: hello world" in done.stdout


def test_validate_checks_the_plugin_properties_with_positions(site: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(FLOW.replace("upper: true", "uper: true"))
    done = kflow(site, tmp_path, "validate", "bad.yml")
    assert done.returncode == 1
    assert "bad.yml:11:5: error[KF202]" in done.stdout
    assert "did you mean 'upper'?" in done.stdout


def test_run_uses_the_plugin_implementations(site: Path, tmp_path: Path) -> None:
    (tmp_path / "flow.yml").write_text(FLOW)
    state = tmp_path / "state"
    done = kflow(site, tmp_path, "run", "flow.yml", "--output", "json", "--state-dir", str(state))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    runs = {run["taskId"]: run for run in report["taskRuns"]}
    assert runs["reverse"]["outputs"] == {"value": "WOLFK"}
    assert runs["count"]["outputs"] == {"words": 4}
    assert report["outputs"] == {"reversed": "WOLFK"}


def test_a_plugin_failure_is_a_failed_task_with_its_message(site: Path, tmp_path: Path) -> None:
    (tmp_path / "flow.yml").write_text(FLOW.replace('"{{ inputs.word }}"', '""'))
    state = tmp_path / "state"
    done = kflow(site, tmp_path, "run", "flow.yml", "--output", "json", "--state-dir", str(state))
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["state"] == "FAILED"
    assert [r["state"] for r in report["taskRuns"]] == ["FAILED"]
    logs = kflow(
        site, tmp_path, "executions", "logs", "--id", report["id"], "--state-dir", str(state)
    )
    assert "com.example.text.Reverse: 'text' rendered empty" in logs.stdout
    assert "Traceback" not in logs.stdout + done.stderr


@pytest.mark.parametrize("target", ["airflow", "prefect"])
def test_compile_calls_the_plugin_through_the_shim(site: Path, tmp_path: Path, target: str) -> None:
    (tmp_path / "flow.yml").write_text(FLOW)
    done = kflow(site, tmp_path, "compile", "flow.yml", "--target", target, "--out", "out")
    assert done.returncode == 0, done.stdout + done.stderr
    module = next((tmp_path / "out").rglob("*.py")).read_text()
    assert '"com.example.text.Reverse"' in module  # the canonical type, alias resolved
    assert "com.example.Reverse" not in module


def test_schema_includes_the_plugin(site: Path, tmp_path: Path) -> None:
    done = kflow(site, tmp_path, "schema")
    assert done.returncode == 0, done.stderr
    definition = json.loads(done.stdout)["definitions"]["com.example.text.Reverse"]
    assert definition["properties"]["type"] == {"enum": ["com.example.text.Reverse",
                                                         "com.example.Reverse"]}  # fmt: skip
    assert definition["required"] == ["type", "id", "text"]

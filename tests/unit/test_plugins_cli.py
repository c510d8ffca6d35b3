"""The plugin hub from the terminal: `kflow plugins list|show` and `kflow schema` (built-ins)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from jsonschema.exceptions import best_match

from kflow.cli import main
from kflow.compiler.check import check
from kflow.compiler.diagnostics import Severity
from kflow.compiler.json_schema import flow_schema
from kflow.compiler.loader import load_file, load_text
from kflow.plugin_registry import Kind, default_registry
from kflow.plugin_registry.docs import example_flow
from kflow.plugin_registry.support import FLOWABLES

SPECS = list(default_registry())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def errors(text: str) -> list[str]:
    diagnostics = check(load_text("example.yml", text)).diagnostics
    return [f"{d.code} {d.message}" for d in diagnostics if d.level is Severity.ERROR]


# -- plugins list ------------------------------------------------------------------------------


def test_list_json_is_every_type_with_aliases_title_and_targets(capsys: Any) -> None:
    code, out, _ = run(capsys, "plugins", "list", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [row["type"] for row in rows] == [spec.type for spec in SPECS]
    by_type = {row["type"]: row for row in rows}
    download = by_type["io.kestra.plugin.core.http.Download"]
    assert download["aliases"] == ["io.kestra.plugin.fs.http.Download"]
    assert download["title"]
    assert download["targets"] == ["runner", "airflow", "prefect"]
    assert by_type["io.kestra.plugin.core.flow.WorkingDirectory"]["targets"] == ["runner"]
    assert by_type["io.kestra.plugin.core.flow.WaitFor"]["targets"] == []


def test_list_text_is_a_table_of_targets(capsys: Any) -> None:
    code, out, _ = run(capsys, "plugins", "list", "--kind", "task")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split()[:5] == ["TYPE", "KIND", "RUNNER", "AIRFLOW", "PREFECT"]
    line = next(r for r in rows if r.startswith("io.kestra.plugin.core.flow.AllowFailure "))
    assert line.split()[1:5] == ["task", "yes", "-", "yes"]
    assert all(" trigger " not in row for row in rows)


@pytest.mark.parametrize("flowable", sorted(FLOWABLES))
@pytest.mark.parametrize("target", ["airflow", "prefect"])
def test_flowable_targets_are_what_the_emitters_compile(flowable: str, target: str) -> None:
    """The support table is checked against the emitters, not trusted."""
    from kflow.compiler.api import emitter, unrunnable
    from kflow.compiler.lower import lower

    spec, _ = default_registry().lookup(flowable) or (None, None)
    assert spec is not None
    text = example_flow(spec)
    checked = check(load_text("probe.yml", text))
    assert not [d for d in checked.diagnostics if d.level is Severity.ERROR], text
    flow = lower(checked)
    diagnostics = unrunnable(flow, target) or emitter(target)(flow).diagnostics
    refused = any(d.code == "KF401" for d in diagnostics)
    assert refused == (target not in FLOWABLES[flowable]), diagnostics


def test_runner_flowables_are_what_the_runner_handles() -> None:
    from kflow.runtime_shims.flowables import HANDLERS

    runs = {t for t, targets in FLOWABLES.items() if "runner" in targets}
    assert runs == set(HANDLERS)


# -- plugins show ------------------------------------------------------------------------------


def test_show_documents_properties_outputs_and_an_example(capsys: Any) -> None:
    code, out, _ = run(capsys, "plugins", "show", "io.kestra.plugin.jdbc.postgresql.Query")
    assert code == 0
    assert "  sql: string (required)" in out
    assert "  url: string (required: here, in pluginDefaults or in the environment)" in out
    assert (
        '  fetchType: "FETCH" | "FETCH_ONE" | "STORE" | "NONE" | template (default "NONE")' in out
    )
    assert "  fetch: boolean (default false)\n      deprecated: write 'fetchType: FETCH'" in out
    assert "Outputs:\n  row\n  rows\n  uri\n  size\n" in out
    assert "Targets: runner, airflow, prefect" in out
    example = out.split("Example flow:\n\n", 1)[1]
    assert errors("\n".join(line[4:] for line in example.splitlines())) == []


def test_show_accepts_an_alias_and_a_short_name(capsys: Any) -> None:
    code, out, _ = run(capsys, "plugins", "show", "io.kestra.core.tasks.log.Log")
    assert code == 0 and out.startswith("io.kestra.plugin.core.log.Log\n")
    assert "('io.kestra.core.tasks.log.Log' is another name of this type)" in out
    code, out, _ = run(capsys, "plugins", "show", "http.Request", "--format", "json")
    assert code == 0 and json.loads(out)["type"] == "io.kestra.plugin.core.http.Request"


def test_show_unknown_type_is_a_usage_error_with_a_suggestion(capsys: Any) -> None:
    code, out, err = run(capsys, "plugins", "show", "http.Downlod")
    assert code == 2 and out == ""
    assert err == (
        "kflow plugins: error: no plugin type 'http.Downlod'; "
        "did you mean 'io.kestra.plugin.core.http.Download'?\n"
    )


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.type)
def test_every_plugin_is_documented_with_an_example_that_validates(spec: Any) -> None:
    from kflow.plugin_registry.docs import describe

    info = describe(spec)
    assert info["title"] and info["example"].startswith("id: example\n")
    for prop in info["properties"]:
        assert prop["type"], prop
    assert errors(info["example"]) == [], info["example"]
    json.dumps(info)  # --format json must not fail on any default


# -- schema ------------------------------------------------------------------------------------


class _Yaml12(yaml.SafeLoader):
    """YAML as the YAML language server reads it: no timestamps (they stay strings)."""


_Yaml12.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = flow_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_schema_command_writes_the_same_schema(tmp_path: Path, capsys: Any) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0 and json.loads(out) == json.loads(json.dumps(flow_schema()))
    target = tmp_path / "kflow.schema.json"
    code, _, err = run(capsys, "schema", "--out", str(target))
    assert code == 0 and json.loads(target.read_text()) == json.loads(out)
    assert "wrote the flow schema" in err
    code, _, err = run(capsys, "schema", "--out", str(tmp_path / "missing" / "x.json"))
    assert code == 2 and "cannot write" in err and "Traceback" not in err


def test_schema_has_one_alternative_per_task_type(validator: Any) -> None:
    tasks = validator.schema["definitions"]["task"]["oneOf"]
    task_types = [s.type for s in SPECS if s.kind is Kind.TASK]
    assert len(tasks) == len(task_types) + 1  # + the seed's Expression condition as a task


def test_schema_accepts_every_flow_the_checker_accepts(shared: Path, validator: Any) -> None:
    files = sorted((shared / "conformance/kestra-0.21/valids").glob("*.y*ml"))
    files += sorted((shared / "examples/seed").glob("*.yml"))
    files += sorted(Path("examples").glob("**/*.yml"))
    checked = 0
    for path in files:
        diagnostics = check(load_file(str(path))).diagnostics
        if any(d.level is Severity.ERROR for d in diagnostics):
            continue
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_Yaml12)
        problem = best_match(validator.iter_errors(document))
        assert problem is None, f"{path.name}: {list(problem.absolute_path)}: {problem.message}"
        checked += 1
    assert checked > 150


@pytest.mark.parametrize(
    ("task", "where"),
    [
        ({"id": "t", "type": "io.kestra.plugin.core.log.Log", "mesage": "x"}, "unknown key"),
        ({"id": "t", "type": "io.kestra.plugin.core.log.Nope", "message": "x"}, "unknown type"),
        ({"id": "t", "type": "io.kestra.plugin.core.http.Download"}, "missing uri"),
        ({"id": "t", "type": "io.kestra.plugin.core.flow.Sleep", "duration": 5}, "wrong type"),
        ({"id": "t t", "type": "io.kestra.plugin.core.log.Log", "message": "x"}, "bad id"),
    ],
)
def test_schema_rejects_what_an_editor_should_underline(
    task: dict[str, Any], where: str, validator: Any
) -> None:
    document = {"id": "f", "namespace": "company.team", "tasks": [task]}
    assert not validator.is_valid(document), where


def test_schema_does_not_require_a_connection_that_may_come_from_defaults(validator: Any) -> None:
    task = {"id": "q", "type": "io.kestra.plugin.jdbc.postgresql.Query", "sql": "SELECT 1"}
    assert validator.is_valid({"id": "f", "namespace": "company.team", "tasks": [task]})

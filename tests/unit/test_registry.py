"""The plugin registry: every built-in spec, its property model, and the shared property types.

The corpus tests walk every seed and conformance flow the way the checker does (common keys and
child task lists removed) and validate each task, trigger, condition and retry through its model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from kflow.compiler.check import check
from kflow.compiler.loader import load_file, load_text, to_python
from kflow.plugin_registry import ChildShape, Kind, PluginSpec, Registry, default_registry
from kflow.plugin_registry.builtins import SPECS, TYPE_NOTES
from kflow.plugin_registry.types import (
    CONDITION_COMMON_KEYS,
    TASK_COMMON_KEYS,
    TRIGGER_COMMON_KEYS,
    Cron,
    Duration,
    Dynamic,
    Properties,
    Retry,
    Templated,
    Text,
    check_cron,
    parse_duration,
    property_names,
    validate_duration,
)
from tests.conftest import SHARED

REGISTRY = default_registry()
TEST_ONLY = ("io.kestra.core.tasks.test.", "io.kestra.core.runners.test.")
# the checker's mapping of pydantic error types onto diagnostic codes
CODES = {
    "missing": "KF201",
    "extra_forbidden": "KF202",
    "kflow_duration": "KF207",
    "kflow_cron": "KF208",
    "literal_error": "KF211",
}


def _code(kind: str) -> str:
    return CODES.get(kind, "KF203")


def _corpus() -> list[Path]:
    seed = sorted((SHARED / "examples" / "seed").glob("*.yml"))
    valids = sorted((SHARED / "conformance" / "kestra-0.21" / "valids").glob("*.y*ml"))
    return seed + valids


CORPUS = _corpus()


# -- walking a flow like the checker ------------------------------------------------------------


class Found:
    """One plugin use in a flow: where, what, and the properties its model validates."""

    def __init__(self, where: str, type_name: str, kind: Kind, data: dict[str, Any]) -> None:
        self.where, self.type_name, self.kind, self.data = where, type_name, kind, data


def _plugins(flow: dict[str, Any]) -> Iterator[Found]:
    for key in ("tasks", "errors", "finally", "afterExecution"):
        yield from _tasks(flow.get(key), key)
    for i, listener in enumerate(flow.get("listeners") or []):
        yield from _tasks(listener.get("tasks"), f"listeners[{i}].tasks")
        yield from _conditions(listener.get("conditions"), f"listeners[{i}].conditions")
    for i, item in enumerate(flow.get("triggers") or []):
        where = f"triggers[{i}]"
        yield Found(where, item["type"], Kind.TRIGGER, _own(item, TRIGGER_COMMON_KEYS))
        yield from _conditions(item.get("conditions"), f"{where}.conditions")
    if isinstance(flow.get("retry"), dict):
        yield Found("retry", "retry", Kind.TASK, flow["retry"])


def _tasks(items: Any, where: str) -> Iterator[Found]:
    for i, item in enumerate(items or []):
        here = f"{where}[{i}]({item.get('id')})"
        found = REGISTRY.lookup(item["type"])
        children = found[0].children if found else {}
        yield Found(here, item["type"], Kind.TASK, _own(item, TASK_COMMON_KEYS | set(children)))
        if isinstance(item.get("retry"), dict):
            yield Found(f"{here}.retry", "retry", Kind.TASK, item["retry"])
        yield from _conditions(item.get("conditions"), f"{here}.conditions")
        for prop, shape in children.items():
            value = item.get(prop)
            if shape is ChildShape.LIST:
                yield from _tasks(value, f"{here}.{prop}")
            elif shape is ChildShape.MAP_OF_LISTS:
                for case, tasks in (value or {}).items():
                    yield from _tasks(tasks, f"{here}.{prop}.{case}")
            else:
                yield from _tasks([entry["task"] for entry in value or []], f"{here}.{prop}")


def _conditions(items: Any, where: str) -> Iterator[Found]:
    entries = items.items() if isinstance(items, dict) else enumerate(items or [])
    for key, item in entries:
        here = f"{where}[{key}]"
        yield Found(here, item["type"], Kind.CONDITION, _own(item, CONDITION_COMMON_KEYS))
        if "conditions" in item:
            yield from _conditions(item["conditions"], f"{here}.conditions")


def _own(item: dict[str, Any], common: set[str] | frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in common}


def _problems(found: Found) -> list[str]:
    connection: tuple[str, ...] = ()
    if found.type_name == "retry":
        model: type[BaseModel] = Retry
    else:
        resolved = REGISTRY.lookup(found.type_name)
        if resolved is None:
            return [f"{found.where}: unknown type {found.type_name}"]
        spec = resolved[0]
        model, connection = spec.properties, spec.connection
        if spec.kind is not found.kind and not (
            spec.kind is Kind.CONDITION and found.kind is Kind.TASK
        ):
            return [f"{found.where}: {found.type_name} is a {spec.kind.value}"]
    try:
        model.model_validate(found.data)
    except ValidationError as error:
        return [
            f"{found.where} {found.type_name}: {_code(e['type'])} "
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
            for e in error.errors()
            # a missing connection setting is a warning (KF214): it may come from elsewhere
            if not (e["type"] == "missing" and e["loc"][0] in connection)
        ]
    return []


def _flow(path: Path) -> dict[str, Any]:
    document = load_file(path)
    assert document.root is not None, [d.message for d in document.diagnostics]
    flow = to_python(document.root)
    assert isinstance(flow, dict)
    return flow


# -- the corpus -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_corpus_flow_validates(path: Path, shared: Path) -> None:
    """Every plugin use in a seed or conformance flow validates (test-only types aside)."""
    problems = [
        problem
        for found in _plugins(_flow(path))
        if not found.type_name.startswith(TEST_ONLY)
        for problem in _problems(found)
    ]
    assert not problems, "\n".join(problems)


def test_corpus_types_are_registered(shared: Path) -> None:
    written = {
        found.type_name
        for path in CORPUS
        for found in _plugins(_flow(path))
        if found.type_name != "retry"
    }
    missing = sorted(t for t in written if not t.startswith(TEST_ONLY) and not REGISTRY.lookup(t))
    assert not missing
    assert len(written) > 40


def test_corpus_summary(shared: Path) -> None:
    """At least 95% of the corpus files validate with no error (the target is all of them)."""
    failing = {
        path.name
        for path in CORPUS
        for found in _plugins(_flow(path))
        if not found.type_name.startswith(TEST_ONLY) and _problems(found)
    }
    assert len(CORPUS) > 150
    assert len(failing) <= 0.05 * len(CORPUS), sorted(failing)


@pytest.mark.parametrize(
    ("case", "code", "where"),
    [
        ("KF201-missing-property.yml", "KF201", "message"),
        ("KF202-unknown-property.yml", "KF202", "mesage"),
        ("KF203-wrong-type.yml", "KF203", "concurrencyLimit"),
        ("KF208-invalid-cron.yml", "KF208", "cron"),
        ("KF211-invalid-value.yml", "KF211", "level"),
    ],
)
def test_diagnostic_cases_fail_with_their_code(case: str, code: str, where: str) -> None:
    """The schema cases of tests/diagnostics fail in the models with the error the checker maps."""
    flow = _flow(Path(__file__).parents[1] / "diagnostics" / case)
    problems = [p for found in _plugins(flow) for p in _problems(found)]
    assert any(f": {code} {where}:" in problem for problem in problems), problems


# -- the registry ---------------------------------------------------------------------------------


def test_registry_builds_with_unique_names() -> None:
    registry = Registry(SPECS)
    names = [n for s in SPECS for n in (s.type, *(a.name for a in s.aliases))]
    assert len(names) == len(set(names))
    assert len(registry.names(Kind.TASK)) >= 45
    assert len(registry.names(Kind.TRIGGER)) == 4
    assert len(registry.names(Kind.CONDITION)) >= 19


@pytest.mark.parametrize("spec", SPECS, ids=[s.type for s in SPECS])
def test_spec_is_well_formed(spec: PluginSpec) -> None:
    assert spec.title and "\n" not in spec.title and len(spec.title) <= 100
    assert issubclass(spec.properties, Properties)
    assert spec.properties.model_config.get("extra") == "forbid"
    assert spec.properties.__doc__
    names = set(property_names(spec.properties))
    common = {
        Kind.TASK: TASK_COMMON_KEYS,
        Kind.TRIGGER: TRIGGER_COMMON_KEYS,
        Kind.CONDITION: CONDITION_COMMON_KEYS,
    }[spec.kind]
    assert not names & common, "common keys are the checker's"
    assert not names & set(spec.children), "child lists are the checker's"
    assert set(spec.connection) <= names
    for alias in spec.aliases:
        assert alias.note and spec.type in alias.note
    for name, field in spec.properties.model_fields.items():
        assert field.description or field.deprecated, f"{name} has no description"
    spec.properties.model_json_schema()  # `kflow plugins show` and the JSON Schema need it


def test_old_names_resolve_with_a_note() -> None:
    for old, new in [
        ("io.kestra.core.tasks.log.Log", "io.kestra.plugin.core.log.Log"),
        ("io.kestra.core.tasks.executions.Fail", "io.kestra.plugin.core.execution.Fail"),
        ("io.kestra.core.tasks.flows.Flow", "io.kestra.plugin.core.flow.Subflow"),
        ("io.kestra.core.tasks.trigger.Toggle", "io.kestra.plugin.core.trigger.Toggle"),
        ("io.kestra.core.models.triggers.types.Schedule", "io.kestra.plugin.core.trigger.Schedule"),
        ("io.kestra.plugin.fs.http.Trigger", "io.kestra.plugin.core.http.Trigger"),
        (
            "io.kestra.core.models.conditions.types.ExecutionStatusCondition",
            "io.kestra.plugin.core.condition.ExecutionStatus",
        ),
        (
            "io.kestra.plugin.core.condition.ExpressionCondition",
            "io.kestra.plugin.core.condition.Expression",
        ),
    ]:
        found = REGISTRY.lookup(old)
        assert found is not None, old
        spec, alias = found
        assert spec.type == new
        assert alias is not None and alias.note and new in alias.note


def test_type_notes_name_registered_types() -> None:
    for name in TYPE_NOTES:
        found = REGISTRY.lookup(name)
        assert found is not None and found[1] is None


def test_flowables_and_loops() -> None:
    def spec(name: str) -> PluginSpec:
        found = REGISTRY.lookup(f"io.kestra.plugin.core.flow.{name}")
        assert found is not None
        return found[0]

    assert spec("If").children == {
        "then": ChildShape.LIST,
        "else": ChildShape.LIST,
        "errors": ChildShape.LIST,
        "finally": ChildShape.LIST,
    }
    assert spec("Switch").children["cases"] is ChildShape.MAP_OF_LISTS
    assert spec("Dag").children["tasks"] is ChildShape.DAG
    assert spec("ForEach").loops and spec("EachParallel").loops and not spec("Parallel").loops
    assert not spec("Subflow").flowable and not spec("Sleep").flowable


# -- the shared property types --------------------------------------------------------------------


class _Probe(Properties):
    """A model using each shared type once."""

    count: Templated[int] = 1
    text: Text | None = None
    values: Dynamic[list[Any]] | None = None
    duration: Duration | None = None
    cron: Cron | None = None


def _error(**data: Any) -> tuple[str, str]:
    with pytest.raises(ValidationError) as info:
        _Probe.model_validate(data)
    (error,) = info.value.errors()
    return error["type"], error["msg"]


def test_templated_takes_the_type_or_a_template() -> None:
    assert _Probe.model_validate({"count": 3}).count == 3
    count: Any = _Probe.model_validate({"count": "{{ inputs.n }}"}).count
    assert count == "{{ inputs.n }}"
    assert _Probe.model_validate({"count": "{% if x %}1{% endif %}"}).count
    assert _error(count="many") == ("kflow_type", "expected an integer or a template, not 'many'")
    assert _code(_error(count=[1])[0]) == "KF203"


def test_text_reads_scalars_as_text() -> None:
    assert _Probe.model_validate({"text": 12}).text == "12"
    assert _Probe.model_validate({"text": True}).text == "true"
    assert _code(_error(text={"a": 1})[0]) == "KF203"


def test_dynamic_takes_a_value_json_or_a_template() -> None:
    assert _Probe.model_validate({"values": ["a", 1]}).values == ["a", 1]
    assert _Probe.model_validate({"values": '["a", 1]'}).values == ["a", 1]
    assert _Probe.model_validate({"values": "{{ outputs.x.rows }}"}).values
    kind, message = _error(values="a, b")
    assert _code(kind) == "KF203"
    assert message == "expected a list, a JSON string holding one, or a template, not 'a, b'"
    assert _code(_error(values='{"a": 1}')[0]) == "KF203"


@pytest.mark.parametrize(
    "text", ["PT5M", "P1D", "PT0.5S", "PT0.25s", "pt5m", "P2DT3H4M", "-PT6H", "P0D", "PT15M"]
)
def test_durations_kestra_accepts(text: str) -> None:
    assert validate_duration(text) is None
    assert _Probe.model_validate({"duration": text}).duration


@pytest.mark.parametrize("value", ["5 minutes", "PT", "P", "P1DT", "1h", 30, None, "P1W", "P1Y"])
def test_durations_kestra_rejects(value: Any) -> None:
    assert validate_duration(value)
    kind, message = _error(duration=value) if value is not None else ("", "")
    if value is not None:
        assert kind == "kflow_duration" and _code(kind) == "KF207"
        assert message.startswith(f"invalid ISO-8601 duration {value!r}: ")


def test_duration_messages_are_helpful() -> None:
    assert "days (P7D)" in (validate_duration("P1W") or "")
    assert "PT5M" in (validate_duration("5 minutes") or "")
    assert _Probe.model_validate({"duration": "{{ inputs.delay }}"}).duration


def test_parse_duration() -> None:
    assert parse_duration("PT1M30S").total_seconds() == 90
    assert parse_duration("P1DT1H").total_seconds() == 90000
    assert parse_duration("PT0.25s").total_seconds() == 0.25
    assert parse_duration("-PT6H").total_seconds() == -21600
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration("P1W")


@pytest.mark.parametrize("text", ["0 9 * * *", "*/5 * * * *", "@daily", "@HOURLY", "0 2 * * 1-5"])
def test_crons_kestra_accepts(text: str) -> None:
    assert check_cron(text) is None
    assert _Probe.model_validate({"cron": text}).cron == text


@pytest.mark.parametrize(
    "text", ["61 * * * *", "* * *", "@reboot", "0 0 L * *", "0 0 ? * *", "0 0 * * 1#2"]
)
def test_crons_kestra_rejects(text: str) -> None:
    assert check_cron(text)
    kind, message = _error(cron=text)
    assert _code(kind) == "KF208" and message.startswith("invalid cron")


def test_cron_messages_name_the_field() -> None:
    assert check_cron("61 * * * *") == "minute 61 is out of range (0-59)"
    assert check_cron("0 9 * * 1-8") == "day of week 8 is out of range (0-7)"
    assert "withSeconds" in (check_cron("0 0 9 * * *") or "")


def test_schedule_checks_the_field_count_against_with_seconds() -> None:
    schedule = REGISTRY.lookup("io.kestra.plugin.core.trigger.Schedule")
    assert schedule is not None
    model = schedule[0].properties
    model.model_validate({"cron": "*/10 * * * * *", "withSeconds": True})
    for data in ({"cron": "*/10 * * * * *"}, {"cron": "0 9 * * *", "withSeconds": True}):
        with pytest.raises(ValidationError) as info:
            model.model_validate(data)
        assert [(e["type"], e["loc"]) for e in info.value.errors()] == [("kflow_cron", ("cron",))]
    with pytest.raises(ValidationError) as info:
        model.model_validate({"cron": "0 9 * * *", "timezone": "Mars/Olympus"})
    assert info.value.errors()[0]["loc"] == ("timezone",)
    model.model_validate({"cron": "0 9 * * *", "timezone": "Europe/Paris"})
    model.model_validate({"cron": "0 9 * * *", "timezone": "+02:00"})


# -- retry ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"type": "constant", "interval": "PT1S", "maxAttempts": 3},
        {"type": "constant", "interval": "PT0.5S", "maxAttempt": 2},
        {"type": "io.kestra.plugin.core.retry.Exponential", "maxAttempt": 3, "maxDelay": "PT1M"},
        {"type": "exponential", "interval": "PT1S", "maxInterval": "PT1M", "delayFactor": 2},
        {"type": "random", "minInterval": "PT1S", "maxInterval": "PT5S", "maxDuration": "PT1M"},
        {"type": "Constant", "interval": "PT2S", "behavior": "CREATE_NEW_EXECUTION"},
    ],
)
def test_retry_forms(data: dict[str, Any]) -> None:
    Retry.model_validate(data)


@pytest.mark.parametrize(
    ("data", "code", "loc"),
    [
        ({"type": "constant", "maxAttempts": 3}, "KF201", ("interval",)),
        ({"type": "random", "maxInterval": "PT1S"}, "KF201", ("minInterval",)),
        ({"type": "exponential", "interval": "PT1S"}, "KF201", ("maxInterval",)),
        (
            {"type": "constant", "interval": "PT1S", "minInterval": "PT1S"},
            "KF202",
            ("minInterval",),
        ),
        ({"type": "linear", "interval": "PT1S"}, "KF211", ("type",)),
        ({"type": "constant", "interval": "1s"}, "KF207", ("interval",)),
        ({"type": "constant", "interval": "PT1S", "maxAttempts": 0}, "KF203", ("maxAttempts",)),
        ({"type": "constant", "interval": "PT1S", "attempts": 3}, "KF202", ("attempts",)),
        ({"interval": "PT1S"}, "KF201", ("type",)),
    ],
)
def test_retry_errors(data: dict[str, Any], code: str, loc: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as info:
        Retry.model_validate(data)
    assert [(_code(e["type"]), e["loc"]) for e in info.value.errors()] == [(code, loc)]


@pytest.mark.parametrize(
    ("concurrency", "found"),
    [
        ("{limit: 2}", []),
        ("{limit: 1, behavior: CANCEL}", []),
        ("{limit: 0}", [("KF203", 3, 22)]),
        ("{limit: '2'}", [("KF203", 3, 22)]),
        ("{limit: 1, behavior: DROP}", [("KF211", 3, 35)]),
        ("{behavior: QUEUE}", [("KF201", 3, 14)]),
        ("{limit: 1, max: 2}", [("KF202", 3, 25)]),
        ("[1]", [("KF203", 3, 14)]),
    ],
)
def test_flow_concurrency_is_checked(concurrency: str, found: list[tuple[str, int, int]]) -> None:
    text = f"id: f\nnamespace: n\nconcurrency: {concurrency}\ntasks:\n  - id: a\n"
    text += "    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    checked = check(load_text("f.yml", text))
    assert [(d.code, d.span.line, d.span.column) for d in checked.diagnostics] == found


# -- property names ------------------------------------------------------------------------------


def test_keyword_properties_use_their_yaml_names() -> None:
    status = REGISTRY.lookup("io.kestra.plugin.core.condition.ExecutionStatus")
    assert status is not None
    model = status[0].properties
    assert property_names(model) == ["in", "notIn"]
    model.model_validate({"in": ["SUCCESS"]})
    with pytest.raises(ValidationError):
        model.model_validate({"in_": ["SUCCESS"]})
    with pytest.raises(ValidationError) as info:
        model.model_validate({"in": ["DONE"]})
    assert _code(info.value.errors()[0]["type"]) == "KF211"


def _model(type_name: str) -> type[BaseModel]:
    found = REGISTRY.lookup(type_name)
    assert found is not None
    return found[0].properties


def test_log_message_is_one_or_many() -> None:
    log = _model("io.kestra.plugin.core.log.Log")
    assert log.model_validate({"message": "hi"}).model_dump()["message"] == ["hi"]
    assert log.model_validate({"message": ["a", 2]}).model_dump()["message"] == ["a", "2"]
    with pytest.raises(ValidationError) as info:
        log.model_validate({"message": {"a": 1}})
    assert [(e["type"], e["loc"]) for e in info.value.errors()] == [("kflow_type", ("message",))]


def test_labels_as_mapping_list_json_or_template() -> None:
    labels = _model("io.kestra.plugin.core.execution.Labels")
    for value in (
        {"a": "1"},
        [{"key": "a", "value": 1}],
        '{"a": "1"}',
    ):
        assert labels.model_validate({"labels": value}).model_dump() == {"labels": {"a": "1"}}
    assert labels.model_validate({"labels": "{{ inputs.labels }}"})
    with pytest.raises(ValidationError) as info:
        labels.model_validate({"labels": [{"name": "a"}]})
    assert info.value.errors()[0]["msg"] == "a label in a list is a mapping of 'key' and 'value'"


def test_missing_connection_is_reported_as_missing() -> None:
    """The checker turns this `missing` error into a KF214 warning, as `url` is a connection key."""
    query = REGISTRY.lookup("io.kestra.plugin.jdbc.postgresql.Query")
    assert query is not None
    with pytest.raises(ValidationError) as info:
        query[0].properties.model_validate({"sql": "SELECT 1"})
    assert [(e["type"], e["loc"]) for e in info.value.errors()] == [("missing", ("url",))]


def test_deprecated_properties_say_what_to_write() -> None:
    query = REGISTRY.lookup("io.kestra.plugin.jdbc.postgresql.Query")
    assert query is not None
    fields = query[0].properties.model_fields
    assert fields["fetch"].deprecated == "write 'fetchType: FETCH'"
    assert "url" in query[0].connection

"""Property tests: whatever the input, the validator reports diagnostics and never raises."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kflow.compiler.check import check
from kflow.compiler.loader import load_text

SEED = Path(__file__).resolve().parents[2] / "golden"
FLOWS = sorted(p.read_text(encoding="utf-8") for p in SEED.glob("*/flow.yml"))

TYPES = [
    "io.kestra.plugin.core.log.Log",
    "io.kestra.plugin.core.debug.Return",
    "io.kestra.plugin.core.flow.Parallel",
    "io.kestra.plugin.core.flow.ForEach",
    "io.kestra.plugin.core.flow.Dag",
    "io.kestra.plugin.core.flow.Switch",
    "io.kestra.plugin.core.flow.If",
    "io.kestra.plugin.core.flow.Subflow",
    "io.kestra.plugin.core.trigger.Schedule",
    "nope",
]
KEYS = [
    "id",
    "type",
    "tasks",
    "message",
    "format",
    "values",
    "cases",
    "then",
    "dependsOn",
    "task",
    "inputs",
    "retry",
    "timeout",
    "namespace",
    "triggers",
    "cron",
    "errors",
    "outputs",
    "labels",
    "pluginDefaults",
    "defaults",
    "condition",
    "value",
    "x-y",
]
TEXT = st.one_of(
    st.sampled_from(TYPES),
    st.sampled_from(
        [
            "{{ outputs.a.value }}",
            "{{",
            "{% if %}",
            "{{ inputs.x | f(1,) }}",
            "PT5M",
            "P",
            "* * * * *",
            "a-b",
            "",
            "{{ a ?? b ??? c }}",
        ]
    ),
    st.text(max_size=20),
)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
DOC = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    ),
    max_leaves=30,
)


def validate(text: str) -> None:
    result = check(load_text("fuzz.yml", text))
    for d in result.diagnostics:
        assert d.span.line >= 1 and d.span.column >= 1, d
        assert d.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOC)
def test_generated_documents_never_crash(doc: object) -> None:
    validate(yaml.safe_dump(doc, sort_keys=False))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FLOWS), st.data())
def test_mutated_seed_flows_never_crash(flow: str, data: st.DataObject) -> None:
    text = flow
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        chunk = data.draw(
            st.sampled_from(
                [
                    " ",
                    "\n",
                    "  ",
                    "-",
                    ":",
                    "{{",
                    "}}",
                    "'",
                    '"',
                    "[",
                    "\t",
                    "#",
                    "&a",
                    "*a",
                    "x",
                    "- id: z\n",
                ]
            )
        )
        if action == "insert":
            text = text[:position] + chunk + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + len(chunk) :]
        else:
            text = text[:position] + chunk + text[position + 1 :]
    validate(text)

"""The templating shim: rendering rules, operators, tags, undefined variables, the sandbox,
secrets and the public API. Filters, functions and dates have their own test files.

Expected values come from Kestra's documentation (pages cited by name) and from Pebble's and
Kestra's behaviour where the documentation is silent.
"""

from __future__ import annotations

import base64
import contextlib
import math
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kflow
from kflow.expr import nodes
from kflow.expr.nodes import (
    Binary,
    Conditional,
    Expression,
    Filter,
    GetAttr,
    GetItem,
    ListExpr,
    Literal,
    MapExpr,
    Name,
    NullCoalesce,
    Unary,
    to_source,
)
from kflow.runtime_shims.templating import (
    SandboxError,
    Services,
    TemplateError,
    UndefinedError,
    env_secret,
    env_variables,
    evaluate,
    is_truthy,
    render,
    render_value,
)
from kflow.runtime_shims.templating.filters import FILTERS
from kflow.runtime_shims.templating.is_tests import TESTS
from kflow.runtime_shims.templating.values import to_output

CONTEXT: dict[str, Any] = {
    "flow": {"id": "hello", "namespace": "company.team", "revision": 3},
    "execution": {
        "id": "4wjLrRgs8aTqvDDGhW3rFa",
        "startDate": "2024-01-01T10:00:00.123456Z",
        "state": "RUNNING",
        "originalId": "4wjLrRgs8aTqvDDGhW3rFa",
    },
    "task": {"id": "log", "type": "io.kestra.plugin.core.log.Log"},
    "taskrun": {"id": "tr1", "value": "b", "iteration": 1, "attemptsCount": 1},
    "outputs": {
        "first": {"value": "First output value"},
        "second-task": {"value": "Second output value"},
        "set-vars": {"value": 42},
        "nums": {"rows": [{"null_count": "0"}, {"null_count": 3}]},
        "each": {"a": {"value": "for a"}, "b": {"value": "for b"}},
    },
    "inputs": {"name": "kestra", "optional": None, "flag": False, "count": 3},
    "vars": {"greeting": "hello {{ inputs.name }}"},
    "labels": {"team": "data"},
    "parents": [],
}
TASK_IDS = frozenset({"first", "second-task", "set-vars", "nums", "each", "log"})


def r(template: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> str:
    return render(template, CONTEXT if variables is None else variables, **kwargs)


def ev(template: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return evaluate(template, CONTEXT if variables is None else variables, **kwargs)


# ---- rendering rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("no expression at all", "no expression at all"),
        ("{ not a template }", "{ not a template }"),
        ("{{ flow.id }}", "hello"),
        ("{{ flow.revision }}", "3"),
        ("{{ 1.0 }}", "1.0"),
        ("{{ 2.5 }}", "2.5"),
        ("{{ 10000000.0 }}", "1.0E7"),
        ("{{ 0.0001 }}", "1.0E-4"),
        ("{{ true }} {{ false }}", "true false"),
        ("[{{ null }}]", "[]"),
        ("{{ [1, 2] }}", "[1,2]"),
        ("{{ {'a': 1, 'b': [true, null, 'x']} }}", '{"a":1,"b":[true,null,"x"]}'),
        ("{{ {'text': 'line\nbreak \"q\" é'} }}", '{"text":"line\\nbreak \\"q\\" é"}'),
        ("{{ [1.0, 2.5] }}", "[1.0,2.5]"),
        ("{{ inputs.optional }}", ""),
        ("{{ vars.greeting }}", "hello {{ inputs.name }}"),
    ],
)
def test_rendering_rules(template: str, expected: str) -> None:
    # Kestra docs, expressions: maps and lists print as JSON; rendering is not recursive.
    assert r(template) == expected


def test_task_outputs_by_dot_and_subscript() -> None:
    # Kestra docs, expressions (Outputs): dot notation and subscript notation.
    template = "First: {{ outputs.first.value }}\nSecond: {{ outputs['second-task'].value }}"
    assert r(template) == "First: First output value\nSecond: Second output value"


def test_hyphenated_task_ids_resolve_when_known() -> None:
    # The seed notes write outputs.set-vars.value; without the task ids it is a subtraction.
    assert r("{{ outputs.set-vars.value }}", task_ids=TASK_IDS) == "42"
    assert r("{{ outputs.second-task.value | upper }}", task_ids=TASK_IDS) == "SECOND OUTPUT VALUE"
    with pytest.raises(UndefinedError, match=r"outputs\.set"):
        r("{{ outputs.set-vars.value }}")
    assert r("{{ outputs.set-vars.value }}", task_ids=set(TASK_IDS)) == "42"


def test_foreach_outputs_are_keyed_by_value() -> None:
    assert r("{{ outputs.each[taskrun.value].value }}") == "for b"
    assert r("{{ currentEachOutput(outputs.each).value }}") == "for b"


def test_seed_expressions() -> None:
    # The seed notes' conditions.
    assert ev("{{ outputs.nums.rows[0]['null_count'] | int == 0 }}", task_ids=TASK_IDS) is True
    assert ev("{{ outputs.nums.rows[1]['null_count'] | int == 0 }}") is False
    assert ev("{{ execution.startDate | date('HH') | int > 8 }}") is True
    assert r("{{ trigger.date ?? execution.startDate }}") == "2024-01-01T10:00:00.123456Z"
    assert ev("{{ not inputs.flag }}") is True


def test_whitespace_control_and_comments() -> None:
    assert r("a  {{- 'b' -}}  c") == "abc"
    assert r("a {# note #} b") == "a  b"
    assert r("{% raw %}{{ not rendered }}{% endraw %}") == "{{ not rendered }}"


# ---- typed evaluation and render_value -----------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ true }}", True),
        ("  {{ 1 + 2 }}\n", 3),
        ("{{ [1, 'a'] }}", [1, "a"]),
        ("{{ {'k': 2.5} }}", {"k": 2.5}),
        ("{{ inputs.optional }}", None),
        ("{{ inputs.count > 2 }}", True),
        ("x{{ 1 }}", "x1"),
        ("{{ 1 }}{{ 2 }}", "12"),
        ("plain", "plain"),
    ],
)
def test_evaluate_gives_typed_values(template: str, expected: Any) -> None:
    result = ev(template)
    assert result == expected and type(result) is type(expected)


def test_render_value_walks_lists_and_maps() -> None:
    value = {"{{ flow.id }}": ["{{ inputs.count }}", 5, None, {"k": "{{ true }}"}], "n": 1.5}
    assert render_value(value, CONTEXT) == {"hello": ["3", 5, None, {"k": "true"}], "n": 1.5}
    assert render_value(7, CONTEXT) == 7


def test_kflow_render_is_exported_lazily() -> None:
    assert kflow.render("{{ a | upper }}", {"a": "x"}) == "X"
    code = (
        "import sys, kflow; "
        "assert 'kflow.runtime_shims.templating' not in sys.modules; "
        "import kflow.runtime_shims.templating; "
        "assert 'lark' not in sys.modules; "
        "assert not [m for m in sys.modules if m.startswith('kflow.compiler')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_is_truthy_follows_kestra() -> None:
    assert [is_truthy(v) for v in (True, "true", 1, "yes", [1])] == [True] * 5
    assert [is_truthy(v) for v in (False, "false", 0, "0", "-0", "", None, " ")] == [False] * 8


# ---- operators -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # Kestra docs, expressions (math): follows the order of operations.
        ("{{ 2 + 2 / (10 % 3) * (8 - 1) }}", 16),
        ("{{ 10 / 4 }}", 2),  # two integers divide as Java longs
        ("{{ -7 / 2 }}", -3),
        ("{{ -7 % 3 }}", -1),
        ("{{ 10 / 4.0 }}", 2.5),
        ("{{ 1 / 0.0 }}", math.inf),
        ("{{ 1 + 2.0 }}", 3.0),
        ("{{ 'a' + 1 }}", "a1"),
        ("{{ 1 + 'a' }}", "1a"),
        ("{{ [1] + 2 }}", [1, 2]),
        ("{{ [1, 2, 1] - 1 }}", [2, 1]),
        ("{{ [1, 2, 3] - [1, 3] }}", [2]),
        ("{{ -inputs.count }}", -3),
        ("{{ +2 }}", 2),
        # Kestra docs, expressions (concat).
        ("{{ 'apple' ~ 'pear' ~ 'banana' }}", "applepearbanana"),
        ("{{ 'n=' ~ null ~ 1 ~ true ~ 1.0 }}", "n=1true1.0"),
        ("{{ 'x' ~ {'a': 1, 'b': [1, 'c']} }}", "x{a=1, b=[1, c]}"),
        ("{{ 1 == 1.0 }}", True),
        ("{{ 'a' equals 'a' }}", True),
        ("{{ '1' == 1 }}", False),
        ("{{ null == null }}", True),
        ("{{ [1, 2] == [1, 2.0] }}", True),
        ("{{ {'a': 1} != {'a': 1} }}", False),
        ("{{ 2 > 1.5 }}", True),
        ("{{ 'b' > 'a' }}", True),
        ("{{ null < 1 }}", False),
        ("{{ 3 >= 3 and 2 <= 1 }}", False),
        ("{{ false or 'text' }}", True),
        ("{{ 0 or 0.0 }}", False),
        ("{{ not '' }}", True),
        ("{{ not 'false' }}", False),  # a non-empty string is true in Pebble
        ("{{ true ? 'y' : 'n' }}", "y"),
        ("{{ null ? 'y' : 'n' }}", "n"),
        ("{{ 0 ? 'y' : 'n' }}", "n"),
        # Kestra docs, expressions (contains).
        ("{{ ['apple', 'pear', 'banana'] contains 'apple' }}", True),
        ("{{ {'apple': 'red', 'banana': 'yellow'} contains 'banana' }}", True),
        ("{{ ['apple', 'pear', 'banana', 'peach'] contains ['apple', 'peach'] }}", True),
        ("{{ 'substring' contains 'str' }}", True),
        ("{{ [1, 2] contains 2.0 }}", True),
        ("{{ null contains 1 }}", False),
        ("{{ 1..3 }}", [1, 2, 3]),
        ("{{ 'a'..'c' }}", ["a", "b", "c"]),
    ],
)
def test_operators(template: str, expected: Any) -> None:
    result = ev(template)
    assert result == expected and type(result) is type(expected)


def test_null_coalescing() -> None:
    # Kestra docs, expressions (null-coalescing) and how-to "Handling null and undefined values".
    assert r("{% set baz = 'baz' %}{{ foo ?? bar ?? baz }}") == "baz"
    assert r("{{ null ?? 'x' }}") == "x"
    assert r("{{ inputs.optional ?? 'mydefault' }}") == "mydefault"
    assert r("{{ inputs.undefined_input ?? 'mydefault' }}") == "mydefault"
    assert r("{{ inputs.undefined_input ??? 'mydefault' }}") == "mydefault"
    assert r("{{ inputs.optional ??? 'mydefault' }}") == ""
    assert r("{{ (inputs.optional ??? 'mydefault') ?? 'other_default' }}") == "other_default"
    assert r("{{ trigger.body.dataField ?? 'data' }}") == "data"
    assert r("{{ inputs.optional.deeper ?? 'n' }}") == "n"  # attribute of null is undefined
    assert ev("{{ 0 ?? 1 }}") == 0 and ev("{{ false ?? true }}") is False
    with pytest.raises(UndefinedError, match="raise"):
        r("{{ foo ?? bar ?? raise }}")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ 1 + 'a' * 2 }}", "invalid operands for '\\*'"),
        ("{{ [1] * 2 }}", "invalid operands"),
        ("{{ 1 / 0 }}", "division by zero"),
        ("{{ 1 < 'a' }}", "cannot compare"),
        ("{{ null and true }}", "null value used in 'and'"),
        ("{{ [1] or true }}", "a list cannot be used as a condition"),
        ("{{ not null }}", "null value used in 'not'"),
        ("{{ -'a' }}", "unary '-' needs a number"),
        ("{{ 3 contains 1 }}", "'contains' needs"),
        ("{% if null %}x{% endif %}", "null value used in an if statement"),
        ("{% if {'a': 1} %}x{% endif %}", "a map cannot be used as a condition"),
        ("{{ 'a' ? 1 : 2 }} {{ [1] ? 1 : 2 }}", "a list cannot be used"),
    ],
)
def test_operator_errors(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        r(template)


# ---- tags ----------------------------------------------------------------------------------------


def test_if_elseif_else() -> None:
    # Kestra docs, expressions (If Statement).
    template = (
        '{% if category == "news" %}N{% elseif category == "sports" %}S'
        "{% else %}Select a category{% endif %}"
    )
    assert r(template, {"category": "news"}) == "N"
    assert r(template, {"category": "sports"}) == "S"
    assert r(template, {"category": "other"}) == "Select a category"
    assert r("{% if 3 is odd %}Odd number{% endif %}") == "Odd number"
    assert r("{% if 'false' %}true-ish{% endif %}") == "true-ish"
    assert r("{% if 0 %}x{% else %}zero{% endif %}") == "zero"


def test_for_loop_variables_and_else() -> None:
    # Kestra docs, expressions (For Loop).
    template = (
        "{% for article in articles %}{{ article.title }}"
        '{% else %}"No articles available."{% endfor %}'
    )
    assert r(template, {"articles": [{"title": "a"}, {"title": "b"}]}) == "ab"
    assert r(template, {"articles": []}) == '"No articles available."'
    loop = (
        "{% for x in xs %}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }}"
        "{{ loop.revindex }};{% endfor %}"
    )
    assert r(loop, {"xs": ["a", "b"]}) == "0truefalse21;1falsetrue20;"
    assert r("{% for x in xs %}{{ x }}{% endfor %}", {"xs": None}) == ""


def test_for_over_maps_and_pairs() -> None:
    mapping = {"m": {"a": 1, "b": 2}}
    assert r("{% for e in m %}{{ e.key }}={{ e.value }},{% endfor %}", mapping) == "a=1,b=2,"
    assert r("{% for k, v in m %}{{ k }}{{ v }}{% endfor %}", mapping) == "a1b2"
    assert r("{% for e in m %}{{ e }}|{% endfor %}", mapping) == "a=1|b=2|"  # Map.Entry.toString
    assert r("{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}") == "37"
    with pytest.raises(TemplateError, match="cannot loop over a string"):
        r("{% for c in 'abc' %}{{ c }}{% endfor %}")
    with pytest.raises(TemplateError, match="cannot unpack"):
        r("{% for a, b in [1] %}{% endfor %}")


def test_nested_loops_and_scopes() -> None:
    template = (
        "{% set total = 0 %}{% for row in rows %}{% for c in row %}{{ loop.index }}{{ c }}"
        "{% endfor %}/{% endfor %}{{ total }}"
    )
    assert r(template, {"rows": [["a", "b"], ["c"]]}) == "0a1b/0c/0"
    # A set inside a loop is not visible after it (the loop has its own scope).
    with pytest.raises(UndefinedError, match="inner"):
        r("{% for x in [1] %}{% set inner = x %}{% endfor %}{{ inner }}")
    assert r("{% set x = 'outer' %}{% for x in [1] %}{{ x }}{% endfor %}{{ x }}") == "1outer"


def test_set() -> None:
    assert r("{% set items = [1, 2] %}{{ items | length }}") == "2"
    assert r("{% if true %}{% set seen = 'y' %}{% endif %}{{ seen }}") == "y"


# ---- undefined variables -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ missing }}", "undefined variable 'missing' \\(at offset 3: `missing`\\)"),
        ("{{ outputs.nope.value }}", "undefined variable 'outputs.nope'"),
        ("{{ inputs['nope'] }}", "undefined variable 'inputs\\['nope'\\]'"),
        ("{{ inputs.optional.x }}", "'inputs.optional' is null, so it has no 'x'"),
        ("{{ inputs.name.x }}", "a string has no attribute 'x'"),
        ("{{ outputs.nums.rows[5] }}", "index 5 is out of bounds"),
        ("{{ outputs.nums.rows[-1] }}", "index -1 is out of bounds"),
        ("{{ inputs.name | upper | missing_var }}", "unknown filter 'missing_var'"),
        ("{{ flow.id ~ taskrun.nope }}", "undefined variable 'taskrun.nope'"),
        ("{% for x in nothing %}{% endfor %}", "undefined variable 'nothing'"),
    ],
)
def test_undefined_variables_are_errors(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        r(template)


def test_undefined_error_positions() -> None:
    with pytest.raises(UndefinedError) as caught:
        r("Hello {{ inputs.nope }}!")
    assert (caught.value.start, caught.value.end) == (9, 20)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ missing is defined }}", "false"),
        ("{{ missing is not defined }}", "true"),
        ("{{ outputs.nope.value is defined }}", "false"),
        ("{{ inputs.optional is defined }}", "false"),  # defined means not null, as in Pebble
        ("{{ inputs.name is defined }}", "true"),
        ("{{ missing is null }}", "true"),
        ("{{ missing | default('d') }}", "d"),
        ("{{ outputs.nope.value | default('d') }}", "d"),
        ("{{ missing ?? 'd' }}", "d"),
    ],
)
def test_guards_accept_undefined(template: str, expected: str) -> None:
    assert r(template) == expected


def test_syntax_errors_are_template_errors() -> None:
    with pytest.raises(TemplateError, match="invalid template: unclosed") as caught:
        r("{{ 'abc }}")
    assert caught.value.start is not None


# ---- sandbox -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ 'x'.__class__() }}",
        "{{ inputs.name.__init__ }}",
        "{{ inputs.name['__class__'] }}",
        "{{ outputs.nums.rows.__len__() }}",
        "{{ outputs.nums.rows['__class__'] }}",
        "{{ inputs.count._private }}",
        "{{ inputs.name._x() }}",
    ],
)
def test_python_internals_are_refused(template: str) -> None:
    with pytest.raises(SandboxError, match="is not allowed"):
        r(template)


@pytest.mark.parametrize(
    "template",
    [
        "{{ x.__init__ }}",
        "{{ range.__globals__ }}",
        "{{ self.__dict__ }}",
        "{{ inputs.__class__ }}",  # a map: only its keys are reachable
        "{{ inputs.name.getClass() }}",
        "{{ inputs.name.upper() }}",  # Python's method names are not Java's
        "{{ inputs.name.format('x') }}",
        "{{ outputs.nums.rows.append(1) }}",
        "{{ obj.secret_attribute }}",
        "{{ obj.method() }}",
        "{{ lipsum.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
    ],
)
def test_nothing_but_data_is_reachable(template: str) -> None:
    class Opaque:
        secret_attribute = "leak"

        def method(self) -> str:
            return "leak"

    with pytest.raises(TemplateError) as caught:
        r(template, {**CONTEXT, "obj": Opaque()})
    assert "leak" not in str(caught.value)


def test_opaque_objects_print_but_expose_nothing() -> None:
    class Opaque:
        def __str__(self) -> str:
            return "opaque"

    assert r("{{ obj }}", {"obj": Opaque()}) == "opaque"


def test_whitelisted_java_methods() -> None:
    assert ev("{{ inputs.name.toUpperCase() }}") == "KESTRA"
    assert ev("{{ inputs.name.length() }} {{ inputs.name.length }}") == "6 6"
    assert ev("{{ 'a,b'.split(',') }}") == ["a", "b"]
    assert ev("{{ 'abcdef'.substring(1, 3) }}") == "bc"
    assert ev("{{ 'a-b'.replaceAll('(\\\\w)-(\\\\w)', '$2-$1') }}") == "b-a"
    assert ev("{{ outputs.nums.rows.size() }}") == 2
    assert ev("{{ outputs.nums.rows.size }}") == 2
    assert ev("{{ xs.first }} {{ xs.last }}", {"xs": [3, 4]}) == "3 4"
    assert ev("{{ inputs.containsKey('name') }}") is True
    assert ev("{{ inputs.keySet() }}") == ["name", "optional", "flag", "count"]
    assert ev("{{ inputs.count.doubleValue() }}") == 3.0
    assert ev("{% for e in {'k': 'v'} %}{{ e.getKey() }}{{ e.getValue() }}{% endfor %}") == "kv"
    with pytest.raises(UndefinedError, match="no method 'substring' with 0"):
        ev("{{ 'a'.substring() }}")
    with pytest.raises(TemplateError, match="substring\\(\\): substring bounds"):
        ev("{{ 'a'.substring(5) }}")


# ---- secrets -------------------------------------------------------------------------------------


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_secret_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Kestra docs, expressions (Secrets): secret('MY_SECRET'); OSS reads SECRET_<NAME>, base64.
    monkeypatch.setenv("SECRET_MY_SECRET", _b64("s3cr3t-value"))
    seen: list[str] = []
    services = Services(on_secret=seen.append)
    assert r("{{ secret('MY_SECRET') }}", services=services) == "s3cr3t-value"
    assert seen == ["s3cr3t-value"]
    assert env_secret("MY_SECRET") == "s3cr3t-value"
    assert env_secret("ABSENT") is None


def test_secret_not_found() -> None:
    with pytest.raises(TemplateError, match="secret 'NOPE' not found"):
        r("{{ secret('NOPE') }}", services=Services(secret=lambda name: None))


def test_secret_backend_is_pluggable() -> None:
    services = Services(secret={"API_KEY": "k-123"}.get)
    assert r("Bearer {{ secret('API_KEY') }}", services=services) == "Bearer k-123"


def test_invalid_base64_secret_does_not_show_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_BROKEN", "not base64 !!! hunter2")
    with pytest.raises(TemplateError) as caught:
        r("{{ secret('BROKEN') }}")
    assert "hunter2" not in str(caught.value)
    assert "SECRET_BROKEN is not base64" in str(caught.value)


def test_secret_values_never_appear_in_errors() -> None:
    value = "tok-9f8e7d"
    services = Services(secret=lambda name: value)
    for template in (
        "{{ secret('T') | number }}",
        "{{ secret('T') | date }}",
        "{{ secret('T') | jq('.') }}",
        "{{ (secret('T') ~ '.x') | fromJson }}",
        "{{ secret('T') + missing }}",
        "{{ render(secret('T') ~ '{{ nope }}') }}",
        "{{ {'k': secret('T')}[secret('T')] }}",
    ):
        with pytest.raises(TemplateError) as caught:
            r(template, services=services)
        assert value not in str(caught.value), template


def test_secret_text_rendered_with_render_hides_details() -> None:
    services = Services(secret=lambda name: "{{ hunter2_part }}")
    with pytest.raises(TemplateError) as caught:
        r("{{ render(secret('T')) }}", services=services)
    assert "hunter2" not in str(caught.value)
    assert "details hidden" in str(caught.value)


def test_errors_from_service_hooks_are_reported() -> None:
    def broken(path: str) -> str:
        raise OSError("disk on fire")

    with pytest.raises(TemplateError, match="function 'read' failed: OSError: disk on fire"):
        r("{{ read('x') }}", services=Services(read=broken))


# ---- environment ---------------------------------------------------------------------------------


def test_env_variables() -> None:
    # Kestra docs, expressions (Environment Variables): ENV_FOO is envs.foo.
    environ = {"ENV_FOO": "bar", "ENV_MY_VAR": "1", "ENV_": "x", "PATH": "/bin", "env_low": "n"}
    assert env_variables(environ) == {"foo": "bar", "my_var": "1"}
    assert r("{{ envs.foo }}", {"envs": env_variables(environ)}) == "bar"


# ---- properties ----------------------------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def _literal(value: Any) -> Expression:
    if isinstance(value, list):
        return ListExpr(tuple(_literal(v) for v in value))
    if isinstance(value, dict):
        return MapExpr(tuple((Literal(k), _literal(v)) for k, v in value.items()))
    return Literal(value)


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_literals_round_trip(value: Any) -> None:
    source = "{{ " + to_source(_literal(value)) + " }}"
    assert _same(evaluate(source, {}), value), source
    assert render(source, {}) == to_output(value)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=-(10**6), max_value=10**6).filter(bool),
)
def test_integer_arithmetic_is_java(a: int, b: int) -> None:
    quotient = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
    assert evaluate(f"{{{{ ({a}) / ({b}) }}}}", {}) == quotient
    assert evaluate(f"{{{{ ({a}) % ({b}) }}}}", {}) == a - b * quotient
    assert evaluate(f"{{{{ ({a}) * ({b}) - ({a}) }}}}", {}) == a * b - a


_FILTER_NAMES = sorted(FILTERS)


def _expressions() -> st.SearchStrategy[Expression]:
    leaves = _values.map(_literal) | st.sampled_from(
        [Name("inputs"), Name("missing"), Name("outputs")]
    )
    operators = ["or", "and", "contains", "==", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/"]
    operators += ["%", "~", ".."]

    def extend(inner: st.SearchStrategy[Expression]) -> st.SearchStrategy[Expression]:
        return (
            st.builds(Binary, st.sampled_from(operators), inner, inner)
            | st.builds(Unary, st.sampled_from(["not", "-", "+"]), inner)
            | st.builds(Conditional, inner, inner, inner)
            | st.builds(NullCoalesce, inner, inner, st.booleans())
            | st.builds(
                Filter,
                inner,
                st.sampled_from(_FILTER_NAMES),
                st.lists(inner, max_size=2).map(tuple),
            )
            | st.builds(nodes.Test, inner, st.sampled_from(sorted(TESTS)), st.booleans())
            | st.builds(GetAttr, inner, st.sampled_from(["a", "size", "length", "__class__"]))
            | st.builds(GetItem, inner, inner)
        )

    return st.recursive(leaves, extend, max_leaves=8)


@settings(max_examples=400, deadline=None)
@given(_expressions())
def test_random_expressions_never_crash(expression: Expression) -> None:
    source = "{{ " + to_source(expression) + " }}"
    with contextlib.suppress(TemplateError):
        render(source, CONTEXT)


@pytest.mark.parametrize(
    "template",
    [
        "{{ 'ab'.repeat(100000000) }}",
        "{{ 'a\nb' | indent(100000000) }}",
        "{{ nanoId(100000000) }}",
        "{{ range(0, 100000000) }}",
    ],
)
def test_templates_cannot_exhaust_memory(template: str) -> None:
    with pytest.raises(TemplateError, match=r"longer than|more than"):
        r(template)

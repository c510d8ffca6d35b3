"""Every function and every ``is`` test of the templating shim.

Comments name the Kestra documentation page an expected value comes from.
"""

from __future__ import annotations

import re
import socket
import time
from typing import Any

import pytest

from kflow.expr import catalogue
from kflow.runtime_shims.templating import Services, TemplateError, evaluate, render
from kflow.runtime_shims.templating.functions import FUNCTIONS
from kflow.runtime_shims.templating.is_tests import TESTS

VARIABLES: dict[str, Any] = {
    "user": {"age": 42, "score": 7},
    "highscore": 9,
    "trigger": {"date": "2024-03-01T00:00:00Z"},
    "execution": {"startDate": "2024-03-05T08:30:00.000001Z"},
    "vars": {
        "trigger_or_yesterday": "{{ trigger.date ?? (execution.startDate | dateAdd(-1, 'DAYS')) }}",
        "nested": "{{ vars.inner }}",
        "inner": "{{ 1 + 1 }}",
    },
    "outputs": {"first": {"a": {"value": 1}, "b": {"value": 2}}},
    "taskrun": {"value": "b"},
    "parents": [],
}


def r(template: str, services: Services | None = None) -> str:
    return render(template, VARIABLES, services)


def ev(template: str, services: Services | None = None) -> Any:
    return evaluate(template, VARIABLES, services)


# ---- functions -----------------------------------------------------------------------------------


def test_max_and_min() -> None:
    # Kestra docs, expressions: Functions / max, min.
    assert ev("{{ max(20, 80, user.age) }}") == 80
    assert ev("{{ min(20, 80, user.age) }}") == 20
    assert ev("{{ max(user.score, highscore) }}") == 9
    assert ev("{{ max(1, 2.5) }}") == 2.5
    with pytest.raises(TemplateError, match="compares numbers only"):
        ev("{{ max(1, 'a') }}")
    with pytest.raises(TemplateError, match="takes no named arguments"):
        ev("{{ max(a=1) }}")


def test_range() -> None:
    # Kestra docs, expressions: Functions / range (both ends included).
    assert r("{% for i in range(0, 3) %}{{ i }},{% endfor %}") == "0,1,2,3,"
    assert r("{% for i in range(0, 6, 2) %}{{ i }},{% endfor %}") == "0,2,4,6,"
    assert ev("{{ range(3, 1, -1) }}") == [3, 2, 1]
    assert ev("{{ range('a', 'c') }}") == ["a", "b", "c"]
    assert ev("{{ range(5, 1) }}") == []
    with pytest.raises(TemplateError, match="must not be 0"):
        ev("{{ range(0, 3, 0) }}")
    with pytest.raises(TemplateError, match="cannot produce more than 1000000"):
        ev("{{ range(0, 2000000000) }}")


def test_now() -> None:
    # Kestra docs, expressions: Functions / now (formatting options of the date filter).
    before = time.time()
    text = ev("{{ now() }}")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", text)
    stamp = ev("{{ now() | timestampMilli }}") / 1000
    assert before - 1 <= stamp <= time.time() + 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", ev("{{ now(format='iso_local_date') }}"))
    assert ev("{{ now(timeZone='Europe/Paris') }}").endswith(("+01:00", "+02:00"))
    assert len(ev('{{ now(format="sql_milli") }}')) == 23
    # Kestra docs, how-to "Handling null and undefined values".
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", ev("{{ null ?? now() | date('yyyy-MM-dd') }}"))


def test_uuid_id_ksuid_nano_id() -> None:
    # Kestra docs, expressions: Functions / uuid.
    uuid_text = ev("{{ uuid() }}")
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", uuid_text
    )
    assert ev("{{ uuid() }}") != uuid_text
    assert re.fullmatch(r"[0-9A-Za-z]{1,22}", ev("{{ id() }}"))
    first, second = ev("{{ ksuid() }}"), ev("{{ ksuid() }}")
    assert len(first) == 27 and first != second
    assert re.fullmatch(r"[\w-]{21}", ev("{{ nanoId() }}"))
    assert re.fullmatch(r"[ab]{5}", ev("{{ nanoId(5, 'ab') }}"))


def test_random_int_and_port() -> None:
    # Kestra docs, expressions: Functions / randomInt (upper bound excluded), randomPort.
    values = {ev("{{ randomInt(1, 10) }}") for _ in range(200)}
    assert values <= set(range(1, 10)) and len(values) > 3
    assert ev("{{ randomInt(5, 5) }}") == 5
    with pytest.raises(TemplateError, match="upper is less than lower"):
        ev("{{ randomInt(5, 1) }}")
    port = ev("{{ randomPort() }}")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_from_json_and_aliases() -> None:
    # Kestra docs, expressions: Functions / fromJson.
    assert ev("{{ fromJson('[1, 2, 3]')[0] }}") == 1
    assert ev("{{ fromJson('{\"foo\": [666, 1, 2]}').foo[0] }}") == 666
    assert ev("{{ json('{\"a\": true}').a }}") is True
    assert ev("{{ jsonDecode('null') }}") is None
    with pytest.raises(TemplateError, match="invalid JSON"):
        ev("{{ fromJson('{') }}")


def test_yaml_function() -> None:
    # Kestra docs, expressions: Functions / yaml.
    assert ev("{{ yaml('foo: [666, 1, 2]').foo[0] }}") == 666
    with pytest.raises(TemplateError, match="invalid YAML"):
        ev("{{ yaml('a: [') }}")


def test_render_and_render_once() -> None:
    # Kestra docs, expressions: Render Function and Null-Coalescing.
    assert r("{{ render(vars.trigger_or_yesterday) }}") == "2024-03-01T00:00:00Z"
    assert r("{{ vars.trigger_or_yesterday }}").startswith("{{ trigger.date")
    # Kestra docs, expressions: Functions / render is recursive by default.
    assert r("{{ render(vars.nested) }}") == "2"
    assert r("{{ render(vars.nested, recursive=false) }}") == "{{ 1 + 1 }}"
    assert r("{{ renderOnce(vars.nested) }}") == "{{ 1 + 1 }}"
    assert ev("{{ render(['{{ 1 }}', {'k': '{{ 2 }}'}, 3]) }}") == ["1", {"k": "2"}, 3]
    # `??` binds tighter than `|`: the date filter formats whichever side was chosen.
    assert (
        r("{{ render(\"{{ trigger.date ?? execution.startDate | date('yyyy-MM-dd') }}\") }}")
        == "2024-03-01"
    )
    with pytest.raises(TemplateError, match="in render\\(\\): undefined variable 'nope'"):
        r("{{ render('{{ nope }}') }}")
    with pytest.raises(TemplateError, match="in render\\(\\): undefined variable 'nope'"):
        r("{{ render('{{ nope }}') ?? 'fallback' }}")
    with pytest.raises(TemplateError, match="must be a boolean"):
        r("{{ render('x', recursive='no') }}")


def test_render_does_not_loop_forever() -> None:
    loop = {"vars": {"a": "{{ render(vars.a) }}"}}
    with pytest.raises(TemplateError, match="nested too deeply"):
        render("{{ render(vars.a) }}", loop)


def test_render_sees_root_variables_only() -> None:
    # Kestra renders with the context's global variables, not {% set %} ones.
    with pytest.raises(TemplateError, match="undefined variable 'x'"):
        r("{% set x = 1 %}{{ render('{{ x }}') }}")


def test_secret_function() -> None:
    # Kestra docs, expressions: Secrets.
    services = Services(secret={"GITHUB_ACCESS_TOKEN": "ghp_x"}.get)
    assert r("{{ secret('GITHUB_ACCESS_TOKEN') }}", services) == "ghp_x"
    with pytest.raises(TemplateError, match="secret\\(\\) needs the name"):
        r("{{ secret() }}", services)


def test_kv_function() -> None:
    store = {("k", None): {"n": 1}, ("k", "other.ns"): "elsewhere"}
    services = Services(kv=lambda key, namespace: store.get((key, namespace)))
    assert ev("{{ kv('k').n }}", services) == 1
    assert ev("{{ kv('k', 'other.ns') }}", services) == "elsewhere"
    assert ev("{{ kv('missing', errorOnMissing=false) }}", services) is None
    with pytest.raises(TemplateError, match="no value for key 'missing'"):
        ev("{{ kv('missing') }}", services)
    with pytest.raises(TemplateError, match="KV store is not available"):
        ev("{{ kv('k') }}")


def test_read_file_functions() -> None:
    # Kestra docs, expressions: Functions / read, fileExists, isFileEmpty, fileURI.
    files = {"kestra:///a.txt": "hello", "empty.txt": ""}

    def read(path: str) -> str:
        if path not in files:
            raise FileNotFoundError(path)
        return files[path]

    services = Services(read=read, file_uri=lambda path: "kestra:///ns/_files/" + path)
    assert r("{{ read('kestra:///a.txt') }}", services) == "hello"
    assert ev("{{ fileExists('kestra:///a.txt') }}", services) is True
    assert ev("{{ fileExists('nope') }}", services) is False
    assert ev("{{ isFileEmpty('empty.txt') }}", services) is True
    assert ev("{{ isFileEmpty('kestra:///a.txt') }}", services) is False
    assert r("{{ fileURI('data.csv') }}", services) == "kestra:///ns/_files/data.csv"
    with pytest.raises(TemplateError, match="FileNotFoundError"):
        r("{{ read('nope') }}", services)
    with pytest.raises(TemplateError, match="no storage is configured"):
        r("{{ read('x') }}")
    with pytest.raises(TemplateError, match="no storage is configured"):
        r("{{ fileURI('x') }}")


def test_print_context() -> None:
    # Kestra docs, expressions: Functions / printContext.
    assert ev("{{ printContext() }}")["user"] == {"age": 42, "score": 7}
    assert ev("{{ fetchContext().highscore }}") == 9


def test_current_each_output() -> None:
    # Kestra docs, expressions: Functions / currentEachOutput.
    assert ev("{{ currentEachOutput(outputs.first).value }}") == 2
    nested = {
        "outputs": {"t": {"x": {"1": {"v": "x1"}}}},
        "parents": [{"taskrun": {"value": "x"}}],
        "taskrun": {"value": 1},
    }
    assert evaluate("{{ currentEachOutput(outputs.t).v }}", nested) == "x1"


def test_every_implemented_function_is_tested() -> None:
    tested = {
        "max", "min", "range", "now", "uuid", "id", "ksuid", "nanoId", "randomInt", "randomPort",
        "fromJson", "json", "jsonDecode", "yaml", "render", "renderOnce", "secret", "kv", "read",
        "fileExists", "isFileEmpty", "fileURI", "printContext", "fetchContext",
        "currentEachOutput",
    }  # fmt: skip
    assert set(FUNCTIONS) == tested


@pytest.mark.parametrize(
    "name",
    sorted(catalogue.FUNCTIONS - set(FUNCTIONS)),
)
def test_unsupported_functions_say_so(name: str) -> None:
    with pytest.raises(TemplateError, match=f"function '{name}' is not supported by kflow yet"):
        r("{{ " + name + "() }}")


def test_unsupported_functions_are_the_known_ones() -> None:
    assert catalogue.FUNCTIONS - set(FUNCTIONS) == {
        "block", "cycle", "parent", "i18n",  # template inheritance and i18n: not in Kestra
        "decrypt", "encrypt",  # need Kestra's encryption key
        "errorLogs", "tasksWithState",  # need the runner's execution state
        "fileSize", "fromIon", "http",
    }  # fmt: skip


def test_unknown_function() -> None:
    with pytest.raises(TemplateError, match="unknown function 'nope'"):
        r("{{ nope() }}")


# ---- tests ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # Kestra docs, expressions: Tests / is, and the If Statement example.
        ("{{ 3 is odd }}", True),
        ("{{ 2 is even }}", True),
        ("{{ 3 is not even }}", True),
        ("{{ (3 is not even) and (2 is odd or 3 is even) }}", False),
        ("{{ 2 is even and 3 is odd }}", True),
        ("{{ user.name is not null }}", False),
        ("{{ user.age is not null }}", True),
        ("{{ null is null }}", True),
        ("{{ user is defined }}", True),
        ("{{ nothing is defined }}", False),
        ("{{ '' is empty }}", True),
        ("{{ ' ' is empty }}", True),
        ("{{ [] is empty }}", True),
        ("{{ {} is empty }}", True),
        ("{{ null is empty }}", True),
        ("{{ 0 is empty }}", False),
        ("{{ 'x' is not empty }}", True),
        ("{{ [1] is iterable }}", True),
        ("{{ {'a': 1} is iterable }}", False),
        ("{{ 'abc' is iterable }}", False),
        ("{{ {'a': 1} is map }}", True),
        ("{{ [1] is map }}", False),
        ("{{ '{\"a\": 1}' is json }}", True),
        ("{{ 'not json' is json }}", False),
        ("{{ 12 is json }}", False),
        ("{{ 4.0 is even }}", True),
    ],
)
def test_is_tests(template: str, expected: bool) -> None:
    assert ev(template) is expected


def test_every_test_is_tested() -> None:
    assert set(TESTS) == set(catalogue.TESTS)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ null is even }}", "cannot pass null to the 'even' test"),
        ("{{ 'a' is odd }}", "the 'odd' test needs a number"),
        ("{{ nothing is empty }}", "undefined variable 'nothing'"),
        ("{{ 1 is even(2) }}", "takes no arguments"),
        ("{{ 1 is prime }}", "unknown test 'prime'"),
    ],
)
def test_is_test_errors(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        ev(template)

"""Flow inputs: each Kestra input type accepts, coerces and refuses values as documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kflow.compiler import ir
from kflow.runtime_shims.inputs import (
    InputError,
    ResolvedInputs,
    execution_file_store,
    resolve_inputs,
)
from kflow.runtime_shims.storage import LocalStorage

try:
    from kflow.runtime_shims.templating import render_value
except ImportError:  # the templating shim is written alongside; plain defaults need none
    render_value = None

needs_templating = pytest.mark.skipif(render_value is None, reason="templating shim not there")

VARIABLES = {"flow": {"id": "f", "namespace": "dev"}, "execution": {"id": "e1"}}


def render(value: Any) -> Any:
    if render_value is not None:
        return render_value(value, VARIABLES)
    return value


def spec(input_id: str, kind: str, required: bool = True, default: Any = None, **extra: Any):
    return ir.Input(
        id=input_id,
        type=kind,
        required=required,
        default=ir.freeze(default),
        extra=ir.freeze(extra),
    )


def resolve(kind: str, value: Any, **extra: Any) -> Any:
    """The coerced value of one input of type `kind` given `value`."""
    return resolve_inputs((spec("x", kind, **extra),), {"x": value}, render).values["x"]


def problem(kind: str, value: Any, **extra: Any) -> str:
    with pytest.raises(InputError) as caught:
        resolve(kind, value, **extra)
    assert caught.value.input_id == "x"
    return str(caught.value)


# -- required, defaults, unknown inputs ------------------------------------------------------------


def test_required_input_without_value() -> None:
    with pytest.raises(InputError, match=r"^input 'name' is required$"):
        resolve_inputs((spec("name", "STRING"),), {}, render)


def test_optional_input_without_value_is_null() -> None:
    result = resolve_inputs((spec("name", "STRING", required=False),), {}, render)
    assert result.values == {"name": None}


def test_defaults_are_coerced() -> None:
    inputs = (
        spec("n", "INT", default="5"),
        spec("when", "DATETIME", default="2024-01-01T10:00:00+01:00"),
        spec("tags", "ARRAY", default=["a", "b"], itemType="STRING"),
        spec("cfg", "JSON", default={"a": 1}),
    )
    assert resolve_inputs(inputs, {}, render).values == {
        "n": 5,
        "when": "2024-01-01T09:00:00Z",
        "tags": ["a", "b"],
        "cfg": {"a": 1},
    }


def test_given_value_wins_over_default() -> None:
    result = resolve_inputs((spec("n", "INT", default=1),), {"n": "2"}, render)
    assert result.values == {"n": 2}


def test_a_default_that_does_not_fit_names_the_input() -> None:
    with pytest.raises(InputError, match=r"^input 'n' must be an integer, not 'many'$"):
        resolve_inputs((spec("n", "INT", default="many"),), {}, render)


def test_a_default_that_does_not_render_names_the_input() -> None:
    def broken(value: Any) -> Any:
        raise ValueError("undefined variable 'nope'")

    with pytest.raises(InputError) as caught:
        resolve_inputs((spec("n", "STRING", default="{{ nope }}"),), {}, broken)
    assert str(caught.value) == (
        "input 'n' has a default that cannot be rendered: undefined variable 'nope'"
    )


@needs_templating
def test_defaults_are_rendered() -> None:
    result = resolve_inputs((spec("file", "STRING", default="{{ flow.id }}.csv"),), {}, render)
    assert result.values == {"file": "f.csv"}


def test_unknown_given_inputs_are_ignored_with_a_warning() -> None:
    result = resolve_inputs((spec("a", "STRING"),), {"a": "1", "b": "2"}, render)
    assert result.values == {"a": "1"}
    assert result.warnings == ("input 'b' is not declared by the flow; it is ignored",)


def test_dotted_ids_nest() -> None:
    inputs = (spec("db.host", "STRING"), spec("db.port", "INT"), spec("name", "STRING"))
    given = {"db.host": "localhost", "db.port": "5432", "name": "x"}
    assert resolve_inputs(inputs, given, render).values == {
        "db": {"host": "localhost", "port": 5432},
        "name": "x",
    }


def test_clashing_dotted_ids() -> None:
    inputs = (spec("db", "STRING"), spec("db.host", "STRING"))
    with pytest.raises(InputError, match="clashes with input 'db'"):
        resolve_inputs(inputs, {"db": "a", "db.host": "b"}, render)


def test_unknown_type() -> None:
    assert problem("COLOR", "red") == "input 'x' has an unknown type 'COLOR'"


def test_lower_case_type_names() -> None:
    assert resolve("int", "3") == 3


# -- text types ------------------------------------------------------------------------------------


def test_string() -> None:
    assert resolve("STRING", "data.csv") == "data.csv"
    assert resolve("STRING", 42) == "42"
    assert resolve("STRING", True) == "true"
    assert resolve("STRING", {"a": [1]}) == '{"a":[1]}'


def test_string_validator_matches_the_whole_value() -> None:
    assert resolve("STRING", "abc", validator="[a-z]+") == "abc"
    assert problem("STRING", "abc1", validator="[a-z]+") == (
        "input 'x' must match the pattern `[a-z]+`, not 'abc1'"
    )


def test_string_length() -> None:
    assert resolve("STRING", "abc", minLength=1, maxLength=3) == "abc"
    assert problem("STRING", "", minLength=1) == "input 'x' must have at least 1 characters, not 0"
    assert problem("STRING", "abcd", maxLength=3) == (
        "input 'x' must have at most 3 characters, not 4"
    )


def test_secret_is_kept_and_reported_for_masking() -> None:
    result = resolve_inputs((spec("token", "SECRET"),), {"token": "s3cr3t"}, render)
    assert isinstance(result, ResolvedInputs)
    assert result.values == {"token": "s3cr3t"}
    assert result.secrets == frozenset({"s3cr3t"})


def test_secret_errors_do_not_show_the_value() -> None:
    message = problem("SECRET", "s3cr3t", validator="[0-9]+")
    assert message == "input 'x' must match the pattern `[0-9]+`, not the value given"
    assert "s3cr3t" not in message


def test_enum_and_select() -> None:
    for kind in ("ENUM", "SELECT"):
        assert resolve(kind, "FAIL", values=["SUCCEED", "FAIL"]) == "FAIL"
        assert problem(kind, "fail", values=["SUCCEED", "FAIL"]) == (
            "input 'x' must be one of ['SUCCEED', 'FAIL'], not 'fail'"
        )
    assert resolve("SELECT", "other", values=["a"], allowCustomValue=True) == "other"
    assert resolve("SELECT", 1, values=[1, 2]) == "1"


@needs_templating
def test_select_values_from_an_expression() -> None:
    assert resolve("SELECT", "b", expression='{{ ["a", "b"] }}') == "b"


def test_uri() -> None:
    assert resolve("URI", "https://kestra.io/docs") == "https://kestra.io/docs"
    assert resolve("URI", "kestra:///dev/file.csv") == "kestra:///dev/file.csv"
    assert problem("URI", "not a uri") == "input 'x' must be a URI (scheme://…), not 'not a uri'"


def test_email() -> None:
    assert resolve("EMAIL", "me@example.com") == "me@example.com"
    assert problem("EMAIL", "me.example.com") == (
        "input 'x' must be an email address, not 'me.example.com'"
    )


# -- numbers and booleans --------------------------------------------------------------------------


def test_int() -> None:
    assert resolve("INT", "42") == 42
    assert resolve("INT", " -7 ") == -7
    assert resolve("INT", 3.0) == 3
    assert problem("INT", "4.2") == "input 'x' must be an integer, not '4.2'"
    assert problem("INT", True) == "input 'x' must be an integer, not True"


def test_int_bounds_are_inclusive() -> None:
    assert resolve("INT", "10", min=1, max=10) == 10
    assert problem("INT", "0", min=1) == "input 'x' must be at least 1, not 0"
    assert problem("INT", "11", max=10) == "input 'x' must be at most 10, not 11"


def test_float() -> None:
    assert resolve("FLOAT", "2.5") == 2.5
    assert resolve("FLOAT", "1e3") == 1000.0
    assert resolve("FLOAT", 2) == 2.0
    assert problem("FLOAT", "abc") == "input 'x' must be a number, not 'abc'"
    assert problem("FLOAT", "nan") == "input 'x' must be a number, not 'nan'"
    assert problem("FLOAT", "0.5", min=1) == "input 'x' must be at least 1, not 0.5"


@pytest.mark.parametrize("kind", ["BOOLEAN", "BOOL"])
def test_boolean(kind: str) -> None:
    assert resolve(kind, "true") is True
    assert resolve(kind, "FALSE") is False
    assert resolve(kind, True) is True
    assert problem(kind, "yes") == "input 'x' must be true or false, not 'yes'"


# -- dates, times, durations -----------------------------------------------------------------------


def test_datetime_is_normalised_to_utc() -> None:
    assert resolve("DATETIME", "2024-01-01T00:00:00Z") == "2024-01-01T00:00:00Z"
    assert resolve("DATETIME", "2024-01-01T02:30:00+02:00") == "2024-01-01T00:30:00Z"
    assert resolve("DATETIME", "2024-01-01T00:00:00.120Z") == "2024-01-01T00:00:00.120Z"
    assert resolve("DATETIME", "2024-01-01T00:00:00.000001Z") == "2024-01-01T00:00:00.000001Z"
    assert resolve("DATETIME", "2024-01-01T10:00:00") == "2024-01-01T10:00:00Z"


def test_datetime_refusals_and_bounds() -> None:
    assert problem("DATETIME", "2024-01-01") == (
        "input 'x' must be an ISO-8601 date-time, not '2024-01-01'"
    )
    assert problem("DATETIME", "yesterday") == (
        "input 'x' must be an ISO-8601 date-time, not 'yesterday'"
    )
    bounds = {"after": "2024-01-01T00:00:00Z", "before": "2024-12-31T00:00:00Z"}
    assert resolve("DATETIME", "2024-06-01T00:00:00Z", **bounds) == "2024-06-01T00:00:00Z"
    assert problem("DATETIME", "2023-06-01T00:00:00Z", **bounds) == (
        "input 'x' must be after 2024-01-01T00:00:00Z, not '2023-06-01T00:00:00Z'"
    )
    assert problem("DATETIME", "2025-06-01T00:00:00Z", **bounds) == (
        "input 'x' must be before 2024-12-31T00:00:00Z, not '2025-06-01T00:00:00Z'"
    )


def test_date() -> None:
    assert resolve("DATE", "2024-03-01") == "2024-03-01"
    assert problem("DATE", "01/03/2024") == (
        "input 'x' must be an ISO-8601 date (YYYY-MM-DD), not '01/03/2024'"
    )
    assert problem("DATE", "2023-12-31", after="2024-01-01") == (
        "input 'x' must be after 2024-01-01, not '2023-12-31'"
    )


def test_time() -> None:
    assert resolve("TIME", "10:15") == "10:15:00"
    assert resolve("TIME", "10:15:30.500") == "10:15:30.5"
    assert problem("TIME", "10:15+02:00") == (
        "input 'x' must be a time of day (HH:MM:SS), not '10:15+02:00'"
    )
    assert problem("TIME", "23:00:00", before="22:00:00") == (
        "input 'x' must be before 22:00:00, not '23:00:00'"
    )


def test_duration() -> None:
    assert resolve("DURATION", "PT90M") == "PT1H30M"
    assert resolve("DURATION", "P1D") == "PT24H"
    assert resolve("DURATION", "PT0.5S") == "PT0.5S"
    assert problem("DURATION", "5 minutes") == (
        "input 'x' must be an ISO-8601 duration (PT30S, PT5M, P1D), not '5 minutes'"
    )
    assert problem("DURATION", "PT2H", max="PT1H") == "input 'x' must be at most PT1H, not PT2H"


# -- structured types ------------------------------------------------------------------------------


def test_json() -> None:
    assert resolve("JSON", '{"a": [1, 2]}') == {"a": [1, 2]}
    assert resolve("JSON", {"already": "parsed"}) == {"already": "parsed"}
    assert problem("JSON", "{nope") == (
        "input 'x' must be JSON, but Expecting property name enclosed in double quotes "
        "at line 1 column 2"
    )


def test_json_must_stay_json() -> None:
    with pytest.raises(InputError, match=r"^input 'x' holds a value that is not JSON data$"):
        resolve("JSON", {1, 2})


def test_yaml() -> None:
    assert resolve("YAML", "a: 1\nb: [x, y]\nwhen: 2024-01-01") == {
        "a": 1,
        "b": ["x", "y"],
        "when": "2024-01-01",
    }
    assert problem("YAML", "a: [1").startswith("input 'x' must be YAML, but ")


def test_array() -> None:
    assert resolve("ARRAY", '["1", "2"]', itemType="INT") == [1, 2]
    assert resolve("ARRAY", ["a"], itemType="STRING") == ["a"]
    assert problem("ARRAY", '["1", "b"]', itemType="INT") == (
        "input 'x' item 1: must be an integer, not 'b'"
    )
    assert problem("ARRAY", "a,b", itemType="STRING") == (
        "input 'x' must be a list or a JSON array, not 'a,b'"
    )
    assert problem("ARRAY", "[]") == "input 'x' is an ARRAY without an 'itemType'"
    assert problem("ARRAY", "[1, 2, 3]", itemType="INT", maxItems=2) == (
        "input 'x' must hold at most 2 items, not 3"
    )


def test_multiselect() -> None:
    values = ["a", "b", "c"]
    assert resolve("MULTISELECT", '["a", "c"]', values=values) == ["a", "c"]
    assert resolve("MULTISELECT", ["z"], values=values, allowCustomValue=True) == ["z"]
    assert problem("MULTISELECT", ["a", "z"], values=values) == (
        "input 'x' must hold only ['a', 'b', 'c'], not 'z'"
    )
    assert problem("MULTISELECT", ["a"], values=values, minItems=2) == (
        "input 'x' must hold at least 2 items, not 1"
    )


# -- files -----------------------------------------------------------------------------------------


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


def test_file_from_a_local_path_is_uploaded(tmp_path: Path, storage: LocalStorage) -> None:
    local = tmp_path / "data.csv"
    local.write_text("a,b\n")
    store = execution_file_store(storage, "dev.team", "flow", "e1")
    for given in (str(local), f"@{local}"):
        result = resolve_inputs(
            (spec("f", "FILE"),), {"f": given}, render, storage, store_file=store
        )
        uri = result.values["f"]
        assert uri == "kestra:///dev/team/flow/executions/e1/inputs/f/data.csv"
        assert storage.path(uri).read_text() == "a,b\n"


def test_file_uris_are_checked(storage: LocalStorage) -> None:
    uri = storage.put("dev/x.txt", b"x")
    inputs = (spec("f", "FILE"),)
    assert resolve_inputs(inputs, {"f": uri}, render, storage).values == {"f": uri}
    with pytest.raises(InputError, match="names no file of internal storage: kestra:///nope"):
        resolve_inputs(inputs, {"f": "kestra:///nope"}, render, storage)


def test_file_refusals(tmp_path: Path, storage: LocalStorage) -> None:
    local = tmp_path / "data.csv"
    local.write_text("x")
    assert problem("FILE", str(tmp_path / "missing.csv")) == (
        f"input 'x' names no file: {tmp_path / 'missing.csv'}"
    )
    assert problem("FILE", str(local)) == (
        "input 'x' is a local file, but there is no internal storage to upload it to"
    )
    assert problem("FILE", str(local), allowedFileExtensions=[".json", "txt"]) == (
        "input 'x' must be a file ending in .json, .txt, not 'data.csv'"
    )

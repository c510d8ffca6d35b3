"""`kflow render`: debug one expression from the command line, and `kflow.render`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kflow
from kflow.cli import main


def test_render_with_variables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    variables = tmp_path / "vars.json"
    variables.write_text(
        json.dumps({"inputs": {"name": "ada"}, "outputs": {"set-vars": {"value": 3}}})
    )
    template = "{{ inputs.name | upper }}-{{ outputs.set-vars.value + 1 }}"
    assert main(["render", template, "--vars", str(variables)]) == 0
    assert capsys.readouterr().out == "ADA-4\n"


def test_render_reports_an_undefined_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    variables = tmp_path / "vars.json"
    variables.write_text('{"inputs": {"name": "ada"}}')
    assert main(["render", "{{ inputs.missing }}", "--vars", str(variables)]) == 1
    assert "missing" in capsys.readouterr().err


def test_render_refuses_python_internals(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "{{ ''.__class__ }}"]) == 1
    assert "__class__" not in capsys.readouterr().out


def test_render_with_unreadable_variables_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["render", "x", "--vars", str(tmp_path / "none.json")]) == 2


def test_public_render_api() -> None:
    assert kflow.render("{{ [1, 2] | length }} {{ {'a': 1} }}", {}) == '2 {"a":1}'

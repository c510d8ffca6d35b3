"""The `kflow` command: real subprocess runs, exit codes, output formats, start-up weight.

Also keeps `docs/diagnostics.md` in step with `CODES`: the list of codes there is generated from
`kflow/compiler/diagnostics.py` and the example flows in `tests/diagnostics/` (`pytest
--update-golden` rewrites it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kflow import cli
from kflow.compiler.diagnostics import CODES

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "diagnostics"
DOC = ROOT / "docs" / "diagnostics.md"

GOOD = """\
id: hello
namespace: company.team
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: Hello
"""
BAD_YAML = """\
id: broken
namespace: company.team
  tasks: []
"""
DUPLICATE_KEY = """\
id: twice
id: again
namespace: company.team
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: Hello
"""
JSON_KEYS = {"path", "line", "column", "end_line", "end_column", "severity", "code", "message"}


def kflow(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m kflow ARGS` in `cwd` (a fresh interpreter, as a user would)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("KFLOW_DEBUG", "NO_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "kflow", *args],
        cwd=cwd,
        env={**environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# -- validate ----------------------------------------------------------------------------------


def test_valid_flow_exits_0(tmp_path: Path) -> None:
    write(tmp_path / "hello.yml", GOOD)
    run = kflow("validate", "hello.yml", cwd=tmp_path)
    assert (run.returncode, run.stdout, run.stderr) == (0, "All 1 flow valid\n", "")


def test_bad_yaml_exits_1_with_location_source_line_and_caret(tmp_path: Path) -> None:
    write(tmp_path / "bad.yml", BAD_YAML)
    run = kflow("validate", "bad.yml", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("bad.yml:3:8: error[KF101]: invalid YAML")
    assert lines[1] == "3 |   tasks: []"
    assert lines[2] == "  |        ^"
    assert lines[-1] == "Found 1 error in 1 file (1 file checked)"
    assert "Traceback" not in run.stderr


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    flow = write(tmp_path / "old.yml", (CASES / "KF213-deprecated-form.yml").read_text())
    run = kflow("validate", str(flow), cwd=tmp_path)
    assert run.returncode == 0, run.stdout
    assert "warning[KF213]" in run.stdout
    assert run.stdout.splitlines()[-1].startswith("All 1 flow valid (")


def test_json_format_is_a_pure_array_with_every_field(tmp_path: Path) -> None:
    write(tmp_path / "bad.yml", BAD_YAML)
    write(tmp_path / "twice.yml", DUPLICATE_KEY)
    run = kflow("validate", "--format", "json", "bad.yml", "twice.yml", cwd=tmp_path)
    assert run.returncode == 1
    items = json.loads(run.stdout)
    assert isinstance(items, list)
    assert len(items) >= 2
    for item in items:
        assert set(item) >= JSON_KEYS
        assert item["severity"] in ("error", "warning", "info")
        assert item["code"] in CODES
        assert all(isinstance(item[k], int) for k in ("line", "column", "end_line", "end_column"))
    first = items[0]
    assert (first["path"], first["line"], first["column"], first["code"]) == (
        "bad.yml",
        3,
        8,
        "KF101",
    )
    assert ("twice.yml", 2, "KF102") in {(i["path"], i["line"], i["code"]) for i in items}


def test_json_format_with_no_findings_is_an_empty_array(tmp_path: Path) -> None:
    write(tmp_path / "hello.yml", GOOD)
    run = kflow("validate", "--format=json", "hello.yml", cwd=tmp_path)
    assert (run.returncode, json.loads(run.stdout)) == (0, [])


def test_github_format_prints_workflow_commands_only(tmp_path: Path) -> None:
    write(tmp_path / "bad.yml", BAD_YAML)
    run = kflow("validate", "--format", "github", "bad.yml", cwd=tmp_path)
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert lines
    assert all(line.startswith("::error file=") for line in lines)
    assert lines[0].startswith("::error file=bad.yml,line=3,col=8,")


def test_nonexistent_path_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path / "hello.yml", GOOD)
    run = kflow("validate", "hello.yml", "missing.yml", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == "kflow validate: error: no such file or directory: missing.yml\n"


@pytest.mark.parametrize(
    "args",
    [
        ("validate",),
        ("validate", "--format", "xml", "f.yml"),
        ("compile", "f.yml", "--out", "build"),
        ("frobnicate",),
        (),
    ],
    ids=["no-path", "bad-format", "no-target", "unknown-command", "no-command"],
)
def test_argument_errors_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    run = kflow(*args, cwd=tmp_path)
    assert run.returncode == 2
    assert "usage: kflow" in run.stderr
    assert "Traceback" not in run.stderr


def test_directory_without_flows_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path / "empty" / "notes.txt", "not a flow")
    run = kflow("validate", "empty", cwd=tmp_path)
    assert run.returncode == 2
    assert "no flow files" in run.stderr


def test_directories_are_searched_recursively_in_sorted_order(tmp_path: Path) -> None:
    write(tmp_path / "flows" / "b" / "deep" / "bad.yaml", BAD_YAML)
    write(tmp_path / "flows" / "a" / "good.yml", GOOD)
    write(tmp_path / "flows" / "a" / "twice.yml", DUPLICATE_KEY)
    write(tmp_path / "flows" / "README.md", "# not a flow")
    write(tmp_path / "flows" / "data.json", "{not a flow")
    run = kflow("validate", "--format", "json", "flows", cwd=tmp_path)
    assert run.returncode == 1
    paths = [Path(item["path"]).as_posix() for item in json.loads(run.stdout)]
    assert paths == sorted(paths)
    assert set(paths) == {"flows/a/twice.yml", "flows/b/deep/bad.yaml"}
    text = kflow("validate", "flows", cwd=tmp_path)
    assert text.stdout.splitlines()[-1] == "Found 2 errors in 2 files (3 files checked)"


def test_every_bad_file_is_reported_in_one_run(tmp_path: Path) -> None:
    write(tmp_path / "1-syntax.yml", BAD_YAML)
    write(tmp_path / "2-twice.yml", DUPLICATE_KEY)
    write(tmp_path / "3-empty.yml", "")
    write(tmp_path / "4-binary.yml", b"\x00\x01\x02\xff" * 64)
    write(tmp_path / "5-list.yml", "- just\n- a list\n")
    write(tmp_path / "6-good.yml", GOOD)
    run = kflow("validate", ".", cwd=tmp_path)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    for name, code in [
        ("1-syntax.yml", "KF101"),
        ("2-twice.yml", "KF102"),
        ("3-empty.yml", "KF103"),
        ("4-binary.yml", "KF107"),
        ("5-list.yml", "KF105"),
    ]:
        assert f"{name}:" in run.stdout and f"error[{code}]" in run.stdout, (name, run.stdout)
    assert "6-good.yml" not in run.stdout
    assert run.stdout.splitlines()[-1].endswith("in 5 files (6 files checked)")


def test_quiet_drops_the_summary(tmp_path: Path) -> None:
    write(tmp_path / "hello.yml", GOOD)
    run = kflow("validate", "-q", "hello.yml", cwd=tmp_path)
    assert (run.returncode, run.stdout) == (0, "")


def test_colour_only_when_asked_or_on_a_terminal(tmp_path: Path) -> None:
    write(tmp_path / "bad.yml", BAD_YAML)
    assert "\x1b[" not in kflow("validate", "bad.yml", cwd=tmp_path).stdout  # a pipe: no colour
    coloured = kflow("validate", "--color", "always", "bad.yml", cwd=tmp_path).stdout
    assert "\x1b[1;31merror[KF101]\x1b[0m" in coloured
    plain = kflow("validate", "--color=never", "bad.yml", cwd=tmp_path).stdout
    assert "\x1b[" not in plain


def test_unexpected_exception_is_one_line_and_exit_70(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kflow.compiler import api

    def explode(paths: list[str]) -> None:
        raise RuntimeError("boom")

    write(tmp_path / "hello.yml", GOOD)
    monkeypatch.setattr(api, "validate_paths", explode)
    monkeypatch.delenv("KFLOW_DEBUG", raising=False)
    assert cli.main(["validate", str(tmp_path / "hello.yml")]) == 70
    err = capsys.readouterr().err
    assert err.startswith("kflow validate: internal error: RuntimeError: boom\n")
    assert "KFLOW_DEBUG=1" in err
    assert "Traceback" not in err
    monkeypatch.setenv("KFLOW_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["validate", str(tmp_path / "hello.yml")])


# -- compile -----------------------------------------------------------------------------------


def test_compile_ir_writes_then_check_detects_drift(tmp_path: Path) -> None:
    write(tmp_path / "flows" / "hello.yml", GOOD)
    run = kflow("compile", "flows", "--target", "ir", "--out", "build", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    written = tmp_path / "build" / "company" / "team" / "hello.ir.json"
    assert json.loads(written.read_text())["id"] == "hello"
    check = kflow("compile", "flows", "-t", "ir", "-o", "build", "--check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout
    written.write_text("{}\n")
    drift = kflow("compile", "flows", "-t", "ir", "-o", "build", "--check", cwd=tmp_path)
    assert drift.returncode == 1
    assert f"would change: {Path('build/company/team/hello.ir.json')}" in drift.stdout
    assert written.read_text() == "{}\n"  # --check writes nothing


def test_compile_reports_errors_and_exits_1(tmp_path: Path) -> None:
    write(tmp_path / "bad.yml", BAD_YAML)
    run = kflow("compile", "bad.yml", "--target", "ir", "--out", "build", cwd=tmp_path)
    assert run.returncode == 1
    assert "bad.yml:3:8: error[KF101]" in run.stdout
    assert not (tmp_path / "build").exists()


def test_compile_json_keeps_stdout_pure(tmp_path: Path) -> None:
    write(tmp_path / "hello.yml", GOOD)
    run = kflow("compile", "hello.yml", "-t", "ir", "-o", "out", "--format", "json", cwd=tmp_path)
    assert run.returncode == 0
    assert json.loads(run.stdout) == []


def test_unavailable_target_is_a_clear_usage_error(tmp_path: Path) -> None:
    from kflow.compiler import api

    available = set()
    for target in cli.TARGETS:
        try:
            api.emitter(target)
            available.add(target)
        except LookupError:
            pass
    missing = sorted(set(cli.TARGETS) - available)
    if not missing:
        pytest.skip("every target is available")
    write(tmp_path / "hello.yml", GOOD)
    run = kflow("compile", "hello.yml", "--target", missing[0], "--out", "out", cwd=tmp_path)
    assert run.returncode == 2
    assert "not available" in run.stderr
    assert "Traceback" not in run.stderr


# -- version, entry points, start-up weight -------------------------------------------------------


def test_version(tmp_path: Path) -> None:
    for args in (("--version",), ("version",)):
        run = kflow(*args, cwd=tmp_path)
        assert run.returncode == 0
        assert run.stdout.startswith("kflow ")


def test_console_script_is_installed(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / ("kflow.exe" if os.name == "nt" else "kflow")
    if not script.exists():
        pytest.skip(f"the kflow console script is not installed next to {sys.executable}")
    run = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert (run.returncode, run.stdout.split()[0]) == (0, "kflow")


def test_cli_choices_match_the_compiler() -> None:
    from kflow.compiler import api, diagnostics

    assert cli.FORMATS == diagnostics.FORMATS
    assert cli.TARGETS == api.TARGETS


HEAVY_ALWAYS = {"black", "jinja2", "airflow", "prefect"}
HEAVY_FOR_HELP = HEAVY_ALWAYS | {"pydantic", "lark", "yaml"}

IMPORTED_BY = """\
import contextlib, io, json, sys
from kflow.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def modules_imported_by(*args: str, cwd: Path) -> set[str]:
    """Top-level packages imported by `kflow ARGS`, run in a fresh interpreter."""
    run = subprocess.run(
        [sys.executable, "-c", IMPORTED_BY, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(run.stdout)
    assert report["code"] in (0, 1), report["code"]
    return set(report["modules"])


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("validate", "--help")])
def test_help_imports_no_compiler_and_no_heavy_package(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    modules = modules_imported_by(*args, cwd=tmp_path)
    assert not {m.split(".")[0] for m in modules} & HEAVY_FOR_HELP
    stdlib_only = {"kflow.cli", "kflow.runner_cli", "kflow.plugins_cli"}
    assert not {m for m in modules if m.startswith("kflow.")} - stdlib_only


def test_validate_imports_no_target_engine_or_formatter(tmp_path: Path) -> None:
    flow = write(tmp_path / "hello.yml", GOOD)
    modules = modules_imported_by("validate", str(flow), cwd=tmp_path)
    assert "kflow.compiler.check" in modules  # the run did validate
    assert not {m.split(".")[0] for m in modules} & HEAVY_ALWAYS
    assert not {m for m in modules if m.startswith("kflow.targets")}


# -- pre-commit hook, README and CI -----------------------------------------------------------


def test_pre_commit_hook_runs_kflow_validate_on_yaml_files() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = {h["id"]: h for h in hooks}["kflow-validate"]
    assert (hook["entry"], hook["language"]) == ("kflow validate", "python")
    pattern = re.compile(hook["files"])
    assert pattern.search("flows/a.yml") and pattern.search("b.yaml")
    assert not pattern.search("flows/a.json")


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`bash scripts/test.sh`" in readme
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


# -- docs/diagnostics.md -----------------------------------------------------------------------

BEGIN, END = "<!-- BEGIN GENERATED CODES -->", "<!-- END GENERATED CODES -->"
GROUPS = {
    "1": "KF1xx: files and YAML",
    "2": "KF2xx: schema of flows, tasks, triggers and inputs",
    "3": "KF3xx: semantics",
    "4": "KF4xx: target support",
    "5": "KF5xx: expressions",
}


def example_output(code: str) -> str | None:
    """What `kflow validate` prints for the first `code` finding of the code's example flow."""
    from kflow.compiler.api import compile_paths, validate_paths
    from kflow.compiler.diagnostics import render_text

    for case in sorted(CASES.glob(f"{code}-*.yml")):
        relative = case.relative_to(ROOT).as_posix()
        if code.startswith("KF4"):  # a target's: what `kflow compile --target airflow` says
            result = compile_paths([str(case)], "airflow", str(ROOT / "golden"), check=True)
        else:
            result = validate_paths([str(case)])
        found = [d for d in result.diagnostics if d.code == code]
        if found:
            text = render_text(found[:1], result.sources)
            return text.replace(str(case), relative)
    return None


def generated_codes_section() -> str:
    """The part of docs/diagnostics.md between the GENERATED markers."""
    out = [BEGIN, "", "| Code | Name | Severity | Meaning |", "| --- | --- | --- | --- |"]
    out += [
        f"| [{c.code}](#{c.code.lower()}) | `{c.name}` | {c.severity.value} | {c.summary} |"
        for c in CODES.values()
    ]
    group = ""
    for c in CODES.values():
        if c.code[2] != group:
            group = c.code[2]
            out += ["", f"## {GROUPS.get(group, f'KF{group}xx')}"]
        out += ["", f"### {c.code}", "", f"`{c.name}`, {c.severity.value}: {c.summary}."]
        example = example_output(c.code)
        if example is None:
            out += ["", "_No example flow yet (add one to `tests/diagnostics/`)._"]
        else:
            out += ["", "```text", example.rstrip("\n"), "```"]
    out += ["", END]
    return "\n".join(out)


def test_every_code_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [code for code in CODES if f"### {code}\n" not in text]
    assert not missing, f"not in docs/diagnostics.md: {missing}; run `pytest --update-golden`"


def test_diagnostics_doc_matches_the_compiler(update_golden: bool) -> None:
    text = DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    updated = head + generated_codes_section() + tail
    if update_golden:
        DOC.write_text(updated, encoding="utf-8")
        return
    assert text == updated, "docs/diagnostics.md is out of date: run `pytest --update-golden`"

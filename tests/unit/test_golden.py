"""Golden cases: golden/<case>/flow.yml compiles to exactly golden/<case>/expected/*.

`pytest --update-golden` rewrites the expected files. Every case is also compiled a second time in
a fresh interpreter with another PYTHONHASHSEED, and must give the same bytes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kflow.compiler.api import check_file
from kflow.compiler.diagnostics import render_text
from kflow.compiler.lower import lower
from kflow.targets import airflow as airflow_target
from kflow.targets import ir as ir_target
from kflow.targets import prefect as prefect_target

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted(p.parent for p in (ROOT / "golden").glob("*/flow.yml"))


def compile_case(flow: Path) -> dict[str, str]:
    """Every expected file of a case: `ir.json` and one file per target (`airflow.py`;
    `prefect.py` and its `prefect.yaml.txt`; `<target>.diagnostics.txt` when the target refuses
    the flow or approximates it), or `diagnostics.txt` for a flow with errors."""
    checked = check_file(str(flow))
    relative = flow.relative_to(ROOT).as_posix()
    sources = {str(flow): checked.document.source}
    if not checked.ok:
        text = render_text(checked.diagnostics, sources).replace(str(flow), relative)
        return {"diagnostics.txt": text}
    lowered = lower(checked)
    produced = {"ir.json": ir_target.dumps(lowered)}
    emitted = airflow_target.emit(lowered)
    for text in emitted.files.values():
        produced["airflow.py"] = text
    if emitted.diagnostics:
        text = render_text(emitted.diagnostics, sources).replace(str(flow), relative)
        produced["airflow.diagnostics.txt"] = text
    emitted = prefect_target.emit(lowered)
    for text in emitted.files.values():
        produced["prefect.py"] = text
    for name, entries in emitted.shared.items():
        # `.txt`: a YAML file here would be taken for a flow by `kflow compile golden/`.
        produced[f"{name}.txt"] = prefect_target.join(name, entries)
    if emitted.diagnostics:
        text = render_text(emitted.diagnostics, sources).replace(str(flow), relative)
        produced["prefect.diagnostics.txt"] = text
    return produced


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Path, update_golden: bool) -> None:
    produced = compile_case(case / "flow.yml")
    expected_dir = case / "expected"
    if update_golden:
        expected_dir.mkdir(exist_ok=True)
        for old in expected_dir.iterdir():
            old.unlink()
        for name, text in produced.items():
            (expected_dir / name).write_text(text, encoding="utf-8")
        return
    expected = {p.name: p.read_text(encoding="utf-8") for p in sorted(expected_dir.iterdir())}
    assert produced == expected, "run `pytest --update-golden` after checking the change"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_generated_python_parses_and_is_black_stable(case: Path) -> None:
    import ast

    import black

    for name, text in compile_case(case / "flow.yml").items():
        if name.endswith(".py"):
            ast.parse(text)
            assert black.format_str(text, mode=black.Mode(line_length=100)) == text


def test_golden_cases_exist() -> None:
    assert len(CASES) >= 10


def test_output_is_byte_identical_across_hash_seeds() -> None:
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from tests.unit.test_golden import compile_case\n"
        "cases = map(Path, sys.argv[2:])\n"
        "print(json.dumps({str(p): compile_case(p / 'flow.yml') for p in cases}))\n"
    )
    outputs = []
    for seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, str(ROOT), *map(str, CASES)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
        )
        outputs.append(json.loads(done.stdout))
    in_process = {str(p): compile_case(p / "flow.yml") for p in CASES}
    assert outputs[0] == outputs[1] == in_process

"""Start-up weight of `validate`: a flow builds the properties models of the plugins it uses only.

The registry knows every type from a light table (`kflow.plugin_registry.builtins`); a family
module, whose import builds its pydantic models, is imported the first time one of its types is
used. Each test runs a fresh interpreter, since this process has long imported every family.
Timings belong in `benchmarks/`, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kflow.plugin_registry.builtins import SPECS

FAMILY_PREFIX = "kflow.plugin_registry.builtins."
#: The family modules, as the spec table names them (`kflow.plugin_registry.builtins.http:…`).
FAMILIES = {str(spec.model).partition(":")[0].removeprefix(FAMILY_PREFIX) for spec in SPECS}

#: The modules of the spec table itself (helpers and hand-written examples), imported with it.
TABLE_MODULES = {"_common", "examples"}

VALIDATE = """\
import json, sys
import kflow.compiler.api as api
result = api.validate_paths(sys.argv[1:])
modules = sorted(m for m in sys.modules if m.startswith("kflow.plugin_registry.builtins"))
print(json.dumps({"ok": result.ok, "modules": modules}))
"""


def families_imported(script: str, *args: str) -> tuple[dict[str, object], set[str]]:
    """Run `script` in a fresh interpreter: its JSON report, and the family modules it imported."""
    run = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(run.stdout)
    modules = report["modules"]
    assert isinstance(modules, list)
    families = {m.removeprefix(FAMILY_PREFIX) for m in modules if m.startswith(FAMILY_PREFIX)}
    assert families <= FAMILIES | TABLE_MODULES
    return report, families - TABLE_MODULES


def test_every_spec_names_a_model_in_a_family_module() -> None:
    assert all(isinstance(spec.model, str) for spec in SPECS)
    assert sorted(FAMILIES) == [
        "conditions",
        "core_flow",
        "core_tasks",
        "http",
        "jdbc",
        "scripts",
        "storage",
        "triggers",
    ]


def test_validate_imports_only_the_families_the_flow_uses(shared: Path) -> None:
    # 01-basic-flow uses io.kestra.plugin.core.http.Download and io.kestra.plugin.core.log.Log
    flow = shared / "examples" / "seed" / "01-basic-flow.yml"
    report, families = families_imported(VALIDATE, str(flow))
    assert report["ok"] is True
    assert families == {"http", "core_tasks"}


def test_validate_of_a_flow_with_a_trigger_and_conditions(tmp_path: Path) -> None:
    flow = tmp_path / "scheduled.yml"
    flow.write_text(
        "id: scheduled\n"
        "namespace: company.team\n"
        "tasks:\n"
        "  - id: wait\n"
        "    type: io.kestra.plugin.core.flow.Sleep\n"
        "    duration: PT1S\n"
        "triggers:\n"
        "  - id: daily\n"
        "    type: io.kestra.plugin.core.trigger.Schedule\n"
        "    cron: '0 9 * * *'\n"
        "    conditions:\n"
        "      - type: io.kestra.plugin.core.condition.Weekend\n",
        encoding="utf-8",
    )
    report, families = families_imported(VALIDATE, str(flow))
    assert report["ok"] is True
    # conditions' models reuse the triggers' TimeWindow, which reuse the HTTP options
    assert families == {"core_flow", "triggers", "conditions", "http"}


LOOKUP = """\
import json, sys
from kflow.plugin_registry import default_registry
registry = default_registry()
names = [name for spec in registry for name in (spec.type, *(a.name for a in spec.aliases))]
before = sorted(m for m in sys.modules if m.startswith("kflow.plugin_registry.builtins"))
pydantic_before = "pydantic" in sys.modules
found = registry.lookup("io.kestra.plugin.scripts.shell.Commands")
found[0].properties.model_validate({"commands": ["echo hi"]})
modules = sorted(m for m in sys.modules if m.startswith("kflow.plugin_registry.builtins"))
report = {"names": len(names), "before": before, "pydantic": pydantic_before, "modules": modules}
print(json.dumps(report))
"""


def test_the_registry_names_every_type_without_building_a_model() -> None:
    report, families = families_imported(LOOKUP)
    assert isinstance(report["names"], int) and report["names"] > 100
    assert report["before"] == [
        FAMILY_PREFIX.rstrip("."),
        *(FAMILY_PREFIX + name for name in sorted(TABLE_MODULES)),
    ]
    assert report["pydantic"] is False  # the table and the lookups need no pydantic
    assert families == {"scripts"}


def test_properties_is_the_model_the_reference_names() -> None:
    from kflow.plugin_registry import Kind, PluginSpec, default_registry
    from kflow.plugin_registry.builtins.core_tasks import LogProperties

    found = default_registry().lookup("io.kestra.plugin.core.log.Log")
    assert found is not None
    spec = found[0]
    assert spec.model == "kflow.plugin_registry.builtins.core_tasks:LogProperties"
    assert spec.properties is LogProperties
    assert PluginSpec("x.Direct", Kind.TASK, "A model given as is.", LogProperties).properties is (
        LogProperties
    )
    wrong = PluginSpec("x.Wrong", Kind.TASK, "Not a model.", "kflow.plugin_registry.types:STATES")
    with pytest.raises(TypeError, match="is not a pydantic model"):
        _ = wrong.properties

"""`kflow compile --vendor-runtime`: the runtime shim written beside the compiled flows.

Workers then need nothing but their orchestrator: the generated code imports `kflow` from the
output directory (Airflow puts its DAGs folder on `sys.path`; a Prefect deployment runs from its
project directory). The copy holds kflow's own package and the pure-Python libraries the runtime
needs that Airflow and Prefect do not install themselves (lark, isodate), under
`kflow/_vendor/` — an installed copy of those, if any, comes first. `.airflowignore` (glob
syntax, Airflow 3's default) keeps Airflow's DAG processor out of the copy.
"""

from __future__ import annotations

import importlib
from pathlib import Path

#: Pure-Python libraries of kflow's runtime that neither Airflow nor Prefect depends on.
VENDORED = ("lark", "isodate")
SUFFIXES = (".py", ".lark", ".typed")
PATH_HOOK = (
    "\n# Written by `kflow compile --vendor-runtime`: the libraries copied beside this package.\n"
    "import os as _os\nimport sys as _sys\n\n"
    "_sys.path.append(_os.path.join(_os.path.dirname(__file__), '_vendor'))\n"
)


def _files(root: Path, prefix: str) -> dict[str, str]:
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts:
            found[f"{prefix}/{path.relative_to(root).as_posix()}"] = path.read_text("utf-8")
    return found


def runtime_files() -> dict[str, str]:
    """Every file of the vendored runtime, by path relative to the output directory."""
    import kflow

    files = _files(Path(kflow.__file__).parent, "kflow")
    files["kflow/__init__.py"] += PATH_HOOK
    for name in VENDORED:
        module = importlib.import_module(name)
        files.update(_files(Path(str(module.__file__)).parent, f"kflow/_vendor/{name}"))
    # Only the copy: compiled flows of a namespace `kflow.*` live in `kflow/` too.
    ignored = sorted({"/".join(p.split("/")[:2]) for p in files if p.count("/") >= 2})
    ignored += sorted(p for p in files if p.count("/") == 1)
    files[".airflowignore"] = "".join(f"{p}/\n" if "." not in p else f"{p}\n" for p in ignored)
    return files

"""The `kflow` command line: validate, compile, render, version, and the runner's commands.

Start-up cost matters here: `kflow validate` runs in pre-commit hooks and in every CI job, so this
module imports only the standard library. The compiler is imported inside each command, and nothing
here ever imports a target's engine (Airflow, Prefect) or a formatter (black).

Exit codes: 0 = success (warnings allowed), 1 = the flows have errors (or, with `compile --check`,
compiled output is out of date), 2 = usage error, 70 = internal error (a bug in kflow), 130 =
interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from kflow.compiler.api import CompileResult, ValidationResult

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE
EXIT_INTERRUPTED = 130

# Kept here rather than imported so that `kflow --help` loads no compiler module; a unit test holds
# them equal to `kflow.compiler.diagnostics.FORMATS` and `kflow.compiler.api.TARGETS`.
FORMATS = ("text", "json", "github")
TARGETS = ("ir", "airflow", "prefect", "runner")
COLOR_MODES = ("auto", "always", "never")


class UsageError(Exception):
    """A mistake in how kflow was called (exit 2), reported as one line without a traceback."""


# -- commands ----------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    """Check every flow under the given paths and print all diagnostics in one report."""
    from kflow.compiler.api import validate_paths
    from kflow.compiler.diagnostics import has_errors, render

    paths = _existing_paths(args.paths)
    result = validate_paths(paths)
    if not result.files:
        raise UsageError(f"no flow files (*.yml, *.yaml) found in {', '.join(paths)}")
    colour = _use_colour(args.color, out)
    out.write(render(result.diagnostics, args.format, result.sources, colour))
    if args.format == "text" and not args.quiet:
        out.write(_paint(summary(result), "1", colour) + "\n")
    return EXIT_ERRORS if has_errors(result.diagnostics) else EXIT_OK


def cmd_compile(args: argparse.Namespace, out: TextIO) -> int:
    """Compile every flow under the given paths for a target, or check the output is current."""
    from kflow.compiler import api
    from kflow.compiler.diagnostics import has_errors, render

    compile_paths = getattr(api, "compile_paths", None)
    if compile_paths is None:
        raise UsageError(f"target '{args.target}' is not available yet")
    paths = _existing_paths(args.paths)
    try:
        result = compile_paths(paths, args.target, args.out, args.check, args.vendor_runtime)
    except LookupError as error:
        # `api.emitter` raises a bare LookupError for a target it cannot emit yet; a KeyError or
        # IndexError from deeper down is a bug and must surface as an internal error.
        if type(error) is not LookupError:
            raise
        raise UsageError(str(error)) from None
    if not result.files:
        raise UsageError(f"no flow files (*.yml, *.yaml) found in {', '.join(paths)}")
    colour = _use_colour(args.color, out)
    out.write(render(result.diagnostics, args.format, result.sources, colour))
    # json and github output stays machine-readable on stdout; everything else goes to stderr.
    notes = out if args.format == "text" else sys.stderr
    if args.check:
        if result.diff and not args.quiet:
            notes.write(result.diff)
        for path in result.drifted:
            notes.write(f"would change: {path}\n")
    if not args.quiet:
        line = compile_summary(result, args.target, args.out, args.check)
        notes.write(_paint(line, "1", colour and notes is out) + "\n")
    failed = has_errors(result.diagnostics) or (args.check and bool(result.drifted))
    return EXIT_ERRORS if failed else EXIT_OK


def cmd_render(args: argparse.Namespace, out: TextIO) -> int:
    """Render one Kestra template with variables from a JSON file (for debugging expressions)."""
    import json

    from kflow.runtime_shims.templating import TemplateError, render

    variables: dict[str, Any] = {}
    if args.vars:
        try:
            with open(args.vars, encoding="utf-8") as handle:
                variables = json.load(handle)
        except (OSError, ValueError) as error:
            raise UsageError(f"cannot read variables from {args.vars}: {error}") from None
        if not isinstance(variables, dict):
            raise UsageError(f"{args.vars} must hold a JSON object")
    task_ids = frozenset(variables.get("outputs", {}) or ())
    try:
        out.write(render(args.template, variables, task_ids=task_ids) + "\n")
    except TemplateError as error:
        sys.stderr.write(f"kflow render: {error}\n")
        return EXIT_ERRORS
    return EXIT_OK


def cmd_version(args: argparse.Namespace, out: TextIO) -> int:
    """Print kflow's version."""
    out.write(f"kflow {package_version()}\n")
    return EXIT_OK


# -- summaries ---------------------------------------------------------------------------------


def summary(result: ValidationResult) -> str:
    """The closing line of a text report.

    `Found 3 errors and 1 warning in 2 files (12 files checked)`, or `All 12 flows valid` (with the
    number of warnings, if any).
    """
    from kflow.compiler.diagnostics import Severity

    counts = {level: 0 for level in Severity}
    for d in result.diagnostics:
        counts[d.level] += 1
    checked = _plural(len(result.files), "file")
    errors = counts[Severity.ERROR]
    if errors:
        noted = [_plural(errors, "error")]
        if counts[Severity.WARNING]:
            noted.append(_plural(counts[Severity.WARNING], "warning"))
        files = _plural(len({d.span.path for d in result.diagnostics}), "file")
        return f"Found {' and '.join(noted)} in {files} ({checked} checked)"
    text = f"All {_plural(len(result.files), 'flow')} valid"
    if counts[Severity.WARNING]:
        text += f" ({_plural(counts[Severity.WARNING], 'warning')})"
    return text


def compile_summary(result: CompileResult, target: str, out: str, check: bool) -> str:
    """The closing line of `kflow compile`: what was written, or what is out of date."""
    from kflow.compiler.diagnostics import Severity

    failed = len({d.span.path for d in result.diagnostics if d.level is Severity.ERROR})
    flows = f"{len(result.files) - failed} of {_plural(len(result.files), 'flow')}"
    skipped = f" ({failed} with errors)" if failed else ""
    if check:
        if result.drifted:
            stale = _plural(len(result.drifted), "file")
            return f"{stale} in {out} out of date for target '{target}'; run without --check"
        return f"{out} is up to date for target '{target}' ({flows} checked){skipped}"
    written = _plural(len(result.written), "file")
    return f"Compiled {flows} for target '{target}'{skipped}: {written} written to {out}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- helpers -----------------------------------------------------------------------------------


def _existing_paths(paths: Sequence[str]) -> list[str]:
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    return list(paths)


def _use_colour(mode: str, stream: TextIO) -> bool:
    """Colour on a terminal only (https://no-color.org is honoured), or when asked for."""
    if mode == "always":
        return True
    if mode == "never" or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _paint(text: str, style: str, colour: bool) -> str:
    return f"\x1b[{style}m{text}\x1b[0m" if colour else text


def package_version() -> str:
    """The installed distribution's version (`unknown` when run from an uninstalled tree)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kflow")
    except PackageNotFoundError:
        return "unknown"


class _VersionAction(argparse.Action):
    """`--version`, computed only when asked for (importlib.metadata is not free to import)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print kflow's version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        sys.stdout.write(f"kflow {package_version()}\n")
        parser.exit()


# -- parser ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `kflow` command."""
    parser = argparse.ArgumentParser(
        prog="kflow",
        description="Check Kestra YAML flows and compile them to Airflow 3, Prefect 3 or kflow's "
        "own runner.",
        epilog="Exit codes: 0 ok (warnings allowed), 1 errors in flows, 2 usage error, "
        "70 internal error.",
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    output = argparse.ArgumentParser(add_help=False)
    output.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default: path:line:col, source line, caret, hint), json (an array on "
        "stdout), github (workflow annotations)",
    )
    output.add_argument(
        "--color",
        "--colour",
        dest="color",
        choices=COLOR_MODES,
        default="auto",
        help="colour text output: auto (on a terminal, unless NO_COLOR is set), always, never",
    )
    output.add_argument(
        "-q", "--quiet", action="store_true", help="print diagnostics only, no summary line"
    )

    validate = commands.add_parser(
        "validate",
        parents=[output],
        help="check flow files and report every problem",
        description="Check flow files (and every *.yml/*.yaml below the given directories). "
        "All diagnostics of all files are reported in one run, sorted by position. "
        "Exit 0 when there are no errors (warnings allowed), 1 when there are errors.",
    )
    validate.add_argument("paths", nargs="+", metavar="PATH", help="flow file or directory")
    validate.set_defaults(run=cmd_validate)

    compile_ = commands.add_parser(
        "compile",
        parents=[output],
        help="compile flows for a target",
        description="Compile flows to a target's files under --out. Flows with errors are "
        "reported and not compiled. With --check, nothing is written: kflow reports the files "
        "that would change (a unified diff in text format) and exits 1 if any would.",
    )
    compile_.add_argument("paths", nargs="+", metavar="PATH", help="flow file or directory")
    compile_.add_argument("--target", "-t", choices=TARGETS, required=True, help="what to emit")
    compile_.add_argument("--out", "-o", required=True, metavar="DIR", help="output directory")
    compile_.add_argument(
        "--check", action="store_true", help="write nothing; fail if the output is out of date"
    )
    compile_.add_argument(
        "--vendor-runtime",
        action="store_true",
        help="also write kflow's runtime beside the compiled flows, so that Airflow or Prefect "
        "workers need nothing else installed",
    )
    compile_.set_defaults(run=cmd_compile)

    render = commands.add_parser(
        "render",
        help="render a Kestra template (debug an expression)",
        description="Render TEMPLATE with Kestra's semantics. Variables (inputs, outputs, vars, "
        "execution, …) come from a JSON object file given with --vars.",
    )
    render.add_argument("template", metavar="TEMPLATE", help='e.g. "{{ inputs.x | upper }}"')
    render.add_argument("--vars", metavar="FILE.json", help="JSON object of variables")
    render.set_defaults(run=cmd_render)

    from kflow import runner_cli  # standard library only until a command runs

    runner_cli.register(commands)

    from kflow import plugins_cli

    plugins_cli.register(commands)

    version = commands.add_parser("version", help="print kflow's version")
    version.set_defaults(run=cmd_version)
    return parser


# -- entry point -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `kflow` command with `argv` (default: `sys.argv[1:]`); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, and argparse's usage errors (code 2)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        code: int = args.run(args, sys.stdout)
        sys.stdout.flush()
        return code
    except UsageError as error:
        sys.stderr.write(f"kflow {args.command}: error: {error}\n")
        return EXIT_USAGE
    except LookupError as error:
        from kflow.plugins_cli import UnknownPlugin

        if not isinstance(error, UnknownPlugin):
            raise
        sys.stderr.write(f"kflow {args.command}: error: {error}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("kflow: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`kflow validate . | head`): not an error worth a message. Point
        # stdout at /dev/null so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERRORS
    except Exception as error:
        if os.environ.get("KFLOW_DEBUG") == "1":
            raise
        sys.stderr.write(
            f"kflow {args.command}: internal error: {type(error).__name__}: {error}\n"
            "This is a bug in kflow. Please report it with the flow that triggers it; "
            "run again with KFLOW_DEBUG=1 for the traceback.\n"
        )
        return EXIT_INTERNAL

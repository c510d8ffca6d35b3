"""`kflow plugins list|show` and `kflow schema`: the plugin hub from the terminal and the editor.

Like `kflow.cli`, this module imports only the standard library until a command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

FORMATS = ("text", "json")
KINDS = ("task", "trigger", "condition")


class UnknownPlugin(LookupError):
    """A usage error of these commands (exit 2): a type no plugin has, a file not writable."""


def cmd_plugins_list(args: argparse.Namespace, out: TextIO) -> int:
    """Every plugin type: canonical name, aliases, title and the targets that run it."""
    from kflow.plugin_registry import default_registry
    from kflow.plugin_registry.support import TARGETS, targets_of

    registry = default_registry()
    _report_problems(registry.problems)
    rows: list[dict[str, Any]] = [
        {
            "type": spec.type,
            "aliases": [alias.name for alias in spec.aliases],
            "title": spec.title,
            "targets": list(targets_of(spec)),
            "kind": spec.kind.value,
            "plugin": registry.origins.get(spec.type),
        }
        for spec in registry
        if args.kind is None or spec.kind.value == args.kind
    ]
    if args.format == "json":
        out.write(json.dumps(rows, indent=2) + "\n")
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("TYPE", overflow="fold")
    table.add_column("KIND")
    for target in TARGETS:
        table.add_column(target.upper(), justify="center")
    table.add_column("TITLE", overflow="fold")
    for row in rows:
        marks = ["yes" if target in row["targets"] else "-" for target in TARGETS]
        title = row["title"] + (f" [{row['plugin']}]" if row["plugin"] else "")
        table.add_row(row["type"], row["kind"], *marks, title)
    Console(file=out, width=_width(out), highlight=False, markup=False).print(table)
    out.write(f"{len(rows)} plugin types. `kflow plugins show TYPE` documents one.\n")
    return 0


def cmd_plugins_show(args: argparse.Namespace, out: TextIO) -> int:
    """One plugin type: properties, outputs, targets and an example flow."""
    from kflow.plugin_registry import default_registry
    from kflow.plugin_registry.docs import describe

    registry = default_registry()
    _report_problems(registry.problems)
    found = registry.lookup(args.type) or registry.lookup(_by_short_name(registry, args.type))
    if found is None:
        hint = _suggest(registry, args.type)
        raise UnknownPlugin(f"no plugin type '{args.type}'" + (f"; {hint}" if hint else ""))
    spec, alias = found
    info = describe(spec, registry.origins.get(spec.type))
    if args.format == "json":
        out.write(json.dumps(info, indent=2, default=str) + "\n")
        return 0
    out.write(_text(info, alias.name if alias else None))
    return 0


def cmd_schema(args: argparse.Namespace, out: TextIO) -> int:
    """Print (or write to --out) the JSON Schema of a flow document."""
    from kflow.compiler.json_schema import flow_schema
    from kflow.plugin_registry import default_registry

    registry = default_registry()
    _report_problems(registry.problems)
    text = json.dumps(flow_schema(registry), indent=2, sort_keys=True) + "\n"
    if args.out is None or args.out == "-":
        out.write(text)
        return 0
    try:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise UnknownPlugin(f"cannot write {args.out}: {error.strerror}") from None
    sys.stderr.write(f"wrote the flow schema to {args.out}\n")
    return 0


def _text(info: dict[str, Any], written_as: str | None) -> str:
    lines = [info["type"], "=" * len(info["type"]), info["title"], ""]
    if written_as:
        lines.append(f"('{written_as}' is another name of this type)")
    if info["note"]:
        lines.append(f"Note: {info['note']}")
    if info["aliases"]:
        lines.append("Also written: " + ", ".join(info["aliases"]))
    lines.append(f"Kind: {info['kind']}")
    lines.append("Targets: " + (", ".join(info["targets"]) or "none (checked, not run)"))
    if info["plugin"]:
        lines.append(f"Plugin: {info['plugin']}")
    lines += ["", "Properties:"]
    if not info["properties"]:
        lines.append("  (none)")
    for prop in info["properties"]:
        flags = ["required"] if prop["required"] else []
        if prop["name"] in info["connection"]:
            flags = ["here, in pluginDefaults or in the environment"]
            if prop["required"]:
                flags = ["required: " + flags[0]]
        if "default" in prop:
            flags.append(f"default {json.dumps(prop['default'])}")
        lines.append(
            f"  {prop['name']}: {prop['type']}" + (f" ({', '.join(flags)})" if flags else "")
        )
        if prop.get("deprecated"):
            advice = prop["deprecated"]
            lines.append("      deprecated" + ("" if advice == "deprecated" else f": {advice}"))
        elif prop["description"]:
            lines.append(f"      {prop['description']}")
    if info["children"]:
        lines += ["", "Child tasks: " + ", ".join(info["children"])]
    lines += ["", "Outputs:"]
    if info["outputs"] is None:
        lines.append("  (depend on the properties)")
    else:
        lines += [f"  {name}" for name in info["outputs"]] or ["  (none)"]
    lines += ["", "Example flow:", ""]
    lines += ["    " + line if line else "" for line in info["example"].splitlines()]
    return "\n".join(lines) + "\n"


def _by_short_name(registry: Any, name: str) -> str:
    """`http.Download` or `Download` for `io.kestra.plugin.core.http.Download`, when unique."""
    matches = [spec.type for spec in registry if spec.type.endswith("." + name)]
    return matches[0] if len(matches) == 1 else name


def _suggest(registry: Any, name: str) -> str | None:
    """A did-you-mean hint, comparing `name` with the types' tails of as many dotted parts."""
    from kflow.compiler.diagnostics import did_you_mean

    parts = name.count(".") + 1
    tails = {".".join(spec.type.split(".")[-parts:]): spec.type for spec in registry}
    hint = did_you_mean(name, tails)
    if hint is None:
        return None
    return hint.replace(hint.split("'")[1], tails[hint.split("'")[1]])


def _report_problems(problems: list[str]) -> None:
    for problem in problems:
        sys.stderr.write(f"kflow: warning: {problem}\n")


def _width(out: TextIO) -> int | None:
    return None if out.isatty() else 160


def register(commands: Any) -> None:
    """Add `plugins` and `schema` to the `kflow` subparsers."""
    plugins = commands.add_parser(
        "plugins",
        help="list and document the task, trigger and condition types",
        description="The plugin hub: every built-in type and every type installed through the "
        "'kflow.plugins' entry-point group.",
    )
    plugin_commands = plugins.add_subparsers(dest="plugins_command", metavar="COMMAND")
    plugin_commands.required = True
    listing = plugin_commands.add_parser(
        "list", help="every plugin type and the targets that run it"
    )
    listing.add_argument("--format", choices=FORMATS, default="text", help="text or json")
    listing.add_argument("--kind", choices=KINDS, help="only this kind of plugin")
    listing.set_defaults(run=cmd_plugins_list)
    show = plugin_commands.add_parser(
        "show", help="properties, outputs and an example flow of one type"
    )
    show.add_argument("type", metavar="TYPE", help="a type, an alias, or a unique short name")
    show.add_argument("--format", choices=FORMATS, default="text", help="text or json")
    show.set_defaults(run=cmd_plugins_show)

    schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of a flow file (for editors)",
        description="Print the JSON Schema (draft-07) of a Kestra flow file with every plugin "
        "type, for the YAML language server. With --out, write it to a file.",
    )
    schema.add_argument("--out", "-o", metavar="FILE", help="write the schema to FILE")
    schema.set_defaults(run=cmd_schema)

"""The documentation of a plugin type, as `kflow plugins show` prints it.

Everything comes from the spec and its properties model, so a third-party plugin is documented the
same way as a built-in one: each property's type, default, whether it is required and its
description, the outputs, the targets that run it, and an example flow. The example is the spec's
own when it has one, otherwise it is built from the required properties; a unit test checks that
every example validates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kflow.plugin_registry.spec import Kind, PluginSpec
from kflow.plugin_registry.support import targets_of


@dataclass(frozen=True)
class Property:
    """One property of a plugin type."""

    name: str
    type: str  # e.g. "integer | template", "list of string"
    required: bool
    default: Any  # None when there is none (`has_default` tells a null default apart)
    has_default: bool
    description: str
    deprecated: str | None  # the advice (or just "deprecated"), when the property is deprecated


def properties_of(spec: PluginSpec) -> list[Property]:
    """The plugin's own properties, in the order the model declares them."""
    schema = spec.properties.model_json_schema(by_alias=True)
    defs = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    fields = {(info.alias or name): info for name, info in spec.properties.model_fields.items()}
    found: list[Property] = []
    for name, prop in schema.get("properties", {}).items():
        info = fields.get(name)
        deprecated = info.deprecated if info is not None else None
        _add(found, name, prop, name in required, defs, str(deprecated) if deprecated else None)
    return found


def _add(
    found: list[Property],
    name: str,
    prop: dict[str, Any],
    required: bool,
    defs: dict[str, Any],
    deprecated: str | None,
) -> None:
    """`prop`, then the properties of the object it holds (`options.timeout.connectTimeout`)."""
    found.append(
        Property(
            name=name,
            type=type_label(prop, defs),
            required=required,
            default=prop.get("default"),
            has_default="default" in prop,
            description=prop.get("description", ""),
            deprecated=deprecated or ("deprecated" if prop.get("deprecated") else None),
        )
    )
    nested = _referenced(prop, defs)
    if nested is None or name.count(".") >= 2:
        return
    inner_required = set(nested.get("required", ()))
    for inner, inner_prop in nested.get("properties", {}).items():
        _add(found, f"{name}.{inner}", inner_prop, inner in inner_required, defs, None)


def _referenced(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any] | None:
    """The model a property holds (directly, optionally, or as a list of them), if any."""
    for option in [prop, prop.get("items", {}), *prop.get("anyOf", ())]:
        ref = option.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return defs.get(ref.rsplit("/", 1)[-1])
    return None


def type_label(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    """A short reading of a JSON Schema type: `string`, `integer | template`, `list of string`."""
    if "$ref" in schema:
        return "object"
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        labels = [type_label(o, defs) for o in options if o.get("type") != "null"]
        return " | ".join(dict.fromkeys(labels)) or "null"
    kind = schema.get("type")
    if kind == "string" and schema.get("pattern") == r"\{[{%#]":
        return "template"
    if kind == "string" and schema.get("format") == "duration":
        return "duration (ISO 8601)"
    if kind == "array":
        return f"list of {type_label(schema.get('items', {}), defs)}"
    if kind == "object":
        return "map"
    return str(kind) if kind else "any"


def describe(spec: PluginSpec, origin: str | None = None) -> dict[str, Any]:
    """Everything `kflow plugins show` tells of `spec`, as JSON-ready data."""
    return {
        "type": spec.type,
        "kind": spec.kind.value,
        "title": spec.title,
        "aliases": [alias.name for alias in spec.aliases],
        "targets": list(targets_of(spec)),
        "plugin": origin,
        "note": spec.note,
        "properties": [
            {
                "name": p.name,
                "type": p.type,
                "required": p.required,
                **({"default": p.default} if p.has_default and p.default is not None else {}),
                "description": p.description,
                **({"deprecated": p.deprecated} if p.deprecated else {}),
            }
            for p in properties_of(spec)
        ],
        "children": sorted(spec.children),
        "outputs": None if spec.outputs is None else list(spec.outputs),
        "connection": list(spec.connection),
        "example": example_flow(spec),
    }


def example_flow(spec: PluginSpec) -> str:
    """A whole flow using `spec`'s type, in YAML."""
    body = spec.example or _generated(spec)
    if spec.kind is Kind.TASK:
        return _flow(["tasks:", *_item(body)])
    hello = ["tasks:", "  - id: hello", "    type: io.kestra.plugin.core.log.Log",
             "    message: Hello"]  # fmt: skip
    if spec.kind is Kind.TRIGGER:
        return _flow([*hello, "triggers:", *_item(body)])
    return _flow(
        [
            *hello,
            "triggers:",
            "  - id: upstream",
            "    type: io.kestra.plugin.core.trigger.Flow",
            "    conditions:",
            *("    " + line for line in _item(body)),
        ]
    )


def _flow(lines: list[str]) -> str:
    return "\n".join(["id: example", "namespace: company.team", *lines]) + "\n"


def _item(body: str) -> list[str]:
    lines = body.strip("\n").splitlines()
    if lines[0].startswith("- "):  # already a list of items
        return ["  " + line for line in lines]
    return ["  - " + lines[0], *("    " + line for line in lines[1:])]


def _generated(spec: PluginSpec) -> str:
    short = spec.type.rsplit(".", 1)[-1]
    lines = [] if spec.kind is Kind.CONDITION else [f"id: {short[0].lower()}{short[1:]}"]
    lines.append(f"type: {spec.type}")
    schema = spec.properties.model_json_schema(by_alias=True)
    for name in schema.get("required", ()):
        if name in spec.connection:
            continue
        value = _placeholder(schema["properties"][name])
        lines.append(f"{name}: {json.dumps(value, ensure_ascii=False)}")
    for child in sorted(spec.children):
        if child in ("errors", "finally"):
            continue
        lines += [f"{child}:", "  - id: inside", "    type: io.kestra.plugin.core.log.Log",
                  "    message: Hello"]  # fmt: skip
        break
    return "\n".join(lines)


def _placeholder(schema: dict[str, Any]) -> Any:
    if "examples" in schema:
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    options = [o for o in schema.get("anyOf", ()) if o.get("type") != "null"]
    if options:
        return _placeholder(options[0])
    kind = schema.get("type")
    return {"integer": 1, "number": 1.0, "boolean": True, "array": [], "object": {}}.get(
        str(kind), "value"
    )

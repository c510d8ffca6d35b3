"""The shape of a flow document outside plugins: flow keys, input types, id patterns."""

from __future__ import annotations

import re

FLOW_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")
NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
TASK_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
INPUT_ID = re.compile(r"^[a-zA-Z0-9][.a-zA-Z0-9_-]*$")
MAX_ID_LENGTH = 100

FLOW_KEYS = frozenset(
    {
        "id",
        "namespace",
        "revision",
        "description",
        "labels",
        "inputs",
        "outputs",
        "variables",
        "tasks",
        "errors",
        "finally",
        "afterExecution",
        "listeners",
        "triggers",
        "pluginDefaults",
        "taskDefaults",
        "disabled",
        "deleted",
        "concurrency",
        "retry",
        "sla",
        "tenantId",
        "checks",
    }
)

# Deprecated flow keys: the canonical form kflow reads them as.
DEPRECATED_FLOW_KEYS = {
    "taskDefaults": "'taskDefaults' is the old name of 'pluginDefaults'; kflow reads it as such",
    "listeners": "'listeners' are deprecated since Kestra 0.16; use 'afterExecution' or a Flow "
    "trigger. kflow runs their tasks after the execution ends when their conditions match",
}

INPUT_TYPES = frozenset(
    {
        "STRING",
        "ENUM",
        "SELECT",
        "MULTISELECT",
        "INT",
        "FLOAT",
        "BOOLEAN",
        "BOOL",
        "DATETIME",
        "DATE",
        "TIME",
        "DURATION",
        "FILE",
        "JSON",
        "URI",
        "SECRET",
        "ARRAY",
        "YAML",
        "EMAIL",
    }
)
ARRAY_ITEM_TYPES = INPUT_TYPES - {"ARRAY", "FILE", "ENUM", "SELECT", "MULTISELECT", "YAML"}

INPUT_KEYS = frozenset(
    {
        "id",
        "name",
        "type",
        "description",
        "displayName",
        "required",
        "defaults",
        "prefill",
        "dependsOn",
        "values",
        "options",
        "expression",
        "allowCustomValue",
        "isRadio",
        "autoSelectFirst",
        "validator",
        "min",
        "max",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "itemType",
        "after",
        "before",
        "extension",
        "allowedFileExtensions",
        "schema",
    }
)

OUTPUT_KEYS = frozenset({"id", "type", "value", "description", "displayName", "required"})

PLUGIN_DEFAULT_KEYS = frozenset({"type", "values", "forced"})

CONCURRENCY_BEHAVIORS = frozenset({"QUEUE", "CANCEL", "FAIL"})

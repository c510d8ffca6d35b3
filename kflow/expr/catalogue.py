"""Names that Kestra's Pebble knows: filters, functions, tests and the variables of the context.

Gathered from Pebble 3's core extension, Kestra's own extension (0.21 through 1.x) and Kestra's
expression documentation. Names that only some versions have are kept, and so are the deprecated
ones (``json`` the filter, ``jsonEncode``, ``printContext``): flows written for those versions
still use them. The seed notes' ``| int`` is accepted too. No dependency beyond the standard
library.
"""

from __future__ import annotations

__all__ = ["FILTERS", "FUNCTIONS", "LOOP_VARIABLE", "ROOT_VARIABLES", "TESTS"]

_PEBBLE_FILTERS = frozenset(
    {
        "abbreviate",
        "abs",
        "base64decode",
        "base64encode",
        "capitalize",
        "date",
        "default",
        "escape",
        "first",
        "join",
        "last",
        "length",
        "lower",
        "merge",
        "nl2br",
        "numberformat",
        "numberFormat",
        "raw",
        "replace",
        "reverse",
        "rsort",
        "sha256",
        "slice",
        "sort",
        "split",
        "title",
        "trim",
        "upper",
        "urlencode",
    }
)

_KESTRA_FILTERS = frozenset(
    {
        "chunk",
        "className",
        "condense",
        "dateAdd",
        "distinct",
        "endsWith",
        "escapeChar",
        "flatten",
        "fromIon",
        "fromJson",
        "indent",
        "int",
        "jq",
        "json",
        "jsonEncode",
        "keys",
        "md5",
        "nindent",
        "number",
        "regexExtract",
        "regexMatch",
        "regexReplace",
        "sha1",
        "sha512",
        "slugify",
        "startsWith",
        "string",
        "substringAfter",
        "substringAfterLast",
        "substringBefore",
        "substringBeforeLast",
        "timestamp",
        "timestampMicro",
        "timestampMilli",
        "timestampNano",
        "toBoolean",
        "toIon",
        "toJson",
        "uniq",
        "unique",
        "urldecode",
        "values",
        "yaml",
    }
)

#: Filters: ``value | name``.
FILTERS: frozenset[str] = _PEBBLE_FILTERS | _KESTRA_FILTERS

_PEBBLE_FUNCTIONS = frozenset({"block", "cycle", "i18n", "max", "min", "parent", "range"})

_KESTRA_FUNCTIONS = frozenset(
    {
        "currentEachOutput",
        "decrypt",
        "encrypt",
        "errorLogs",
        "fetchContext",
        "fileExists",
        "fileSize",
        "fileURI",
        "fromIon",
        "fromJson",
        "http",
        "id",
        "isFileEmpty",
        "jsonDecode",
        "json",
        "ksuid",
        "kv",
        "nanoId",
        "now",
        "printContext",
        "randomInt",
        "randomPort",
        "read",
        "render",
        "renderOnce",
        "secret",
        "tasksWithState",
        "uuid",
        "yaml",
    }
)

#: Functions: ``name(args)``.
FUNCTIONS: frozenset[str] = _PEBBLE_FUNCTIONS | _KESTRA_FUNCTIONS

#: Tests: ``value is name`` / ``value is not name``.
TESTS: frozenset[str] = frozenset(
    {"defined", "empty", "even", "iterable", "json", "map", "null", "odd"}
)

#: The variables an execution's context provides at its root.
ROOT_VARIABLES: frozenset[str] = frozenset(
    {
        "envs",
        "execution",
        "flow",
        "globals",
        "inputs",
        "kestra",
        "labels",
        "namespace",
        "outputs",
        "parent",
        "parents",
        "task",
        "taskrun",
        "tasks",
        "trigger",
        "workerTaskrun",
        "vars",
    }
)

#: Bound inside ``{% for %}`` bodies only (``loop.index``, ``loop.first``, …).
LOOP_VARIABLE = "loop"

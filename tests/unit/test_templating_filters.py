"""Every filter of the templating shim, with Kestra's documented results where there are some.

Comments name the Kestra documentation page an expected value comes from ("expressions" is the
Expressions reference page, whose sections are named after the colon).
"""

from __future__ import annotations

from typing import Any

import pytest

from kflow.expr import catalogue
from kflow.runtime_shims.templating import TemplateError, evaluate, render
from kflow.runtime_shims.templating.filters import FILTERS

VARIABLES: dict[str, Any] = {
    "payload": {
        "name": "John Doe",
        "score": {"English": 72, "Maths": 88, "French": 95, "Spanish": 85, "Science": 91},
        "address": {"city": "Paris", "country": "France"},
        "graduation_years": [2020, 2021, 2022, 2023],
    },
    "outputs": {
        "task1": {"value": 1, "text": "awesome1"},
        "task2": {"value": 2, "text": "awesome2"},
    },
    "user": {"phoneNumber": None},
    "foo": "foo",
    "labels": {"team": "data", "env": "dev"},
}


def r(template: str) -> str:
    return render(template, VARIABLES)


def ev(template: str) -> Any:
    return evaluate(template, VARIABLES)


# Every case: (template, expected typed value). Documented examples first in each group.
CASES: dict[str, list[tuple[str, Any]]] = {
    "abbreviate": [
        # Kestra docs, expressions: String Filters / abbreviate.
        ('{{ "this is a long sentence." | abbreviate(7) }}', "this..."),
        # Kestra docs, expressions: Filters (chained).
        ('{{ "Lemons to lemonade." | upper | abbreviate(10) }}', "LEMONS ..."),
        ("{{ 'short' | abbreviate(10) }}", "short"),
        ("{{ 'abcdef' | abbreviate(2) }}", "ab"),
        ("{{ null | abbreviate(2) }}", None),
    ],
    "abs": [
        # Kestra docs, expressions: Numeric Filters / abs.
        ("{{ -7 | abs }}", 7),
        ("{{ -2.5 | abs }}", 2.5),
    ],
    "base64decode": [
        # Kestra docs, expressions: String Filters / base64decode.
        ('{{ "dGVzdA==" | base64decode }}', "test"),
    ],
    "base64encode": [
        # Kestra docs, expressions: String Filters / base64encode.
        ('{{ "test" | base64encode }}', "dGVzdA=="),
        ("{{ 'é' | base64encode }}", "w6k="),
    ],
    "capitalize": [
        # Kestra docs, expressions: String Filters / capitalize.
        ('{{ "article title" | capitalize }}', "Article title"),
        ("{{ '  hello World' | capitalize }}", "  Hello World"),
    ],
    "chunk": [
        # Kestra docs, expressions: Object Filters / chunk.
        ("{{ [1, 2, 3, 4, 5] | chunk(2) }}", [[1, 2], [3, 4], [5]]),
        ("{{ [] | chunk(3) }}", []),
    ],
    "className": [
        # Kestra docs, expressions: Object Filters / className gives java.lang.Float here;
        # kflow has one floating-point type, reported as Java's double.
        ('{{ "12.3" | number | className }}', "java.lang.Double"),
        ("{{ 'a' | className }}", "java.lang.String"),
        ("{{ 3 | className }}", "java.lang.Integer"),
        ("{{ [1] | className }}", "java.util.ArrayList"),
        ("{{ {'a': 1} | className }}", "java.util.LinkedHashMap"),
    ],
    "condense": [("{{ 'a\nb\nc' | condense }}", "abc")],
    "date": [
        # Kestra docs, expressions: Temporal Filters / date.
        (
            '{{ "July 24, 2001" | date("yyyy-MM-dd", existingFormat="MMMM dd, yyyy") }}',
            "2001-07-24",
        ),
        ('{{ "2001-07-24T10:00:00Z" | date("yyyy-MM-dd HH:mm") }}', "2001-07-24 10:00"),
        ("{{ '2024-01-01T10:00:00.5Z' | date }}", "2024-01-01T10:00:00.500000Z"),
    ],
    "dateAdd": [
        # Kestra docs, expressions: Temporal Filters / dateAdd (shape of the documented output).
        (
            "{{ '2024-07-09T06:17:01.174686Z' | dateAdd(-1, 'DAYS') }}",
            "2024-07-08T06:17:01.174686Z",
        ),
        ("{{ '2024-01-31' | dateAdd(1, 'MONTHS', format='yyyy-MM-dd') }}", "2024-02-29"),
    ],
    "default": [
        # Kestra docs, expressions: String Filters / default.
        ('{{ user.phoneNumber | default("No phone number") }}', "No phone number"),
        ("{{ user.missing | default('x') }}", "x"),
        ("{{ '  ' | default('blank') }}", "blank"),
        ("{{ [] | default([1]) }}", [1]),
        ("{{ 0 | default(1) }}", 0),
        ("{{ false | default(true) }}", False),
        ("{{ 'v' | default('x') }}", "v"),
    ],
    "distinct": [
        # Kestra docs, expressions: Object Filters / distinct.
        ("{{ ['1', '1', '2', '3'] | distinct }}", ["1", "2", "3"]),
        ("{{ [1, 1.0, 'a', [1], [1]] | distinct }}", [1, "a", [1]]),
    ],
    "endsWith": [("{{ 'hello world' | endsWith('world') }}", True)],
    "escapeChar": [
        # Kestra docs, expressions: String Filters / escapeChar.
        ("{{ \"Can't be here\" | escapeChar('single') }}", "Can\\'t be here"),
        ("{{ 'say \"hi\"' | escapeChar('double') }}", 'say \\"hi\\"'),
        ("{{ \"it's\" | escapeChar('shell') }}", "it'\\''s"),
    ],
    "first": [
        # Kestra docs, expressions: Object Filters / first.
        ("{{ ['apple', 'banana'] | first }}", "apple"),
        ("{{ 'Mitch' | first }}", "M"),
        ("{{ [] | first }}", None),
    ],
    "flatten": [("{{ [[1, 2], 3, [[4]]] | flatten }}", [1, 2, 3, [4]])],
    "fromJson": [("{{ '{\"a\": [1, 2.5]}' | fromJson }}", {"a": [1, 2.5]})],
    "indent": [
        # Kestra docs, expressions: YAML Filters / indent (the first line stays in place).
        ('{{ "key: value" | indent(2) }}', "key: value"),
        ("{{ 'a\nb\nc' | indent(2) }}", "a\n  b\n  c"),
        ("{{ 'a\r\nb' | indent(1, '-') }}", "a\r\n-b"),
    ],
    "int": [
        ("{{ '08' | int }}", 8),
        ("{{ 8.9 | int }}", 8),
        ("{{ '-3.7' | int }}", -3),
        ("{{ 5 | int }}", 5),
    ],
    "jq": [
        # Kestra docs, expressions: JSON Filters / jq.
        ("{{ [1, 2, 3] | jq('.') }}", [[1, 2, 3]]),
        ("{{ [1, 2, 3] | jq('.[0]') | first }}", 1),
        ("{{ outputs | jq('.task1.value') | first }}", 1),
        ("{{ payload.score | values | jq('reduce .[] as $num (0; .+$num)') | first }}", 431),
        ("{{ '{\"a\": [1, 2]}' | jq('.a[]') }}", [1, 2]),
    ],
    "join": [
        # Kestra docs, expressions: Object Filters / join.
        ("{{ ['apple', 'banana'] | join(', ') }}", "apple, banana"),
        ("{{ [1, null, true] | join }}", "1nulltrue"),
    ],
    "json": [("{{ {'a': 1} | json }}", '{"a":1}')],
    "jsonEncode": [("{{ [1] | jsonEncode }}", "[1]")],
    "keys": [
        # Kestra docs, expressions: Object Filters / keys.
        ("{{ {'foo': 'bar', 'baz': 'qux'} | keys }}", ["foo", "baz"]),
        ("{{ ['a', 'b'] | keys }}", [0, 1]),
    ],
    "last": [
        # Kestra docs, expressions: Object Filters / last.
        ("{{ ['apple', 'banana'] | last }}", "banana"),
        ("{{ 'Mitch' | last }}", "h"),
    ],
    "length": [
        # Kestra docs, expressions: Object Filters / length; "Manipulating JSON Payloads".
        ("{{ 'Mitch' | length }}", 5),
        ("{{ payload.score | length }}", 5),
        ("{{ payload.graduation_years | length }}", 4),
        ("{{ null | length }}", 0),
    ],
    "lower": [
        # Kestra docs, expressions: String Filters / lower.
        ('{{ "LOUD TEXT" | lower }}', "loud text"),
    ],
    "md5": [("{{ 'test' | md5 }}", "098f6bcd4621d373cade4e832627b4f6")],
    "merge": [
        # Kestra docs, expressions: Object Filters / merge.
        ("{{ [1, 2] | merge([3, 4]) }}", [1, 2, 3, 4]),
        ("{{ {'a': 1} | merge({'b': 2, 'a': 3}) }}", {"a": 3, "b": 2}),
    ],
    "nindent": [
        ('{{ "key: value" | nindent(2) }}', "\n  key: value"),
        ("{{ 'a\nb' | nindent(4) }}", "\n    a\n    b"),
    ],
    "nl2br": [("{{ 'a\nb' | nl2br }}", "a<br />b")],
    "number": [
        # Kestra docs, expressions: Numeric Filters / number.
        ('{{ "12.3" | number }}', 12.3),
        ("{{ '12' | number }}", 12),
        ('{{ "9223372036854775807" | number("BIGDECIMAL") }}', 9223372036854775807.0),
        ("{{ '12' | number('DOUBLE') }}", 12.0),
        ("{{ '0x1F' | number }}", 31),
        ("{{ '5L' | number }}", 5),
        ("{{ 7 | number }}", 7),
    ],
    "numberFormat": [
        # Kestra docs, expressions: Numeric Filters / numberFormat.
        ('{{ 3.141592653 | numberFormat("#.##") }}', "3.14"),
        ("{{ 1234567.891 | numberFormat('#,##0.00') }}", "1,234,567.89"),
        ("{{ 0.5 | numberFormat('#.##') }}", ".5"),
        ("{{ 0.125 | numberFormat('0.00') }}", "0.12"),
        ("{{ 0.256 | numberFormat('0.0%') }}", "25.6%"),
        ("{{ -3 | numberFormat('000') }}", "-003"),
        ("{{ 42 | numberFormat(\"'#'0\") }}", "#42"),
    ],
    "numberformat": [("{{ 2.5 | numberformat('0.0') }}", "2.5")],
    "regexExtract": [
        ("{{ 'order-12345-done' | regexExtract('\\\\d+') }}", "12345"),
        ("{{ 'k=v' | regexExtract('(\\\\w)=(\\\\w)', 2) }}", "v"),
        ("{{ 'none' | regexExtract('\\\\d') }}", None),
    ],
    "regexMatch": [
        ("{{ 'abc-123' | regexMatch('\\\\d+') }}", True),
        ("{{ 'abc' | regexMatch('^b') }}", False),
    ],
    "regexReplace": [
        ("{{ 'hello world' | regexReplace('world', 'java') }}", "hello java"),
        ("{{ 'a1b22' | regexReplace('(\\\\d+)', '<$1>') }}", "a<1>b<22>"),
    ],
    "replace": [
        # Kestra docs, expressions: String Filters / replace.
        (
            "{{ \"I like %this% and %that%.\" | replace({'%this%': foo, '%that%': \"bar\"}) }}",
            "I like foo and bar.",
        ),
        ("{{ 'a.b.c' | replace({'\\\\.': '-'}, regexp=true) }}", "a-b-c"),
        ("{{ ['ab', 'cb'] | replace({'b': 'x'}) }}", ["ax", "cx"]),
    ],
    "reverse": [
        # Kestra docs, expressions: Object Filters / reverse.
        ("{{ ['apple', 'banana'] | reverse }}", ["banana", "apple"]),
        ("{{ 'abc' | reverse }}", "cba"),
    ],
    "rsort": [
        # Kestra docs, expressions: Object Filters / rsort.
        ("{{ [3, 1, 2] | rsort }}", [3, 2, 1]),
    ],
    "sha1": [("{{ 'test' | sha1 }}", "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3")],
    "sha256": [
        # Kestra docs, expressions: String Filters / sha256.
        (
            '{{ "test" | sha256 }}',
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ),
    ],
    "sha512": [
        (
            "{{ 'test' | sha512 }}",
            "ee26b0dd4af7e749aa1a8ee3c10ae9923f618980772e473f8819a5d4940e0db27ac185f8a0e1d5f"
            "84f88bc887fd67b143732c304cc5fa9ad8e6f57f50028a8ff",
        )
    ],
    "slice": [
        # Kestra docs, expressions: Object Filters / slice.
        ("{{ ['apple', 'banana', 'cherry'] | slice(1, 2) }}", ["banana"]),
        ("{{ 'Mitch' | slice(1, 3) }}", "it"),
        ("{{ 'Mitch' | slice(2) }}", "tch"),
    ],
    "slugify": [
        # Kestra docs, expressions: String Filters / slugify.
        ('{{ "Hello World!" | slugify }}', "hello-world"),
        ("{{ 'Crème Brûlée' | slugify }}", "creme-brulee"),
    ],
    "sort": [
        # Kestra docs, expressions: Object Filters / sort.
        ("{{ [3, 1, 2] | sort }}", [1, 2, 3]),
        ("{{ ['b', 'a'] | sort }}", ["a", "b"]),
    ],
    "split": [
        # Kestra docs, expressions: Object Filters / split.
        ("{{ 'apple,banana,cherry' | split(',') }}", ["apple", "banana", "cherry"]),
        ("{{ 'apple,banana,cherry,grape' | split(',', 2) }}", ["apple", "banana,cherry,grape"]),
        ("{{ 'a.b' | split('\\\\.') }}", ["a", "b"]),
        ("{{ 'a,b,,' | split(',') }}", ["a", "b"]),
        ("{{ 'a,b,,' | split(',', -1) }}", ["a", "b", "", ""]),
    ],
    "startsWith": [
        # Kestra docs, expressions: String Filters / startsWith.
        ('{{ "hello world" | startsWith("hello") }}', True),
    ],
    "string": [
        # Kestra docs, expressions: String Filters / string.
        ("{{ 123 | string }}", "123"),
        ("{{ 1.5 | string }}", "1.5"),
        ("{{ '007' | string }}", "7"),
    ],
    "substringAfter": [
        # Kestra docs, expressions: String Filters / substringAfter.
        ('{{ "a.b.c" | substringAfter(".") }}', "b.c"),
        ("{{ 'abc' | substringAfter('z') }}", ""),
    ],
    "substringAfterLast": [
        # Kestra docs, expressions: String Filters / substringAfterLast.
        ('{{ "a.b.c" | substringAfterLast(".") }}', "c"),
    ],
    "substringBefore": [
        # Kestra docs, expressions: String Filters / substringBefore.
        ('{{ "a.b.c" | substringBefore(".") }}', "a"),
        ("{{ 'abc' | substringBefore('z') }}", "abc"),
    ],
    "substringBeforeLast": [
        # Kestra docs, expressions: String Filters / substringBeforeLast.
        ('{{ "a.b.c" | substringBeforeLast(".") }}', "a.b"),
    ],
    "timestamp": [("{{ '2013-09-08T16:19:12.123456+01:00' | timestamp }}", 1378653552)],
    "timestampMicro": [
        ("{{ '2013-09-08T16:19:12.123456+01:00' | timestampMicro }}", 1378653552123456)
    ],
    "timestampMilli": [
        ("{{ '2013-09-08T16:19:12.123456+01:00' | timestampMilli }}", 1378653552123)
    ],
    "timestampNano": [
        ("{{ '2013-09-08T16:19:12.123456+01:00' | timestampNano }}", 1378653552123456000)
    ],
    "title": [
        # Kestra docs, expressions: String Filters / title.
        ('{{ "article title" | title }}', "Article Title"),
        ("{{ 'mIxed case' | title }}", "MIxed Case"),
    ],
    "toBoolean": [
        ("{{ 'TRUE' | toBoolean }}", True),
        ("{{ 'false' | toBoolean }}", False),
        ("{{ 0 | toBoolean }}", False),
    ],
    "toJson": [
        # Kestra docs, expressions: JSON Filters / toJson.
        ("{{ [1, 2, 3] | toJson }}", "[1,2,3]"),
        ("{{ true | toJson }}", "true"),
        ('{{ "foo" | toJson }}', '"foo"'),
        ("{{ null | toJson }}", "null"),
    ],
    "trim": [
        # Kestra docs, expressions: String Filters / trim.
        ('{{ "   padded text   " | trim }}', "padded text"),
        ("{{ '\t x \n' | trim }}", "x"),
    ],
    "uniq": [("{{ [1, 2, 1] | uniq }}", [1, 2])],
    "unique": [("{{ ['a', 'a'] | unique }}", ["a"])],
    "upper": [
        # Kestra docs, expressions: String Filters / upper.
        ('{{ "quiet sentence" | upper }}', "QUIET SENTENCE"),
    ],
    "urldecode": [
        # Kestra docs, expressions: String Filters / urldecode.
        ('{{ "The+string+%C3%BC%40foo-bar" | urldecode }}', "The string ü@foo-bar"),
    ],
    "urlencode": [
        # Kestra docs, expressions: String Filters / urlencode.
        ('{{ "The string ü@foo-bar" | urlencode }}', "The+string+%C3%BC%40foo-bar"),
        ("{{ 'a*b~c' | urlencode }}", "a*b%7Ec"),
    ],
    "values": [
        # Kestra docs, expressions: Object Filters / values.
        ("{{ {'foo': 'bar', 'baz': 'qux'} | values }}", ["bar", "qux"]),
    ],
    "yaml": [
        # Kestra docs, expressions: YAML Filters / yaml (objects are written as YAML).
        ('{{ {"key": "value"} | yaml }}', "key: value\n"),
        ("{{ labels | yaml }}", "team: data\nenv: dev\n"),
        ("{{ {'list': [1, 'two']} | yaml }}", "list:\n  - 1\n  - two\n"),
        ("{{ null | yaml }}", "null"),
    ],
}

_ALL = [(name, template, expected) for name, cases in CASES.items() for template, expected in cases]


@pytest.mark.parametrize(("name", "template", "expected"), _ALL)
def test_filter(name: str, template: str, expected: Any) -> None:
    result = ev(template)
    assert result == expected, (name, template)
    assert type(result) is type(expected), (name, template)


def test_every_implemented_filter_is_tested() -> None:
    assert set(FILTERS) == set(CASES)


def test_documented_json_payload_example() -> None:
    # Kestra docs, expressions: "Manipulating JSON Payloads".
    lines = [
        "Student name: {{ payload.name }}",
        "Score in languages: {{ payload.score.English + payload.score.French "
        "+ payload.score.Spanish }}",
        "Total subjects: {{ payload.score | length }}",
        "Total score: {{ payload.score | values | jq('reduce .[] as $num (0; .+$num)') | first }}",
        "Complete address: {{ payload.address.city }}, {{ payload.address.country | upper }}",
        "Total years for graduation: {{ payload.graduation_years | length }}",
        "Started college in: {{ payload.graduation_years | first }}",
        "Completed college in: {{ payload.graduation_years | last }}",
    ]
    assert [r(line) for line in lines] == [
        "Student name: John Doe",
        "Score in languages: 252",
        "Total subjects: 5",
        "Total score: 431",
        "Complete address: Paris, FRANCE",
        "Total years for graduation: 4",
        "Started college in: 2020",
        "Completed college in: 2023",
    ]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ 'x' | base64decode }}", "not valid base64"),
        ("{{ 'abc' | number }}", "not a number"),
        ("{{ 'abc' | number('INT') }}", "not a number"),
        ("{{ '1.5' | number('INT') }}", "not an integer"),
        ("{{ 'a' | abs }}", "'abs' needs a number"),
        ("{{ 'a' | join }}", "'join' needs a list"),
        ("{{ [1, 'a'] | sort }}", "a list of numbers or a list of strings"),
        ("{{ 'abc' | slice(2, 1) }}", "greater than fromIndex"),
        ("{{ 'abc' | slice(0, 9) }}", "must not exceed the length"),
        ("{{ [1] | chunk(0) }}", "must be positive"),
        ("{{ 'a' | chunk(1) }}", "'chunk' needs a list"),
        ("{{ 'x' | escapeChar('weird') }}", "must be 'single', 'double' or 'shell'"),
        ("{{ 'x' | replace('y') }}", "needs a map of replacements"),
        ("{{ 'x' | jq('.[') }}", "invalid JSON"),
        ("{{ [1] | jq('.[') }}", "jq failed"),
        ("{{ 'x' | indent }}", "needs the argument 'amount'"),
        ("{{ 'x' | split }}", "needs a delimiter"),
        ("{{ 'x' | upper(1) }}", "takes at most 0 argument"),
        ("{{ 'x' | date(fmt='x') }}", "has no argument 'fmt'"),
        ("{{ 'x' | slice(1, fromIndex=1) }}", "given twice"),
        ("{{ 3 | condense }}", "only be applied to strings"),
        ("{{ 'a' | regexMatch('(') }}", "invalid regular expression"),
        ("{{ 'a' | numberFormat('0.0') }}", "needs a number"),
        ("{{ 1 | numberFormat('0.0E0') }}", "scientific"),
        ("{{ {'a': 1} | upper }}", "'upper' needs a string"),
        ("{{ 'x' | toIon }}", "filter 'toIon' is not supported by kflow yet"),
        ("{{ 'x' | escape }}", "filter 'escape' is not supported by kflow yet"),
    ],
)
def test_filter_errors(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        r(template)


def test_null_input_passes_through() -> None:
    nullable = {
        "abbreviate(1)", "base64decode", "base64encode", "capitalize", "chunk(1)", "date",
        "dateAdd(1, 'DAYS')", "distinct", "escapeChar('single')", "first", "flatten",
        "fromJson", "indent(1)", "int", "jq('.')", "join", "keys", "last", "lower", "md5",
        "nindent(1)", "nl2br", "number", "numberFormat('0')", "regexExtract('a')",
        "regexReplace('a', 'b')", "replace({'a': 'b'})", "reverse", "rsort", "sha1", "sha256",
        "sha512", "slice(0)", "slugify", "sort", "split(',')", "string", "substringAfter('a')",
        "substringAfterLast('a')", "substringBefore('a')", "substringBeforeLast('a')",
        "timestamp", "timestampMicro", "timestampMilli", "timestampNano", "title", "trim",
        "uniq", "unique", "upper", "urldecode", "urlencode", "values", "abs", "toBoolean",
        "numberformat('0')",
    }  # fmt: skip
    for call in sorted(nullable):
        assert ev("{{ null | " + call + " }}") is None, call


def test_unsupported_filters_are_the_known_ones() -> None:
    # Kestra removes escape and raw (no HTML escaping); Ion needs an Ion library.
    assert catalogue.FILTERS - set(FILTERS) == {"escape", "raw", "fromIon", "toIon"}

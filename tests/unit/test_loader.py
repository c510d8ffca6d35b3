"""The YAML loader: positions, YAML 1.2 scalars, and bad input as diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest

from kflow.compiler.loader import MAX_FILE_BYTES, Mapping, Scalar, Sequence, load_file, load_text


def codes(text: str) -> list[str]:
    return [d.code for d in load_text("f.yml", text).diagnostics]


def test_positions_are_one_based_and_exact() -> None:
    doc = load_text("f.yml", "id: x\ntasks:\n  - id: a\n    message: hi\n")
    assert doc.root is not None
    tasks = doc.root.get("tasks")
    assert isinstance(tasks, Sequence)
    task = tasks.items[0]
    assert isinstance(task, Mapping)
    message = task.get("message")
    assert isinstance(message, Scalar)
    assert (message.span.line, message.span.column) == (4, 14)
    assert (message.span.end_line, message.span.end_column) == (4, 16)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("yes", "yes"),
        ("on", "on"),
        ("2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"),
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
        ("12", 12),
        ("0x1f", 31),
        ("0o17", 15),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("'12'", "12"),
        ("PT5M", "PT5M"),
    ],
)
def test_scalars_follow_yaml_1_2_core_schema(raw: str, value: object) -> None:
    doc = load_text("f.yml", f"v: {raw}\n")
    assert doc.root is not None
    node = doc.root.get("v")
    assert isinstance(node, Scalar)
    assert node.value == value and type(node.value) is type(value)


def test_locate_points_inside_strings() -> None:
    text = 'a: "x {{ y }}"\nb: |\n  line\n  {{ z }}\nc: plain {{ w }}\n'
    doc = load_text("f.yml", text)
    assert doc.root is not None
    for key, line, column in (("a", 1, 7), ("b", 4, 3), ("c", 5, 10)):
        node = doc.root.get(key)
        assert isinstance(node, Scalar)
        span = node.locate(node.value.index("{{"))
        assert (span.line, span.column) == (line, column), key


def test_duplicate_key_reports_the_second_with_the_first_line() -> None:
    doc = load_text("f.yml", "a: 1\nb: 2\na: 3\n")
    [d] = doc.diagnostics
    assert d.code == "KF102" and d.span.line == 3 and "line 1" in d.message


def test_anchors_aliases_and_merge_keys() -> None:
    doc = load_text("f.yml", "base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n")
    assert doc.diagnostics == []
    assert doc.root is not None
    use = doc.root.get("use")
    assert isinstance(use, Mapping)
    assert {k.value: v.value for k, v in use.items if isinstance(v, Scalar)} == {"y": 3, "x": 1}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "KF103"),
        ("# only a comment\n", "KF103"),
        ("a: 1\n---\nb: 2\n", "KF104"),
        ("- a\n- b\n", "KF105"),
        ("just text\n", "KF105"),
        ("a:\n\t- b\n", "KF106"),
        ("a: [1, 2\n", "KF101"),
        ("a: *missing\n", "KF101"),
        ("a: " + "[" * 500 + "]" * 500 + "\n", "KF108"),
        ("a: " + "{b: " * 500 + "1" + "}" * 500 + "\n", "KF108"),
    ],
)
def test_bad_documents_give_one_coded_diagnostic(text: str, code: str) -> None:
    assert codes(text) == [code]


def test_very_deep_nesting_does_not_crash_the_process() -> None:
    # libyaml's own composer overflows the C stack on this; ours stops at MAX_DEPTH
    assert codes("a: " + "[" * 200_000 + "]" * 200_000) == ["KF108"]


def test_binary_huge_and_non_utf8_files(tmp_path: Path) -> None:
    binary = tmp_path / "bin.yml"
    binary.write_bytes(b"id: x\x00\xff")
    huge = tmp_path / "huge.yml"
    huge.write_bytes(b"a: " + b"x" * (MAX_FILE_BYTES + 1))
    latin = tmp_path / "latin.yml"
    latin.write_bytes("id: caf\xe9\n".encode("latin-1"))
    missing = tmp_path / "missing.yml"
    for path in (binary, huge, latin, missing):
        doc = load_file(path)
        assert [d.code for d in doc.diagnostics] == ["KF107"], path
        assert doc.root is None

"""YAML/JSON reading: YAML 1.2 core values, positions for every node, and refusal of hostile input."""

from __future__ import annotations

import pytest

from arazzo import DocumentError
from arazzo._text import parse_text


def test_yaml_12_core_schema_keeps_json_values() -> None:
    text = (
        "a: 2024-01-01\nb: on\nc: 1e3\nd: .5\ne: 0x1f\nf: ~\ng: '1'\nh: -3\ni: yes\nj: true\n"
        "k: 2026-01-15-preview\n"
    )
    value = parse_text(text, "t.yaml").value
    assert value == {
        "a": "2024-01-01",
        "b": "on",
        "c": 1000.0,
        "d": 0.5,
        "e": 31,
        "f": None,
        "g": "1",
        "h": -3,
        "i": "yes",
        "j": True,
        "k": "2026-01-15-preview",
    }


def test_positions_of_values_and_keys() -> None:
    text = 'workflows:\n  - workflowId: w\n    steps:\n      - stepId: s\n        value: "Bearer x"\n'
    parsed = parse_text(text, "doc.yaml")
    pos = parsed.position(("workflows", 0, "steps", 0, "value"))
    assert (pos.file, pos.line, pos.column) == ("doc.yaml", 5, 16)
    key = parsed.position(("workflows", 0, "steps", 0, "value"), key=True)
    assert (key.line, key.column) == (5, 9)
    # an absent path falls back to the nearest ancestor that exists
    assert parsed.position(("workflows", 0, "steps", 0, "nope")).line == 4


def test_json_with_positions_and_fast_path() -> None:
    text = '{\n  "a": [1, 2.5e3, true, null, "x\\/y"]\n}'
    assert parse_text(text, "d.json").value == {"a": [1, 2500.0, True, None, "x/y"]}
    assert parse_text(text, "d.json").position(("a", 1)).line == 2
    assert parse_text(text, "d.json", positions=False).value == {"a": [1, 2500.0, True, None, "x/y"]}


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("a: 1\na: 2\n", "duplicate key 'a'", 2),
        ("a: &x [*x]\n", "recursive YAML alias", 1),
        ("a: !!python/object:os.system x\n", "not allowed", 1),
        ("a: [1, 2\n", "invalid YAML", 2),
        ("", "empty", 1),
        ('{"a": 1, "a": 2}', "duplicate key", 1),
    ],
)
def test_bad_documents_are_document_errors_with_positions(text: str, message: str, line: int) -> None:
    with pytest.raises(DocumentError) as info:
        parse_text(text, "bad.yaml")
    assert message in str(info.value)
    assert info.value.position is not None and info.value.position.line == line


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(DocumentError, match="too large"):
        parse_text("\n".join(lines) + "\n", "bomb.yaml")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(DocumentError, match="deeper|deeply"):
        parse_text("[" * 5000 + "]" * 5000, "deep.yaml")

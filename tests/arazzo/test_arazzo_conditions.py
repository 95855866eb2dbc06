"""Simple conditions: the whole operator set, case-insensitive strings, null for missing, numeric strings,
and proof that condition text is never executed as code."""

from __future__ import annotations

import pytest

from arazzo import ExpressionSyntaxError
from arazzo._conditions import compare, parse_condition, truthy
from arazzo._expressions import Message, Scope


@pytest.fixture()
def scope() -> Scope:
    s = Scope(inputs={"n": 3, "name": "Rex", "flag": True, "count": "10"})
    s.status_code = 200
    s.response = Message(
        {"x-count": "42", "content-type": "application/json"},
        {
            "status": "Succeeded",
            "data": [{"id": "a1", "tags": ["x"]}],
            "n": None,
            "q": "it's",
            "ok": True,
            "amount": "12.50",
            "nested": {"deep": {"v": 1}},
        },
    )
    return s


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("$statusCode == 200", True),
        ("$statusCode != 200", False),
        ("$statusCode >= 200 && $statusCode < 300", True),
        ("$statusCode == 404 || $statusCode == 200", True),
        ("$response.body#/status == 'succeeded'", True),  # case-insensitive, as 1.0.1 requires
        ("$response.body#/status != 'SUCCEEDED'", False),
        (
            "$statusCode == 200 && $response.body#/status == 'nope'",
            False,
        ),  # no clause dropped after a pointer
        ("!($statusCode == 200)", False),
        ("!$response.body#/missing", True),
        ("$response.body#/missing == null", True),
        ("$response.body#/n == null", True),
        ("$response.body#/status == null", False),
        ("null == null", True),
        ("$response.body.data[0].id == 'A1'", True),
        ("$response.body#/data/0/tags[0] == 'x'", True),
        ("$response.body.data[5].id == null", True),
        ("$response.body.nested.deep.v == 1", True),
        ("$response.body#/q == 'IT''S'", True),
        ("$response.header.X-Count > 41", True),  # numeric string vs number
        ("$inputs.count > 9", True),
        ("$response.body#/amount == 12.5", True),
        ("'10' < '9'", False),  # two numeric strings compare as numbers
        ("'abc' < 'ABD'", True),
        ("$inputs.flag == true", True),
        ("$response.body#/ok", True),
        ("$inputs.n == '3'", True),
        ("$inputs.n < 'abc'", False),  # ordering across types is false
        ("true && !false", True),
        ("(1 == 1 || 1 == 2) && !(2 < 1)", True),
        ("{$statusCode == 200}", True),  # whole condition in braces, as in the spec's component example
        ("{$statusCode} == 200", True),
        ("-1 < 0", True),
        ("1.5e2 == 150", True),
    ],
)
def test_conditions(condition: str, expected: bool, scope: Scope) -> None:
    assert parse_condition(condition).evaluate(scope) is expected


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('touch /tmp/arazzo-pwned')",
        "len('abc') == 3",
        "open('/etc/passwd')",
        "$statusCode == 200 # && false",
        "exec('1')",
        "lambda: 1",
        "$statusCode == 200 and true",
        "1 < 2 < 3",
        "$statusCode = 200",
        "",
        "(",
        "$statusCode ==",
        "[1]",
        "$response.body[-1] == 1",
        "'unterminated",
    ],
)
def test_invalid_conditions_never_run(text: str, tmp_path) -> None:
    with pytest.raises(ExpressionSyntaxError):
        parse_condition(text)


def test_python_code_in_a_condition_is_not_executed(tmp_path, monkeypatch) -> None:
    marker = tmp_path / "pwned"
    text = f"__import__('pathlib').Path('{marker}').touch() or $statusCode == 200"
    with pytest.raises(ExpressionSyntaxError, match="unknown word '__import__'"):
        parse_condition(text)
    assert not marker.exists()


def test_deep_nesting_is_bounded() -> None:
    with pytest.raises(ExpressionSyntaxError, match="nests deeper"):
        parse_condition("(" * 200 + "1" + ")" * 200)


def test_truthiness_and_compare() -> None:
    assert [truthy(v) for v in (None, False, 0, "", [], {}, "x", 1, [0])] == [
        False,
        False,
        False,
        False,
        False,
        False,
        True,
        True,
        True,
    ]
    assert compare("==", "ABC", "abc") and not compare("==", 1, "abc") and compare("==", True, "TRUE")
    assert compare("<", 2, "10") and not compare("<", None, 1) and compare(">=", "b", "A")

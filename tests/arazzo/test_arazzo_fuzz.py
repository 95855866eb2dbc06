"""Random and mutated text through the parsers: nothing but the engine's own errors, and no hang."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arazzo import DocumentError, ExpressionSyntaxError
from arazzo._conditions import parse_condition
from arazzo._criteria import CriterionError, build_criterion
from arazzo._expressions import Scope, parse_expression, parse_template
from arazzo._text import parse_text

ALPHABET = st.sampled_from(
    list("$#/~01.{}()[]!=<>&|' \"abcXYZ-_:@\\\n\t")
    + [
        "$inputs.",
        "$steps.",
        "$response.body#/",
        "$statusCode",
        "$request.header.",
        ".outputs.",
        "&&",
        "||",
        "==",
        "'it''s'",
        "null",
        "true",
        "{$",
        "$components.parameters.",
        "$workflows.w.outputs.",
    ]
)
TEXT = st.lists(ALPHABET, max_size=40).map("".join)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(TEXT)
def test_expressions(text: str) -> None:
    try:
        expr = parse_expression(text)
    except ExpressionSyntaxError:
        return
    expr.evaluate(Scope())


@FAST
@given(TEXT)
def test_conditions(text: str) -> None:
    try:
        condition = parse_condition(text)
    except ExpressionSyntaxError:
        return
    assert condition.evaluate(Scope()) in (True, False)


@FAST
@given(TEXT)
def test_templates(text: str) -> None:
    template, _errors = parse_template(text)
    if template is not None:
        assert isinstance(template.evaluate(Scope()), str)


@FAST
@given(TEXT, st.sampled_from(["regex", "jsonpath", "xpath", "simple"]))
def test_criteria(text: str, kind: str) -> None:
    try:
        criterion = build_criterion(text, kind, "$response.body")
    except (ExpressionSyntaxError, CriterionError):
        return
    assert criterion.evaluate(Scope()) in (True, False)


YAMLISH = st.lists(
    st.sampled_from(list("ab:-[]{}&*!|>'\"#\n  ,?%@`") + ["<<", "&x", "*x", "!!str", "---", "..."]),
    max_size=60,
).map("".join)


@FAST
@given(YAMLISH)
def test_yaml_text(text: str) -> None:
    try:
        parse_text(text, "fuzz.yaml")
    except DocumentError:
        pass

"""The runtime-expression grammar: every form of the ABNF, names with '-' and '.', pointers, templates,
and strings that are not complete expressions staying literal."""

from __future__ import annotations

import pytest

from arazzo import ExpressionSyntaxError
from arazzo._compiled import Const, ExprValue, TemplateValue, compile_value
from arazzo._expressions import Message, Scope, looks_like_expression, parse_expression, parse_template
from arazzo._values import MISSING


@pytest.fixture()
def scope() -> Scope:
    s = Scope(
        inputs={"name": "rex", "x-api-key": "k1", "pet": {"id": 7, "tags": ["a", "b"]}, "a.b": "dotted"},
        steps={"create": {"id": "i-1", "item": {"name": "rex", "list": [{"id": 5}]}, "out.x": 3}},
        outputs={"total": 9},
        workflows={"other": {"inputs": {"q": 1}, "outputs": {"res": {"k": "v"}}}},
        sources={"api": {"name": "api", "url": "./openapi.yaml", "type": "openapi"}},
        components={"parameters": {"page": {"name": "page", "in": "query", "value": 1}}},
    )
    s.url, s.method, s.status_code = "http://h/x?a=1", "POST", 201
    s.request = Message(
        {"accept": "application/json"}, {"user": {"uuid": "u-1"}}, {"a": ["1", "2"]}, {"id": "x/y"}
    )
    s.response = Message(
        {"x-rate-limit": "10", "content-type": "application/json"},
        {"status": "Done", "a/b": 1, "m~n": 2, "items": [{"id": "first"}], "": "empty"},
    )
    return s


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$url", "http://h/x?a=1"),
        ("$method", "POST"),
        ("$statusCode", 201),
        ("$request.header.Accept", "application/json"),
        ("$request.query.a", "1"),
        ("$request.path.id", "x/y"),
        ("$request.body#/user/uuid", "u-1"),
        ("$request.body", {"user": {"uuid": "u-1"}}),
        ("$response.header.X-RATE-LIMIT", "10"),
        ("$response.body#/status", "Done"),
        ("$response.body#/a~1b", 1),
        ("$response.body#/m~0n", 2),
        ("$response.body#/items/0/id", "first"),
        ("$response.body#/", "empty"),
        ("$response.body#/items/9/id", MISSING),
        ("$response.body#/nope", MISSING),
        ("$inputs.name", "rex"),
        ("$inputs.x-api-key", "k1"),
        ("$inputs.pet", {"id": 7, "tags": ["a", "b"]}),
        ("$inputs.pet.id", 7),
        ("$inputs.pet#/tags/1", "b"),
        ("$inputs.a.b", "dotted"),
        ("$inputs.missing", MISSING),
        ("$outputs.total", 9),
        ("$steps.create.outputs.id", "i-1"),
        ("$steps.create.outputs.item#/list/0/id", 5),
        ("$steps.create.outputs.item.name", "rex"),
        ("$steps.create.outputs.out.x", 3),
        ("$steps.create.outputs", {"id": "i-1", "item": {"name": "rex", "list": [{"id": 5}]}, "out.x": 3}),
        ("$steps.nope.outputs.id", MISSING),
        ("$workflows.other.inputs.q", 1),
        ("$workflows.other.outputs.res#/k", "v"),
        ("$sourceDescriptions.api.url", "./openapi.yaml"),
        ("$components.parameters.page", {"name": "page", "in": "query", "value": 1}),
    ],
)
def test_expressions_evaluate(text: str, expected: object, scope: Scope) -> None:
    assert parse_expression(text).evaluate(scope) == expected


@pytest.mark.parametrize(
    "text",
    [
        "$",
        "$foo",
        "$inputs",
        "$inputs.",
        "$statusCodes",
        "$steps.a",
        "$steps.a.output.b",
        "$request.cookie.x",
        "$response.body#nope",
        "$response.body#/a~2",
        "$workflows.w.params.x",
        "$components.schemas.x",
        "$inputs.a b",
        "$message.payload",
        "$response.bodyx",
    ],
)
def test_invalid_expressions_are_rejected(text: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        parse_expression(text)


def test_expression_parse_error_has_offset() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression("$steps.create.output.id")
    assert info.value.offset == len("$steps.create")


def test_templates_interpolate_and_keep_the_rest(scope: Scope) -> None:
    template, errors = parse_template(
        "Bearer {$inputs.name} at {$statusCode} {not} {$steps.create.outputs.item}"
    )
    assert not errors and template is not None
    assert template.evaluate(scope) == 'Bearer rex at 201 {not} {"name":"rex","list":[{"id":5}]}'


def test_template_with_a_broken_part_keeps_it_literal(scope: Scope) -> None:
    template, errors = parse_template("{$inputs.name}-{$nope}")
    assert template is not None and template.evaluate(scope) == "rex-{$nope}"
    assert errors and errors[0][0] == len("{$inputs.name}-{")


def test_compiled_values_keep_types_and_literals(scope: Scope) -> None:
    compiled = compile_value(
        {
            "whole": "$inputs.pet",
            "braced": "{$inputs.pet}",
            "text": "id={$inputs.pet.id}",
            "literal": "Bearer $inputs.name",
            "price": "$5.00",
            "jsonpath": "$.store.book[0]",
            "static": [1, "two", {"three": 3}],
        }
    )
    value = compiled.evaluate(scope)
    assert value == {
        "whole": {"id": 7, "tags": ["a", "b"]},
        "braced": {"id": 7, "tags": ["a", "b"]},
        "text": "id=7",
        "literal": "Bearer $inputs.name",
        "price": "$5.00",
        "jsonpath": "$.store.book[0]",
        "static": [1, "two", {"three": 3}],
    }
    assert isinstance(compile_value("plain"), Const)
    assert isinstance(compile_value("$inputs.x"), ExprValue)
    assert isinstance(compile_value("a {$inputs.x}"), TemplateValue)


def test_literal_text_that_looks_like_an_expression_is_reported() -> None:
    reports: list[tuple[str, str, tuple]] = []
    compile_value(
        {"h": "Bearer $inputs.authToken", "ok": "Bearer {$inputs.authToken}", "price": "$5"},
        (),
        lambda sev, msg, path: reports.append((sev, msg, path)),
    )
    assert len(reports) == 1
    severity, message, path = reports[0]
    assert severity == "warning" and path == ("h",) and "{$inputs.authToken}" in message
    assert looks_like_expression("see $steps.a.outputs.b here") == "$steps.a.outputs.b"
    assert looks_like_expression("{$inputs.x}") is None
    assert looks_like_expression("cost: $5") is None

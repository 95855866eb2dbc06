"""Criteria of type regex (search semantics), jsonpath (RFC 9535, Goessner on request) and xpath (1.0-3.1)."""

from __future__ import annotations

import pytest

from arazzo._criteria import CriterionError, build_criterion
from arazzo._expressions import Message, Scope

XML = (
    "<pets><pet id='1'><name>Rex</name><status>available</status></pet>"
    "<pet id='2'><name>Tom</name></pet></pets>"
)


@pytest.fixture()
def scope() -> Scope:
    s = Scope(inputs={"wanted": "Rex", "code": "20"})
    s.status_code = 201
    s.response = Message(
        {"content-type": "application/json"},
        {"pets": [{"name": "Rex", "age": 3}, {"name": "Tom", "age": 9}], "status": "ready"},
    )
    return s


@pytest.mark.parametrize(
    ("condition", "type_", "context", "expected"),
    [
        ("^20[01]$", "regex", "$statusCode", True),
        ("0", "regex", "$statusCode", True),  # search, not full match
        ("^5", "regex", "$statusCode", False),
        ("^{$inputs.code}1$", "regex", "$statusCode", True),  # {$...} substituted before matching
        ("REA", "regex", "$response.body#/status", False),
        ("$.pets[?@.age > 5]", "jsonpath", "$response.body", True),
        ("$.pets[?@.age > 50]", "jsonpath", "$response.body", False),
        (
            "$[?count(@.pets) > 0]",
            "jsonpath",
            "$response.body",
            False,
        ),  # RFC 9535: filters the root's children
        ("$.pets[?@.name == '{$inputs.wanted}']", "jsonpath", "$response.body", True),
        (
            "$.pets[?(@.age > 5)]",
            {"type": "jsonpath", "version": "draft-goessner-dispatch-jsonpath-00"},
            "$response.body",
            True,
        ),
        ("$.nothing", "jsonpath", "$response.body#/missing", False),
    ],
)
def test_typed_criteria(condition, type_, context, expected, scope: Scope) -> None:
    assert build_criterion(condition, type_, context).evaluate(scope) is expected


@pytest.mark.parametrize("version", [None, "xpath-30", "xpath-20", "xpath-10"])
def test_xpath_criteria_in_every_version(version, scope: Scope) -> None:
    scope.response = Message({"content-type": "application/xml"}, XML)
    type_ = "xpath" if version is None else {"type": "xpath", "version": version}
    assert build_criterion("count(//pet) = 2", type_, "$response.body").evaluate(scope) is True
    assert (
        build_criterion("//pet[name='Rex']/status = 'available'", type_, "$response.body").evaluate(scope)
        is True
    )
    assert build_criterion("//pet[name='Nobody']", type_, "$response.body").evaluate(scope) is False


def test_xpath_on_non_xml_context_fails(scope: Scope) -> None:
    assert build_criterion("//pet", "xpath", "$response.body").evaluate(scope) is False


@pytest.mark.parametrize(
    ("condition", "type_", "context", "message"),
    [
        ("([", "regex", "$statusCode", "invalid regular expression"),
        ("$[?(@.x", "jsonpath", "$response.body", "invalid JSONPath"),
        ("//pet[", "xpath", "$response.body", "invalid XPath"),
        ("x", "regex", None, "needs a context"),
        ("x", "glob", "$statusCode", "unknown criterion type"),
        ("x", {"type": "jsonpath", "version": "rfc-9999"}, "$response.body", "unknown JSONPath version"),
        ("x", {"type": "xpath", "version": "xpath-40"}, "$response.body", "unknown XPath version"),
    ],
)
def test_bad_criteria_are_reported_at_load(condition, type_, context, message) -> None:
    with pytest.raises(CriterionError, match=message):
        build_criterion(condition, type_, context)

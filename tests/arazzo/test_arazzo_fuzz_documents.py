"""Whole documents, random and mutated, through the loader, the validator and the planner: nothing escapes
but the engine's own errors, every finding has a position, and nothing hangs (a per-example deadline)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import arazzo
from arazzo._plan_view import plan_workflow
from arazzo._simpleschema import surely_valid
from arazzo._validate import validate
from conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[2]
SEEDS = [
    FIXTURES / "basic.arazzo.yaml",
    FIXTURES / "lifecycle.arazzo.yaml",
    FIXTURES / "multi.arazzo.yaml",
    ROOT / "workflows" / "session-lifecycle.arazzo.yaml",
]
SEED_VALUES = [yaml.safe_load(p.read_text()) for p in SEEDS]
FUZZ = settings(
    max_examples=80,
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

WORDS = [
    "arazzo",
    "info",
    "sourceDescriptions",
    "workflows",
    "workflowId",
    "steps",
    "stepId",
    "operationId",
    "operationPath",
    "parameters",
    "requestBody",
    "payload",
    "replacements",
    "successCriteria",
    "onSuccess",
    "onFailure",
    "outputs",
    "inputs",
    "dependsOn",
    "components",
    "reference",
    "x-operation",
    "x-oai-thing",
    "name",
    "in",
    "value",
    "type",
    "condition",
    "context",
    "criteria",
    "retryAfter",
    "retryLimit",
    "target",
    "url",
    "method",
]
TEXTS = [
    "",
    "1.0.1",
    "$inputs.name",
    "$inputs.",
    "$steps.create.outputs.id",
    "$steps.nope.outputs.x",
    "{$inputs.tag}-x",
    "{$",
    "$response.body#/id",
    "$statusCode == 200",
    "$statusCode ==",
    "Bearer $inputs.token",
    "$components.parameters.trace",
    "$sourceDescriptions.testApi.url",
    "{$sourceDescriptions.testApi.url}#/paths/~1items/get",
    "listItems",
    "createItem",
    "getItem",
    "Sessions_Open",
    "header",
    "query",
    "path",
    "body",
    "cookie",
    "goto",
    "retry",
    "end",
    "regex",
    "jsonpath",
    "xpath",
    "[",
    "$..*",
    "//pet",
    "GET",
    "items",
    "./testapi.openapi.yaml",
    "./missing.yaml",
    "openapi",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(TEXTS),
    st.text(max_size=12),
)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(WORDS), st.text(max_size=6)), inner, max_size=5),
    ),
    max_leaves=30,
)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fuzz")
    for name in ("testapi.openapi.yaml", "schemas.yaml", "library.arazzo.yaml"):
        (d / name).write_text((FIXTURES / name).read_text())
    (d / "openapi").mkdir()
    return d


def exercise(path: Path) -> None:
    """Validate (never raises), load (only ArazzoError), and plan every workflow of what loads."""
    problems = validate(path)
    assert all(p.position is not None for p in problems), [str(p) for p in problems if p.position is None]
    assert all(p.severity in ("error", "warning", "info") for p in problems)
    try:
        document = arazzo.load(path)
    except arazzo.ArazzoError:
        assert any(p.severity == "error" for p in problems), "load failed but validate found no error"
        return
    for wf in document.workflows:
        try:
            plan_workflow(document, wf, {})
        except arazzo.ArazzoError:
            pass


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(doc: Any, path: tuple[Any, ...], how: str, new: Any) -> Any:
    if not path:
        return new if how == "replace" else doc
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    last = path[-1]
    if how == "delete":
        del parent[last]
    elif how == "replace":
        parent[last] = new
    elif how == "duplicate" and isinstance(parent, list):
        parent.insert(last, json.loads(json.dumps(parent[last])))
    elif how == "wrap":
        parent[last] = [parent[last]]
    return doc


@settings(FUZZ, max_examples=40)
@given(
    st.sampled_from(range(len(SEED_VALUES))),
    st.lists(
        st.tuples(st.integers(min_value=0), st.sampled_from(["delete", "replace", "duplicate", "wrap"]), JSONISH),
        min_size=1,
        max_size=4,
    ),
    st.booleans(),
)
def test_mutated_documents(fuzz_dir: Path, seed: int, mutations: list[tuple[int, str, Any]], as_yaml: bool) -> None:
    doc = json.loads(json.dumps(SEED_VALUES[seed]))
    for index, how, new in mutations:
        paths = _paths(doc)
        doc = _mutate(doc, paths[index % len(paths)], how, new)
    path = fuzz_dir / ("mutated.arazzo.yaml" if as_yaml else "mutated.arazzo.json")
    path.write_text(yaml.safe_dump(doc, sort_keys=False) if as_yaml else json.dumps(doc, indent=1))
    exercise(path)


@FUZZ
@given(JSONISH)
def test_random_documents(fuzz_dir: Path, value: Any) -> None:
    path = fuzz_dir / "random.arazzo.json"
    path.write_text(json.dumps(value))
    exercise(path)


@FUZZ
@given(
    st.fixed_dictionaries(
        {
            "arazzo": st.sampled_from(["1.0.1", "1.0.0", 1.0, "2.0.0"]),
            "info": st.one_of(st.fixed_dictionaries({"title": st.text(max_size=5), "version": st.just("1")}), JSONISH),
            "sourceDescriptions": st.just([{"name": "testApi", "url": "./testapi.openapi.yaml", "type": "openapi"}]),
            "workflows": st.lists(
                st.fixed_dictionaries(
                    {"workflowId": st.sampled_from(["w", "v", "w"]), "steps": st.lists(JSONISH, max_size=3)},
                    optional={"inputs": JSONISH, "outputs": JSONISH, "parameters": JSONISH, "dependsOn": JSONISH},
                ),
                max_size=3,
            ),
        },
        optional={"components": JSONISH},
    )
)
def test_documents_shaped_like_arazzo(fuzz_dir: Path, value: Any) -> None:
    path = fuzz_dir / "shaped.arazzo.yaml"
    path.write_text(yaml.safe_dump(value, sort_keys=False))
    exercise(path)


SCHEMAS = [
    {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer", "minimum": 0}}},
    {"type": "array", "items": {"type": ["string", "null"], "maxLength": 2}, "maxItems": 3},
    {"enum": [1, "1", True, None, [1], {"a": 1}]},
    {"type": "object", "additionalProperties": {"type": "number", "exclusiveMaximum": 5}},
    {"type": "object", "properties": {"x": {"const": 1.0}}, "additionalProperties": False},
    {"type": "number", "format": "int32"},
]


@settings(max_examples=300, deadline=timedelta(seconds=5))
@given(st.sampled_from(range(len(SCHEMAS))), JSONISH)
def test_simple_schema_check_never_contradicts_jsonschema(index: int, instance: Any) -> None:
    import jsonschema

    from arazzo._inputs import _format_checker

    schema = SCHEMAS[index]
    verdict = surely_valid(instance, schema)
    checker = _format_checker(jsonschema.Draft202012Validator.FORMAT_CHECKER)
    valid = jsonschema.Draft202012Validator(schema, format_checker=checker).is_valid(instance)
    if verdict is True:
        assert valid, (schema, instance)
    elif verdict is False:
        assert not valid, (schema, instance)

"""The committed facts.json is exactly what the extractor makes of Microsoft's contract today."""

from __future__ import annotations

import importlib.util
import json
import sys
from types import ModuleType
from typing import Any

import pytest

from ._paths import EXTRACT_SCRIPT, FACTS_PATH, SHARED_SOURCE


def _load_extractor() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extract_contract", EXTRACT_SCRIPT)
    assert spec is not None and spec.loader is not None, f"cannot load {EXTRACT_SCRIPT}"
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("extract_contract", module)
    spec.loader.exec_module(module)
    return module


extractor = _load_extractor()


@pytest.mark.skipif(
    not SHARED_SOURCE.exists(),
    reason=f"{SHARED_SOURCE} is absent (bare clone without ../shared); CI has it",
)
def test_committed_facts_match_the_contract() -> None:
    regenerated = extractor.render(extractor.facts_from_file(SHARED_SOURCE))
    committed = FACTS_PATH.read_text(encoding="utf-8")
    assert committed == regenerated, (
        "tests/contract/facts.json is out of date: run `python scripts/extract_contract.py`"
    )


def test_facts_carry_no_prose() -> None:
    """The facts must not smuggle the reference's descriptions or examples into the project."""
    text = FACTS_PATH.read_text(encoding="utf-8")
    for word in ('"description"', '"summary"', '"x-ms-examples"', '"example"', '"title"'):
        assert word not in text, f"facts.json contains {word}"


def _swagger(**extra: Any) -> dict[str, Any]:
    """A tiny hand-written Swagger 2.0 document exercising $ref parameters, allOf and enums."""
    doc: dict[str, Any] = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "2099-01-01", "description": "prose that must vanish"},
        "parameters": {
            "ApiVersion": {
                "name": "api-version",
                "in": "query",
                "required": True,
                "type": "string",
                "minLength": 1,
                "description": "prose",
            },
        },
        "paths": {
            "/things/{thingId}": {
                "put": {
                    "operationId": "Things_Put",
                    "description": "prose",
                    "parameters": [
                        {"$ref": "#/parameters/ApiVersion"},
                        {
                            "name": "thingId",
                            "in": "path",
                            "required": True,
                            "type": "string",
                            "maxLength": 36,
                            "pattern": "^[a-f0-9-]+$",
                            "x-ms-parameter-location": "client",
                        },
                        {
                            "name": "body",
                            "in": "body",
                            "required": True,
                            "schema": {"$ref": "#/definitions/Thing"},
                        },
                    ],
                    "responses": {
                        "200": {"description": "ok", "schema": {"$ref": "#/definitions/Thing"}},
                        "201": {"description": "made", "schema": {"$ref": "#/definitions/Thing"}},
                        "default": {"description": "err", "schema": {"$ref": "#/definitions/Err"}},
                    },
                },
                "delete": {
                    "operationId": "Things_Delete",
                    "parameters": [{"$ref": "#/parameters/ApiVersion"}],
                    "responses": {"204": {"description": "gone"}},
                },
            }
        },
        "definitions": {
            "Base": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "readOnly": True},
                    "kind": {"$ref": "#/definitions/Kind"},
                },
                "required": ["id", "kind"],
            },
            "Thing": {
                "type": "object",
                "allOf": [{"$ref": "#/definitions/Base"}],
                "properties": {"size": {"type": "integer", "format": "int64", "description": "prose"}},
                "required": ["size"],
            },
            "Kind": {"type": "string", "enum": ["A", "B"], "description": "prose"},
            "Err": {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]},
        },
    }
    doc.update(extra)
    return doc


def test_extract_resolves_refs_flattens_allof_and_drops_prose() -> None:
    facts = extractor.extract(_swagger(), "tiny.json")
    put = facts["operations"]["Things_Put"]
    assert put["method"] == "PUT"
    assert put["path"] == "/things/{thingId}"
    assert put["parameters"] == [
        {
            "in": "path",
            "maxLength": 36,
            "name": "thingId",
            "pattern": "^[a-f0-9-]+$",
            "required": True,
            "type": "string",
        },
        {"in": "query", "minLength": 1, "name": "api-version", "required": True, "type": "string"},
    ]
    assert put["body"] == {"name": "body", "required": True, "schema": "Thing"}
    assert put["responses"] == {"200": "Thing", "201": "Thing", "default": "Err"}
    assert put["successCodes"] == ["200", "201"]
    delete = facts["operations"]["Things_Delete"]
    assert delete["responses"] == {"204": None} and delete["body"] is None

    thing = facts["definitions"]["Thing"]
    assert thing["allOf"] == ["Base"]
    assert thing["required"] == ["id", "kind", "size"]
    assert thing["readOnly"] == ["id"]
    assert thing["properties"]["kind"] == {"ref": "Kind", "enum": ["A", "B"]}
    assert thing["properties"]["size"] == {"type": "integer", "format": "int64"}
    assert facts["definitions"]["Kind"] == {"type": "string", "enum": ["A", "B"]}
    assert "prose" not in json.dumps(facts)
    assert facts["apiVersion"] == "2099-01-01"


def test_extract_rejects_what_it_does_not_understand() -> None:
    bad_ref = _swagger()
    bad_ref["paths"]["/things/{thingId}"]["delete"]["parameters"] = [{"$ref": "#/parameters/Nope"}]
    with pytest.raises(extractor.ContractError, match="does not resolve"):
        extractor.extract(bad_ref)
    with pytest.raises(extractor.ContractError, match="Swagger 2.0"):
        extractor.extract({"openapi": "3.1.0"})


def test_render_is_stable() -> None:
    facts = extractor.extract(_swagger())
    assert extractor.render(facts) == extractor.render(json.loads(extractor.render(facts)))
    assert extractor.render(facts).endswith("}\n")


def test_check_mode_reports_drift(tmp_path: Any) -> None:
    source = tmp_path / "contract.json"
    source.write_text(json.dumps(_swagger()), encoding="utf-8")
    output = tmp_path / "facts.json"
    assert extractor.main(["--source", str(source), "--output", str(output), "--check"]) == 1
    assert extractor.main(["--source", str(source), "--output", str(output)]) == 0
    assert extractor.main(["--source", str(source), "--output", str(output), "--check"]) == 0
    output.write_text(output.read_text(encoding="utf-8").replace('"PUT"', '"POST"'), encoding="utf-8")
    assert extractor.main(["--source", str(source), "--output", str(output), "--check"]) == 1
    assert extractor.main(["--source", str(tmp_path / "missing.json"), "--output", str(output)]) == 2

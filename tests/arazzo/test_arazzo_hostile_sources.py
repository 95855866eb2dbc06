"""OpenAPI source descriptions as untrusted input: members of the wrong type are passed over like any the
index does not understand, a $ref to a device file is refused rather than read forever, and allOf members
shared level after level are expanded once each, not 2^levels times. Found by a crash hunt; each was an
internal error (exit 3) or a hang before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli

OPENAPI_HEAD: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "servers": [{"url": "http://127.0.0.1:9"}],
}


def _write(tmp_path: Path, openapi: dict[str, Any]) -> Path:
    (tmp_path / "api.json").write_text(json.dumps(openapi))
    doc = {
        "arazzo": "1.0.1",
        "info": {"title": "t", "version": "1"},
        "sourceDescriptions": [{"name": "api", "url": "./api.json", "type": "openapi"}],
        "workflows": [{"workflowId": "w", "steps": [{"stepId": "a", "operationId": "echo"}]}],
    }
    path = tmp_path / "doc.arazzo.json"
    path.write_text(json.dumps(doc))
    return path


ECHO_GET = {"get": {"operationId": "echo", "responses": {"200": {"description": "ok"}}}}


@pytest.mark.parametrize(
    "openapi",
    [
        {**OPENAPI_HEAD, "paths": {"/echo": ECHO_GET}, "components": "x"},
        {**OPENAPI_HEAD, "paths": {"/echo": {**ECHO_GET, "parameters": 7}}},
        {**OPENAPI_HEAD, "paths": {"/echo": {"get": {**ECHO_GET["get"], "parameters": 7}}}},
        {**OPENAPI_HEAD, "paths": {"/echo": {"post": {"operationId": "echo", "requestBody": {"content": 5}}}}},
        {
            "swagger": "2.0",
            "info": {"title": "t", "version": "1"},
            "host": "127.0.0.1:9",
            "paths": {
                "/echo": {
                    "post": {
                        "operationId": "echo",
                        "consumes": 5,
                        "parameters": [{"in": "formData", "name": "f", "type": "string"}],
                    }
                }
            },
        },
    ],
    ids=["components-string", "path-parameters-number", "operation-parameters-number", "content-number", "consumes"],
)
def test_members_of_the_wrong_type_are_passed_over(tmp_path: Path, openapi: dict[str, Any]) -> None:
    proc = run_cli("validate", str(_write(tmp_path, openapi)))
    assert proc.returncode == 0, proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_ref_to_a_device_file_is_refused(tmp_path: Path) -> None:
    doc = _write(tmp_path, {**OPENAPI_HEAD, "paths": {"/echo": {"$ref": "file:///dev/zero#/a"}}})
    proc = run_cli("validate", str(doc), timeout=60)
    assert proc.returncode == 2
    assert "/dev/zero is not a regular file" in proc.stdout + proc.stderr


def test_allof_members_shared_at_every_level_are_expanded_once(tmp_path: Path) -> None:
    """24 levels of `allOf: [$ref next, $ref next]`: 2^24 visits per check expanded naively (minutes); once
    each, it validates at once, and the deepest member's required field is still seen."""
    levels = 24
    schemas: dict[str, Any] = {
        f"A{i}": {"allOf": [{"$ref": f"#/components/schemas/A{i + 1}"}] * 2} for i in range(levels)
    }
    schemas[f"A{levels}"] = {"type": "object", "required": ["deep"], "properties": {"deep": {"type": "string"}}}
    openapi = {
        **OPENAPI_HEAD,
        "paths": {
            "/echo": {
                "post": {
                    "operationId": "echo",
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A0"}}}},
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
        "components": {"schemas": schemas},
    }
    doc = _write(tmp_path, openapi)
    written = json.loads(doc.read_text())
    written["workflows"][0]["steps"][0]["requestBody"] = {"payload": {"other": "x"}}
    doc.write_text(json.dumps(written))
    proc = run_cli("validate", str(doc), timeout=60)
    assert proc.returncode == 2 and "'deep'" in proc.stdout, proc.stdout + proc.stderr

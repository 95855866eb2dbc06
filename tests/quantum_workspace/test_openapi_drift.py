"""The committed OpenAPI file is exactly what the app generates: change a route or model, regenerate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_openapi.py"
COMMITTED = ROOT / "openapi" / "azure-quantum-data-plane-openapi.json"


def test_committed_openapi_matches_the_app(tmp_path: Path) -> None:
    fresh = tmp_path / "openapi.json"
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--output", str(fresh)], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert fresh.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8"), (
        "openapi/azure-quantum-data-plane-openapi.json is stale: run .venv/bin/python scripts/gen_openapi.py"
    )


def test_check_mode_reports_drift(tmp_path: Path) -> None:
    stale = tmp_path / "stale.json"
    stale.write_text("{}\n", encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--output", str(stale)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1
    assert "out of date" in completed.stderr


def test_generated_file_is_stable_and_has_no_framework_artifacts() -> None:
    text = COMMITTED.read_text(encoding="utf-8")
    doc = json.loads(text)
    assert text.endswith("}\n")
    assert text == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert doc["openapi"] == "3.1.0"
    assert "HTTPValidationError" not in text and "ValidationError" not in text and '"422"' not in text
    assert doc["servers"][0]["url"] == "https://{region}.quantum.azure.com"
    assert doc["servers"][0]["variables"]["region"]["default"] == "eastus"
    schemes = doc["components"]["securitySchemes"]
    assert schemes["AzureApiKeyAuth"] == {
        **schemes["AzureApiKeyAuth"],
        "type": "apiKey",
        "in": "header",
        "name": "x-ms-quantum-api-key",
    }
    assert schemes["AzureEntraAuth"]["type"] == "oauth2"
    for name in (
        "JobDetails",
        "SessionDetails",
        "BlobDetails",
        "SasUriResponse",
        "PagedJobDetails",
        "Azure.Core.Foundations.ErrorResponse",
    ):
        assert name in doc["components"]["schemas"], name
    for item in doc["paths"].values():
        for operation in item.values():
            error = operation["responses"]["default"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Azure.Core.Foundations.ErrorResponse"}
    job = doc["components"]["schemas"]["JobDetails"]
    assert job["properties"]["id"]["readOnly"] is True
    assert job["properties"]["status"]["readOnly"] is True
    assert sorted(job["required"]) == ["containerUri", "itemType", "name", "providerId", "target"]
    ops = {op["operationId"]: op for item in doc["paths"].values() for op in item.values()}
    assert set(ops["Jobs_Create"]["responses"]) == {"200", "201", "default"}
    assert set(ops["Sessions_Open"]["responses"]) == {"200", "201", "default"}

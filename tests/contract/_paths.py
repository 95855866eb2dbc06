"""Where the contract tests find their inputs, relative to the repository root."""

from __future__ import annotations

from pathlib import Path

__all__ = ["EXTRACT_SCRIPT", "FACTS_PATH", "OPENAPI_PATH", "REPO_ROOT", "SHARED_SOURCE"]

REPO_ROOT = Path(__file__).resolve().parents[2]
FACTS_PATH = Path(__file__).resolve().parent / "facts.json"
OPENAPI_PATH = REPO_ROOT / "openapi" / "azure-quantum-data-plane-openapi.json"
EXTRACT_SCRIPT = REPO_ROOT / "scripts" / "extract_contract.py"
# Microsoft's contract lives beside the repository (CI has it, a bare clone may not); never copied in.
SHARED_SOURCE = REPO_ROOT.parent / "shared" / "reference" / "azure-quantum-data-plane-2026-01-15-preview.json"

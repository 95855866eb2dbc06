"""Fast start: each command imports only what it needs. Checked on `sys.modules` of a real process (wall
time is measured by bench/engine_cli.py, never asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import HEADER

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("jsonschema", "referencing", "jsonpath", "elementpath", "rich", "httpx", "xml.etree", "difflib")


def modules_after(args: list[str], tmp_path: Path) -> tuple[int, set[str]]:
    """Run `arazzo ARGS` in a fresh interpreter; return its exit code and every module it imported."""
    out = tmp_path / "modules.json"
    code = (
        "import json, sys\n"
        "from arazzo.cli import main\n"
        "try:\n"
        f"    rc = main({args!r})\n"
        "except SystemExit as exc:\n"
        "    rc = exc.code\n"
        f"open({str(out)!r}, 'w').write(json.dumps([rc, sorted(sys.modules)]))\n"
    )
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    rc, modules = json.loads(out.read_text())
    return rc, set(modules)


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


def test_run_help_imports_nothing_but_argparse(tmp_path: Path) -> None:
    rc, modules = modules_after(["run", "--help"], tmp_path)
    assert rc == 0
    assert loaded(modules, (*HEAVY, "yaml", "asyncio", "arazzo._plan", "arazzo._runner")) == []


def test_validate_needs_no_runner_transport_or_reporting_libraries(tmp_path: Path) -> None:
    doc = str(ROOT / "workflows" / "microsoft-quantum-session-lifecycle-workflow.yml")
    rc, modules = modules_after(["validate", doc], tmp_path)
    assert rc == 2  # the user's workflow has errors: the whole validation ran
    assert "arazzo._validate" in modules
    heavy = (*HEAVY[:-1], "asyncio", "ssl", "arazzo._runner", "arazzo._transport", "arazzo._http")
    assert loaded(modules, heavy) == []


def test_a_plain_run_skips_jsonschema_and_rich(api_base: str, write_doc, tmp_path: Path) -> None:
    path = write_doc(
        HEADER
        + """\
workflows:
  - workflowId: w
    inputs:
      type: object
      required: [tag]
      properties:
        tag: {type: string}
        limit: {type: integer, minimum: 1, default: 5}
    steps:
      - stepId: list
        operationId: listItems
        parameters:
          - {name: tag, in: query, value: $inputs.tag}
          - {name: limit, in: query, value: $inputs.limit}
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {count: $response.body#/count}
    outputs: {count: $steps.list.outputs.count}
"""
    )
    rc, modules = modules_after(["run", str(path), "--server", f"testApi={api_base}", "--input", "tag=t"], tmp_path)
    assert rc == 0
    assert loaded(modules, HEAVY) == []
    # Invalid inputs still get jsonschema's precise messages.
    args = ["run", str(path), "--server", f"testApi={api_base}", "--input", "tag=t", "--input", "limit=0"]
    rc, modules = modules_after(args, tmp_path)
    assert rc == 2 and "jsonschema" in modules


def test_simple_schema_check_agrees_with_jsonschema() -> None:
    import jsonschema

    from arazzo._inputs import _format_checker
    from arazzo._simpleschema import surely_valid

    schema = {
        "type": "object",
        "required": ["a"],
        "properties": {
            "a": {"type": "integer", "minimum": 1, "format": "int32"},
            "b": {"type": ["string", "null"], "enum": ["x", None], "maxLength": 3},
            "c": {"type": "array", "items": {"type": "number"}, "minItems": 1},
            "d": {"type": "boolean", "const": True},
            "pw": {"type": "string", "format": "password"},
        },
        "additionalProperties": False,
    }
    checker = _format_checker(jsonschema.Draft202012Validator.FORMAT_CHECKER)  # the engine's (int32, int64 too)
    validator = jsonschema.Draft202012Validator(schema, format_checker=checker)
    cases = [
        {"a": 1},
        {"a": 1.0},
        {"a": True},
        {"a": 0},
        {"a": 2**31},
        {"a": 1, "b": None},
        {"a": 1, "b": "y"},
        {"a": 1, "c": []},
        {"a": 1, "c": [1, 2.5]},
        {"a": 1, "c": [1, "2"]},
        {"a": 1, "d": 1},
        {"a": 1, "d": True},
        {"a": 1, "pw": "secret"},
        {"a": 1, "z": 1},
        {},
        [],
    ]
    for case in cases:
        verdict = surely_valid(case, schema)
        assert verdict is not None, case
        assert verdict == validator.is_valid(case), case
    assert surely_valid({"a": "x"}, {"properties": {"a": {"pattern": "^x"}}}) is None
    assert surely_valid({"a": "x"}, {"$ref": "#/x"}) is None
    assert surely_valid("x", {"type": "string", "format": "email"}) is None


def test_a_parser_with_one_command_parses_and_helps_like_the_full_one(capsys: pytest.CaptureFixture[str]) -> None:
    from arazzo.cli import build_parser

    argvs = [
        ["run", "d.yaml", "-i", "a=1", "--input", "b=2", "-s", "api=http://x", "--json", "--max-steps", "5"],
        ["run", "d.yaml", "--workflow", "w", "--auth", "k=v", "--ca-bundle", "c.pem", "--timeout", "2"],
        ["validate", "a.yaml", "b.yaml", "--format", "json", "--strict", "--allow-host", "h"],
        ["plan", "d.yaml", "--format", "json", "--inputs", "i.json"],
        ["list", "d.yaml"],
        ["describe", "d.yaml", "-w", "w", "--debug"],
        ["run", "d.yaml", "--format", "json"],  # an option of another command: an error both ways
        ["run"],  # missing DOC
        ["run", "--help"],
        ["validate", "--help"],
    ]
    for argv in argvs:
        outcomes = []
        for parser in (build_parser(), build_parser(argv[0])):
            try:
                outcomes.append(vars(parser.parse_args(argv)))
            except SystemExit as exc:
                captured = capsys.readouterr()
                outcomes.append((exc.code, captured.out, captured.err))
        assert outcomes[0] == outcomes[1], argv
    assert build_parser("run").format_usage() == build_parser().format_usage()

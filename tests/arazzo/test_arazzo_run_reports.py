"""`arazzo run` for people and for CI: --har, --verbose, Ctrl-C that still writes every report, inputs from
a file, the environment and flags with errors that name the input, failures that name document, step and
line, and tracebacks only with --debug."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import arazzo_testapi
import pytest

from conftest import FIXTURES, HEADER, cli_json, run_cli

TOKEN = arazzo_testapi.BEARER


def lifecycle(api_base: str, *extra: str) -> list[str]:
    return [
        "run",
        str(FIXTURES / "lifecycle.arazzo.yaml"),
        "--server",
        f"dataPlaneApi={api_base}",
        "--input",
        f"authToken={TOKEN}",
        "--input",
        f"sessionId={uuid.uuid4()}",
        "--input",
        f"jobId={uuid.uuid4()}",
        *extra,
    ]


def test_har_file_holds_every_exchange_redacted(api_base: str, tmp_path: Path) -> None:
    har_path = tmp_path / "run.har"
    code, report, _ = cli_json(*lifecycle(api_base, "--har", str(har_path)))
    assert code == 0
    text = har_path.read_text()
    assert TOKEN not in text and "abc%2B%2F%3Ddef" not in text and "abc+/=def" not in text
    har = json.loads(text)
    assert har["log"]["version"] == "1.2" and har["log"]["creator"]["name"] == "arazzo"
    entries = har["log"]["entries"]
    attempts = sum(s["attempts"] for s in report["steps"])
    assert len(entries) == attempts  # one entry per HTTP exchange, retries included
    assert [e["_stepId"] for e in entries][:4] == ["openSession", "getInputBlobSasUri", "uploadCircuit", "createJob"]
    first = entries[0]
    assert first["request"]["method"] == "PUT"
    assert first["request"]["url"].startswith(f"{api_base}/sessions/")
    assert {"name": "Authorization", "value": "Bearer ***"} in first["request"]["headers"]
    assert json.loads(first["request"]["postData"]["text"])["itemType"] == "Session"
    assert first["response"]["status"] == 200 and first["response"]["statusText"] == "OK"
    assert json.loads(first["response"]["content"]["text"])["status"] == "Waiting"
    upload = entries[2]
    assert {"name": "sig", "value": "***"} in upload["request"]["queryString"]
    assert "sig=***" in upload["request"]["url"]
    polls = [e for e in entries if e["_stepId"] == "waitForJob"]
    assert [e["_attempt"] for e in polls] == list(range(1, len(polls) + 1))


def test_verbose_shows_requests_and_responses_redacted(api_base: str) -> None:
    proc = run_cli(*lifecycle(api_base, "--verbose"))
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr
    assert "> openSession: PUT " in err and "< openSession: 200 in " in err
    assert "> Authorization: Bearer ***" in err
    assert '>   {"name": "lifecycle", "providerId": "ionq"' in err
    assert "< content-type: application/json" in err
    assert "sig=***" in err
    assert TOKEN not in err + proc.stdout
    assert "workflow session-lifecycle succeeded" in proc.stdout


SLOW = (
    HEADER
    + """\
workflows:
  - workflowId: w
    steps:
      - {stepId: first, operationId: count, parameters: [{name: key, in: path, value: sigint}]}
      - {stepId: slow, operationId: slow, parameters: [{name: seconds, in: query, value: 20}]}
      - {stepId: never, operationId: count, parameters: [{name: key, in: path, value: sigint}]}
"""
)


def interrupt_during_slow_step(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Start the run, wait until the slow request has gone out (--verbose prints it first), send SIGINT."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "arazzo.cli", *args, "--verbose"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("> slow: GET"):
            break
    else:  # pragma: no cover - the run ended before the slow step
        proc.wait(timeout=30)
        pytest.fail("the slow step never started: " + "".join(seen))
    proc.send_signal(signal.SIGINT)
    out, rest = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "".join(seen) + rest)


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_writes_json_junit_and_har(api_base: str, write_doc, tmp_path: Path) -> None:
    path = write_doc(SLOW)
    junit, har = tmp_path / "r.xml", tmp_path / "r.har"
    args = ["run", str(path), "--server", f"testApi={api_base}", "--json", "--junit", str(junit), "--har", str(har)]
    done = interrupt_during_slow_step(args)
    assert done.returncode == 130
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "failed"
    assert [(s["stepId"], s["status"]) for s in report["steps"]] == [("first", "succeeded"), ("slow", "failed")]
    assert report["error"]["stepId"] == "slow" and report["error"]["message"] == "interrupted by Ctrl-C"
    assert report["error"]["line"] == 9 and report["error"]["file"].endswith("flow.arazzo.yaml")
    cases = ET.parse(junit).getroot().findall(".//testcase")
    assert [c.get("name") for c in cases] == ["first", "slow"]
    assert cases[0].find("failure") is None and cases[1].find("failure") is not None
    entries = json.loads(har.read_text())["log"]["entries"]
    assert [(e["_stepId"], e["response"]["status"]) for e in entries] == [("first", 200), ("slow", 0)]
    assert entries[1]["response"]["_error"] == "interrupted before a response arrived"


@pytest.mark.slow
def test_ctrl_c_in_a_terminal_style_run_prints_the_partial_summary(api_base: str, write_doc) -> None:
    path = write_doc(SLOW)
    done = interrupt_during_slow_step(["run", str(path), "--server", f"testApi={api_base}"])
    assert done.returncode == 130 and "Traceback" not in done.stderr
    assert "workflow w was interrupted by Ctrl-C at step slow" in done.stdout
    assert "flow.arazzo.yaml:9:9 (step slow)" in done.stdout


def test_input_errors_name_the_input_and_its_source(write_doc, tmp_path: Path) -> None:
    doc = str(FIXTURES / "basic.arazzo.yaml")
    proc = run_cli("run", doc, "--input", "name=x", env={"ARAZZO_INPUT_limit": "ten"})
    assert proc.returncode == 2
    assert "ARAZZO_INPUT_limit: input 'limit': 'ten' is not a valid integer" in proc.stderr
    assert "basic.arazzo.yaml:17:9: error: ARAZZO_INPUT_limit:" in proc.stderr  # where 'limit' is declared
    proc = run_cli("run", doc)
    assert proc.returncode == 2 and "basic.arazzo.yaml:15:9: error: workflow 'items': missing required input" in (
        proc.stderr
    )
    proc = run_cli("run", doc, "--input", "name=x", "--input", "limit=1.5")
    assert proc.returncode == 2 and "--input limit: input 'limit': '1.5' is not a valid integer" in proc.stderr
    bad = tmp_path / "in.json"
    bad.write_text('{"name": "x", "limit": "ten"}')
    proc = run_cli("run", doc, "--inputs", str(bad))
    assert proc.returncode == 2 and "input 'limit': 'ten' is not of type 'integer'" in proc.stderr
    bad.write_text("[1, 2]")
    proc = run_cli("run", doc, "--inputs", str(bad))
    assert proc.returncode == 2 and "must hold an object of input names to values" in proc.stderr


def test_unknown_input_names_are_warned_with_did_you_mean(api_base: str) -> None:
    proc = run_cli(
        "run", str(FIXTURES / "basic.arazzo.yaml"), "--server", f"testApi={api_base}", "-i", "name=n", "-i", "lmit=3"
    )
    assert "warning: --input lmit: workflow 'items' declares no input 'lmit' (did you mean 'limit'?)" in proc.stderr


def test_a_failed_step_is_named_with_its_document_and_line(api_base: str) -> None:
    doc = FIXTURES / "lifecycle-as-given.arazzo.yaml"
    args = ["run", str(doc), "--server", f"dataPlaneApi={api_base}", "-i", f"authToken={TOKEN}", "-i", "sessionId=s"]
    proc = run_cli(*args)
    assert proc.returncode == 1
    shown = str(doc.relative_to(Path.cwd())) if doc.is_relative_to(Path.cwd()) else str(doc)
    assert "workflow session-lifecycle failed at step openSession: HTTP 401" in proc.stdout
    assert f"  at {shown}:18:9 (step openSession)" in proc.stdout
    code, report, _ = cli_json(*args)
    assert report["error"]["file"] == shown and report["error"]["line"] == 18


def test_tracebacks_only_with_debug(write_doc) -> None:
    path = write_doc(HEADER + "workflows:\n  - workflowId: w\n    steps:\n      - stepId: s\n")
    for command in ("run", "plan", "describe"):
        proc = run_cli(command, str(path))
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, command
        assert "flow.arazzo.yaml:8:9: error: step 's' must have exactly one of" in proc.stderr
        proc = run_cli(command, str(path), "--debug")
        assert proc.returncode == 2 and "Traceback" in proc.stderr, command
    proc = run_cli("run", str(FIXTURES / "basic.arazzo.yaml"), "--debug", env={"ARAZZO_INPUT_limit": "x"})
    assert proc.returncode == 2 and "Traceback" in proc.stderr


def test_connection_failures_name_the_step_without_traceback(write_doc) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    steps = "workflows:\n  - workflowId: w\n    steps:\n      - {stepId: s, operationId: listItems}\n"
    path = write_doc(HEADER + steps)
    proc = run_cli("run", str(path), "--server", f"testApi=http://127.0.0.1:{port}/api")
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    assert "failed at step s: could not connect to http://127.0.0.1" in proc.stdout
    assert "flow.arazzo.yaml:8:9 (step s)" in proc.stdout


def test_a_terminal_run_shows_the_live_table_and_summary(api_base: str) -> None:
    """Through a pseudo-terminal, as a person sees it: rich's live table while steps run, then the summary."""
    import pty
    import re
    import select

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "arazzo.cli", *lifecycle(api_base)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
    )
    os.close(slave)
    raw = b""
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        raw += chunk
    os.close(master)
    assert proc.wait(timeout=30) == 0
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw.decode("utf-8", "replace"))
    assert "\x1b[" in raw.decode("utf-8", "replace")  # styled: this went through rich
    assert text.count("✓ openSession") >= 2  # the live table, then the final one
    assert "workflow session-lifecycle succeeded" in text
    assert TOKEN not in text

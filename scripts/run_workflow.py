"""`make run`: start the workspace service on a free loopback port, run one workflow against it, stop it.

The workflow runs through the real `arazzo` CLI and the service through the real `quantum-workspace serve`
process, exactly as a user would run them; this script only wires them together with fresh ids and a token.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import IO

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
BIN = Path(sys.executable).parent
LISTENING = re.compile(r"listening on (https?://\S+)")
#: Inputs that get a fresh value on every run, when the workflow declares them: these names, and any name
#: ending in "JobId" or "SessionId" (secondJobId, ionqJobId, ...).
FRESH_IDS = ("sessionId", "jobId")
FRESH_SUFFIXES = ("JobId", "SessionId")


def fresh_id_names(declared: set[str]) -> list[str]:
    """The declared inputs that get a fresh UUID, in a stable order."""
    return sorted(name for name in declared if name in FRESH_IDS or name.endswith(FRESH_SUFFIXES))


def find_document(name: str) -> Path:
    """Accept a workflow name (`session-lifecycle`), a file name in workflows/, or a path."""
    candidates = [Path(name), WORKFLOWS / name, WORKFLOWS / f"{name}.arazzo.yaml", WORKFLOWS / f"{name}.yml"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    known = sorted(p.name for p in WORKFLOWS.glob("*.y*ml"))
    raise SystemExit(f"no workflow named {name!r}; known: {', '.join(known)}")


def declared_inputs(document: Path) -> set[str]:
    """The input names every workflow of the document declares (fresh ids go only where they are declared)."""
    data = yaml.safe_load(document.read_text(encoding="utf-8"))
    names: set[str] = set()
    for workflow in data.get("workflows", []):
        properties = (workflow.get("inputs") or {}).get("properties") or {}
        names.update(properties)
    return names


def inputs_file(document: Path) -> Path | None:
    stem = document.name.split(".")[0]
    candidate = WORKFLOWS / "inputs" / f"{stem}.json"
    return candidate if candidate.is_file() else None


def start_service(data_dir: Path, api_key: str, log: IO[str]) -> tuple[subprocess.Popen[str], str]:
    # --api-key=KEY as one argument: a token_urlsafe key may start with "-" and would be read as an option
    command = [str(BIN / "quantum-workspace"), "serve", "--host", "127.0.0.1", "--port", "0",
               "--data-dir", str(data_dir), f"--api-key={api_key}"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        match = LISTENING.search(line)
        if match:
            return process, match.group(1)
    process.kill()
    process.wait()
    log.flush()
    tail = Path(log.name).read_text(encoding="utf-8").splitlines()[-20:]
    raise SystemExit("\n".join(["the workspace service did not start (no 'listening on' line):", *tail]))


def stop_service(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workflow", nargs="?", default="session-lifecycle")
    parser.add_argument("--json", action="store_true", help="print the engine's JSON report")
    args = parser.parse_args()

    document = find_document(args.workflow)
    declared = declared_inputs(document)
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    with tempfile.TemporaryDirectory(prefix="quantum-workspace-") as tmp:
        data_dir = Path(tmp) / "data"
        log_path = Path(tmp) / "service.log"
        log = log_path.open("w", encoding="utf-8")
        service, base_url = start_service(data_dir, secrets.token_urlsafe(24), log)
        code = 2
        try:
            print(f"workspace service: {base_url} (data in {data_dir})", file=sys.stderr, flush=True)
            token = subprocess.run([str(BIN / "quantum-workspace"), "token"], check=True,
                                   capture_output=True, text=True).stdout.strip()
            command = [str(BIN / "arazzo"), "run", str(document), "--server", f"dataPlaneApi={base_url}"]
            source_inputs = inputs_file(document)
            if source_inputs:
                command += ["--inputs", str(source_inputs)]
            fresh = {name: str(uuid.uuid4()) for name in fresh_id_names(declared)}
            if "containerName" in declared and "jobId" in fresh:
                fresh["containerName"] = f"job-{fresh['jobId']}"
            if "authToken" in declared:
                fresh["authToken"] = token
            for name, value in fresh.items():
                command += ["--input", f"{name}={value}"]
            if args.json:
                command.append("--json")
            print(f"running {document.relative_to(ROOT)}", file=sys.stderr, flush=True)
            code = subprocess.run(command).returncode
            return code
        finally:
            stop_service(service)
            log.close()
            if code != 0:
                tail = log_path.read_text(encoding="utf-8").splitlines()[-20:]
                print("\nlast lines of the service log:", *tail, sep="\n", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())

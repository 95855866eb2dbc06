"""Times Jentic's arazzo-runner in its own venv, for bench/engine.py, which drives it over stdin/stdout.

One runner is built once and reused. Between runs (outside the timed region) the state it keeps per run is
dropped: its execution states and the four callbacks every `execute_workflow` registers and never removes;
without that its per-run cost grows without bound. Its INFO logging is lowered to WARNING. Both give it its
best case. Protocol: argv = ARAZZO_PATH WORKFLOW_ID INPUTS_JSON; it prints {"ready": ...}, then answers each
stdin line {"runs": N} with {"times": [seconds...], "failures": K, "error": str|null}.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> None:
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr  # nothing the library prints can corrupt the protocol
    path, workflow_id, inputs_json = sys.argv[1:4]
    inputs = json.loads(inputs_json)

    from arazzo_runner import ArazzoRunner, WorkflowExecutionStatus
    from arazzo_runner.utils import set_log_level

    set_log_level("WARNING")
    runner = ArazzoRunner.from_arazzo_path(path)
    protocol.write(json.dumps({"ready": True}) + "\n")
    perf = time.perf_counter
    for line in sys.stdin:
        runs = int(json.loads(line)["runs"])
        times: list[float] = []
        failures = 0
        error: str | None = None
        for _ in range(runs):
            start = perf()
            result = runner.execute_workflow(workflow_id, inputs)
            times.append(perf() - start)
            runner.execution_states.clear()
            for callbacks in runner.event_callbacks.values():
                callbacks.clear()
            outputs = result.outputs or {}
            if result.status != WorkflowExecutionStatus.WORKFLOW_COMPLETE or outputs.get("parentId") != outputs.get(
                "petId"
            ):
                failures += 1
                error = error or f"{result.status}: {result.error} {outputs}"
        protocol.write(json.dumps({"times": times, "failures": failures, "error": error}) + "\n")


if __name__ == "__main__":
    main()

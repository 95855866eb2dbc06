"""Showing a run: a step table (live on a terminal, plain lines otherwise), outputs, the failure;
the JSON report and JUnit XML. Everything shown goes through the run's Redactor."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from ._redact import Redactor
from ._result import RunResult, RunWarning, StepRecord

__all__ = ["Progress", "render_summary", "junit_xml", "invalid_json"]


def _ms(value: float) -> str:
    return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"


def _status(record: StepRecord) -> str:
    return "-" if record.status_code is None else str(record.status_code)


class Progress:
    """Per-run progress display, fed by the runner's observer events (this object is per run)."""

    def __init__(self, stream: IO[str], redactor: Redactor, *, live: bool) -> None:
        self.stream = stream
        self.redactor = redactor
        self.records: list[StepRecord] = []
        self._live: Any = None
        if live:
            from rich.console import Console
            from rich.live import Live

            self._console = Console(file=stream)
            self._live = Live(self._table(), console=self._console, refresh_per_second=8, transient=True)
            self._live.start()

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(box=None, pad_edge=False, header_style="bold")
        for col, justify in (
            ("step", "left"),
            ("operation", "left"),
            ("status", "right"),
            ("attempts", "right"),
            ("time", "right"),
        ):
            table.add_column(col, justify=justify)  # type: ignore[arg-type]
        for r in self.records:
            mark = {"succeeded": "[green]✓[/]", "failed": "[red]✗[/]"}.get(r.status, "[yellow]…[/]")
            table.add_row(
                f"{mark} {r.step_id}",
                r.operation,
                _status(r),
                str(r.attempts),
                _ms(r.duration_ms) if r.status != "running" else "",
            )
        return table

    def __call__(self, event: str, record: StepRecord) -> None:
        if event == "start":
            self.records.append(record)
        if self._live is not None:
            self._live.update(self._table())
        elif event == "end":
            mark = "ok  " if record.status == "succeeded" else "FAIL"
            self.stream.write(
                f"{mark} {record.step_id:<24} {record.operation:<28} {_status(record):>4} "
                f"x{record.attempts:<3} {_ms(record.duration_ms):>8}\n"
            )
            self.stream.flush()

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


_COLUMNS = (("step", "left"), ("operation", "left"), ("status", "right"), ("attempts", "right"), ("time", "right"))


def _rows(result: RunResult) -> list[tuple[str, str, str, str, str]]:
    return [
        (
            f"{'✓' if rec.status == 'succeeded' else '✗'} {rec.step_id}",
            rec.operation,
            _status(rec),
            str(rec.attempts),
            _ms(rec.duration_ms),
        )
        for rec in result.steps
    ]


def _closing_lines(result: RunResult) -> list[str]:
    """The last line (succeeded / failed at step ... / interrupted) and where the failing step is written."""
    if result.error is None:
        return [f"workflow {result.workflow_id} succeeded"]
    err = result.error
    where = f" at step {err.step_id}" if err.step_id else ""
    status = (
        f" (HTTP {err.status_code})"
        if err.status_code is not None and not err.message.startswith("HTTP ")
        else ""
    )
    lines = [
        f"workflow {result.workflow_id} was {err.message}{where}"
        if err.message.startswith("interrupted")
        else f"workflow {result.workflow_id} failed{where}{status}: {result.redactor.text(err.message)}"
    ]
    if err.position is not None:
        lines.append(f"  at {err.position} (step {err.step_id})")
    return lines


def render_summary(result: RunResult, stream: IO[str], *, color: bool) -> None:
    """The final step table, the outputs as pretty JSON, and the failing step with its message. On a
    terminal with rich; otherwise plain text (no rich import: scripts and CI start faster)."""
    outputs = json.dumps(result.to_json()["outputs"], indent=2, ensure_ascii=False)
    if not color:
        rows = [tuple(c for c, _ in _COLUMNS), *_rows(result)]
        widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS))]
        for r in rows:
            cells = [
                cell.ljust(w) if justify == "left" else cell.rjust(w)
                for cell, w, (_, justify) in zip(r, widths, _COLUMNS, strict=True)
            ]
            stream.write("  ".join(cells).rstrip() + "\n")
        stream.write(f"\noutputs:\n{outputs}\n\n")
        stream.write("\n".join(_closing_lines(result)) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream, force_terminal=True, highlight=False, width=120)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col, justify in _COLUMNS:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for row in _rows(result):
        table.add_row(*row)
    console.print(table)
    console.print()
    console.print("outputs:", style="bold")
    console.print(outputs, markup=False)
    console.print()
    closing = _closing_lines(result)
    console.print(closing[0], style="green" if result.error is None else "red", markup=False, soft_wrap=True)
    for line in closing[1:]:
        console.print(line, markup=False, soft_wrap=True)


def print_warnings(warnings: list[RunWarning], stream: IO[str], redactor: Redactor) -> None:
    for w in warnings:
        stream.write(redactor.text(str(w)) + "\n")
    stream.flush()


def junit_xml(result: RunResult | None, records: list[StepRecord], redactor: Redactor, suite: str) -> bytes:
    """JUnit XML: one testsuite for the workflow, one testcase per step execution."""
    import xml.etree.ElementTree as ET

    failures = sum(1 for r in records if r.status != "succeeded")
    total = sum(r.duration_ms for r in records) / 1000
    ts = ET.Element(
        "testsuite",
        name=suite,
        tests=str(len(records)),
        failures=str(failures),
        errors="0",
        time=f"{total:.3f}",
    )
    for r in records:
        case = ET.SubElement(
            ts,
            "testcase",
            name=r.step_id,
            classname=f"{suite}.{r.workflow_id}",
            time=f"{r.duration_ms / 1000:.3f}",
        )
        props = ET.SubElement(case, "properties")
        for k, v in (("operation", r.operation), ("statusCode", _status(r)), ("attempts", str(r.attempts))):
            ET.SubElement(props, "property", name=k, value=v)
        if r.status != "succeeded":
            failure = ET.SubElement(
                case, "failure", message=redactor.text(r.error or "step failed"), type="StepFailed"
            )
            detail = [f"{r.method or ''} {redactor.text(r.url or '')}".strip(), f"HTTP status: {_status(r)}"]
            if r.response_excerpt:
                detail.append("response: " + redactor.text(r.response_excerpt))
            failure.text = "\n".join(d for d in detail if d)
    root = ET.Element("testsuites", name=suite, tests=str(len(records)), failures=str(failures))
    root.append(ts)
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def invalid_json(workflow_id: str | None, message: str, warnings: list[RunWarning]) -> dict[str, Any]:
    return {
        "workflowId": workflow_id,
        "status": "invalid",
        "outputs": {},
        "steps": [],
        "error": {"stepId": None, "message": message},
        "warnings": [w.to_json() for w in warnings],
    }


def stderr_is_tty() -> bool:
    return bool(getattr(sys.stderr, "isatty", lambda: False)())

"""`arazzo` command line: `run`, `validate`, `plan`, `list`, `describe`. Exit codes: 0 succeeded (valid),
1 workflow failed (HTTP and connection failures included), 2 invalid document, inputs or usage, 3 internal
error, 130 interrupted. Modules are imported per command, so `--help` and `validate` start fast."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
_COMMANDS = ("run", "validate", "plan", "list", "describe")


def _source_options() -> argparse.ArgumentParser:
    """Options every command that reads documents shares."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--ca-bundle", metavar="FILE", help="CA bundle to verify TLS servers with")
    common.add_argument(
        "--no-file-sources", action="store_true", help="refuse source descriptions that are local files"
    )
    common.add_argument(
        "--allow-host",
        action="append",
        default=None,
        metavar="HOST",
        help="only fetch remote documents from these hosts (repeatable)",
    )
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    return common


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line. With `only`, every command is listed but only that one gets its options:
    `main` parses `arazzo run ...` with it, as each option costs start-up time (argparse checks it)."""
    parser = argparse.ArgumentParser(prog="arazzo", description="Run and check Arazzo 1.0.x workflows.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    shared: dict[str, argparse.ArgumentParser] = {}

    def parents(name: str, *kinds: str) -> list[argparse.ArgumentParser]:
        if only is not None and only != name:
            return []
        for kind in kinds:
            if kind not in shared:
                shared[kind] = _source_options() if kind == "common" else _input_options()
        return [shared[kind] for kind in kinds]

    def wanted(name: str) -> bool:
        return only is None or only == name

    validate = sub.add_parser(
        "validate",
        parents=parents("validate", "common"),
        help="check documents without sending anything",
        description="Check Arazzo documents against the specification and their OpenAPI descriptions. "
        "Prints FILE:LINE:COL: error|warning: message per finding; exit 0 when valid, 2 otherwise.",
    )
    if wanted("validate"):
        validate.add_argument("documents", metavar="DOC", nargs="+", help="paths or URLs of Arazzo documents")
        validate.add_argument("--format", choices=("text", "json"), default="text", help="output format (text)")
        validate.add_argument("--info", action="store_true", help="also show notes (e.g. read-only members sent)")
        validate.add_argument("--strict", action="store_true", help="exit 2 on warnings too")
    run = sub.add_parser(
        "run",
        parents=parents("run", "common", "inputs"),
        help="run a workflow",
        description="Run a workflow of an Arazzo document.",
    )
    if wanted("run"):
        _run_options(run)
    plan = sub.add_parser(
        "plan",
        parents=parents("plan", "common", "inputs"),
        help="show the requests a run would send, without sending them",
        description="Dry run: the request each step would send (method, URL, headers, body) with inputs filled "
        "in; values that depend on earlier responses are shown as placeholders. Nothing is sent.",
    )
    if wanted("plan"):
        plan.add_argument("--format", choices=("text", "json"), default="text", help="output format (text)")
    listing = sub.add_parser(
        "list",
        parents=parents("list", "common"),
        help="list the workflows of a document",
        description="List the workflows.",
    )
    if wanted("list"):
        listing.add_argument("document", metavar="DOC", help="path or URL of the Arazzo document")
        listing.add_argument("--format", choices=("text", "json"), default="text", help="output format (text)")
    describe = sub.add_parser(
        "describe",
        parents=parents("describe", "common"),
        help="describe workflows: inputs, outputs, steps",
        description="Describe the workflows of a document: inputs (type, required, default), outputs and steps.",
    )
    if wanted("describe"):
        describe.add_argument("document", metavar="DOC", help="path or URL of the Arazzo document")
        describe.add_argument("--workflow", "-w", metavar="ID", help="only this workflow")
        describe.add_argument("--format", choices=("text", "json"), default="text", help="output format (text)")
    return parser


def _run_options(run: argparse.ArgumentParser) -> None:
    """The options only `run` has."""
    run.add_argument(
        "--auth",
        "-a",
        metavar="SCHEME=VALUE",
        action="append",
        default=[],
        help="credential for an OpenAPI security scheme (repeatable; also ARAZZO_AUTH_<SCHEME>)",
    )
    run.add_argument("--json", action="store_true", help="print only a JSON report on stdout")
    run.add_argument("--junit", metavar="FILE", help="write a JUnit XML report (one testcase per step)")
    run.add_argument("--har", metavar="FILE", help="write the HTTP exchanges as a HAR 1.2 file (redacted)")
    run.add_argument(
        "--verbose", "-v", action="store_true", help="print each request and response on stderr (redacted)"
    )
    run.add_argument(
        "--max-steps",
        type=int,
        default=2000,
        metavar="N",
        help="stop after N step executions, retries included (default 2000)",
    )
    run.add_argument("--timeout", type=float, default=60.0, metavar="S", help="read timeout in seconds (60)")
    run.add_argument("--connect-timeout", type=float, default=10.0, metavar="S", help="connect timeout (10)")
    run.add_argument(
        "--total-timeout",
        type=float,
        default=300.0,
        metavar="S",
        help="limit for one whole HTTP exchange in seconds (300)",
    )
    run.add_argument(
        "--max-response-bytes",
        type=int,
        default=64 * 1024 * 1024,
        metavar="N",
        help="largest response body accepted (64 MiB)",
    )


def _input_options() -> argparse.ArgumentParser:
    """The document, the workflow and its inputs: shared by `run` and `plan`."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("document", metavar="DOC", help="path or URL of the Arazzo document")
    common.add_argument("--workflow", "-w", metavar="ID", help="workflowId (default: the first)")
    common.add_argument("--inputs", metavar="FILE", help="JSON or YAML file with the workflow inputs")
    common.add_argument(
        "--input",
        "-i",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="one input, converted by the input schema's type (repeatable; wins over ARAZZO_INPUT_<NAME> "
        "environment variables, which win over --inputs)",
    )
    common.add_argument(
        "--server",
        "-s",
        metavar="SOURCE=URL",
        action="append",
        default=[],
        help="base URL replacing the servers of a source description (repeatable)",
    )
    return common


def main(argv: Sequence[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else list(argv)
    first = given[0] if given else None
    args = build_parser(first if first in _COMMANDS else None).parse_args(given)
    commands = {"run": _run, "validate": _validate, "plan": _plan, "list": _list, "describe": _describe}
    try:
        return commands[args.command](args)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: say so plainly
        if args.debug:
            raise
        sys.stderr.write(f"arazzo: internal error ({exc.__class__.__name__}: {exc}); rerun with --debug\n")
        return EXIT_INTERNAL


def _policy(args: argparse.Namespace) -> Any:
    from ._retrieve import SourcePolicy

    return SourcePolicy(
        allow_files=not args.no_file_sources,
        allowed_hosts=frozenset(args.allow_host) if args.allow_host else None,
        verify=args.ca_bundle or True,
    )


def _validate(args: argparse.Namespace) -> int:
    """`arazzo validate`: every document's findings, one per line (or one JSON object)."""
    import json

    from ._redact import Redactor
    from ._retrieve import display_name, to_uri
    from ._validate import validate

    redactor = Redactor()
    shown = ("error", "warning", "info") if args.info else ("error", "warning")
    counts = {"error": 0, "warning": 0, "info": 0}
    diagnostics: list[dict[str, Any]] = []
    policy = _policy(args)
    for location in args.documents:
        for p in validate(location, policy=policy):
            counts[p.severity] = counts.get(p.severity, 0) + 1
            if p.severity not in shown:
                continue
            pos = p.position
            diagnostics.append(
                {
                    "file": pos.file if pos else display_name(to_uri(location)),
                    "line": pos.line if pos else 1,
                    "column": pos.column if pos else 1,
                    "severity": p.severity,
                    "code": p.code or None,
                    "message": redactor.text(p.message),
                    "jsonPath": p.json_path,
                }
            )
    failed = counts["error"] > 0 or (args.strict and counts["warning"] > 0)
    if args.format == "json":
        report = {
            "valid": not failed,
            "errors": counts["error"],
            "warnings": counts["warning"],
            "infos": counts["info"],
            "diagnostics": diagnostics,
        }
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    else:
        for d in diagnostics:
            sys.stdout.write(f"{d['file']}:{d['line']}:{d['column']}: {d['severity']}: {d['message']}\n")
        sys.stdout.flush()
        summary = f"{counts['error']} error(s), {counts['warning']} warning(s)"
        if counts["info"] and not args.info:
            summary += f", {counts['info']} note(s) (--info shows them)"
        names = ", ".join(args.documents) if len(args.documents) <= 3 else f"{len(args.documents)} documents"
        sys.stderr.write(f"{names}: {'invalid' if failed else 'valid'}: {summary}\n")
    return EXIT_INVALID if failed else EXIT_OK


def _load_or_report(args: argparse.Namespace) -> Any:
    """Load the document; on problems print them (FILE:LINE:COL) and return None."""
    from ._errors import DocumentError
    from ._plan import load
    from ._redact import Redactor

    try:
        document = load(args.document, policy=_policy(args))
    except DocumentError as exc:
        redactor = Redactor()
        if args.debug:
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
        if exc.problems:
            for p in exc.problems:
                sys.stderr.write(redactor.text(str(p)) + "\n")
        else:
            sys.stderr.write(f"arazzo: error: {redactor.text(str(exc))}\n")
        return None
    return document


def _where(document: Any, workflow: Any, exc: Any) -> str:
    """Where an input or usage error points: an input's declaration in the workflow's inputs schema (else
    the inputs schema) as FILE:LINE:COL, else the document's name."""
    from ._errors import InputError

    doc = document.entry
    if workflow is None or not isinstance(exc, InputError):
        return "" if doc.file in exc.message else doc.file
    declared = (*workflow.path, "inputs", "properties", exc.input_name or "")
    if exc.input_name and declared in doc.parsed.key_positions:
        return str(doc.parsed.position(declared, key=True))
    if isinstance(workflow.inputs, dict):
        return str(doc.parsed.position((*workflow.path, "inputs")))
    return str(workflow.position or doc.file)


def _usage_error(args: argparse.Namespace, exc: Any, where: str = "") -> int:
    from ._redact import Redactor

    if args.debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    prefix = f"{where}: " if where else ""
    sys.stderr.write(f"arazzo: {prefix}error: {Redactor().text(exc.message)}\n")
    return EXIT_INVALID


def _plan(args: argparse.Namespace) -> int:
    """`arazzo plan`: build every step's request, send nothing."""
    import json

    from ._errors import InputError, UsageError
    from ._plan_view import plan_json, plan_workflow, render_plan

    document = _load_or_report(args)
    if document is None:
        return EXIT_INVALID
    workflow = None
    try:
        workflow = document.workflow(args.workflow)
        given = _gather_inputs(args, document, workflow)
        servers = _servers(args, document)
    except (InputError, UsageError) as exc:
        return _usage_error(args, exc, _where(document, workflow, exc))
    planned = plan_workflow(document, workflow, given, servers)
    if args.format == "json":
        sys.stdout.write(json.dumps(plan_json(planned), ensure_ascii=False) + "\n")
    else:
        render_plan(planned, sys.stdout)
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from ._describe import list_json, render_list

    document = _load_or_report(args)
    if document is None:
        return EXIT_INVALID
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps(list_json(document), ensure_ascii=False) + "\n")
    else:
        render_list(document, sys.stdout)
    return EXIT_OK


def _describe(args: argparse.Namespace) -> int:
    from ._describe import describe_json, render_description
    from ._errors import UsageError

    document = _load_or_report(args)
    if document is None:
        return EXIT_INVALID
    try:
        workflows = [document.workflow(args.workflow)] if args.workflow else list(document.workflows)
    except UsageError as exc:
        return _usage_error(args, exc, document.entry.file)
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps(describe_json(document, workflows), ensure_ascii=False) + "\n")
    else:
        render_description(document, workflows, sys.stdout)
    return EXIT_OK


def _read_inputs_file(path: str) -> dict[str, Any]:
    from ._errors import DocumentError, InputError
    from ._retrieve import display_name, to_uri
    from ._text import parse_text

    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except OSError as exc:
        raise InputError(f"cannot read inputs file {path}: {exc.strerror}") from exc
    try:
        value = parse_text(text, display_name(to_uri(path)), positions=False).value
    except DocumentError as exc:
        raise InputError(f"inputs file {path}: {exc}") from exc
    if not isinstance(value, dict):
        raise InputError(f"inputs file {path} must hold an object of input names to values")
    return value


def _gather_inputs(args: argparse.Namespace, document: Any, workflow: Any) -> dict[str, Any]:
    """Inputs from `--inputs FILE`, then `ARAZZO_INPUT_<name>`, then `--input NAME=VALUE` (later wins).
    Text values are converted by the input's schema type; errors name the input and where it came from."""
    from ._errors import InputError
    from ._inputs import convert_text, declared_input_names

    def convert(name: str, text: str, source: str) -> Any:
        try:
            return convert_text(document.entry, workflow, name, text)
        except InputError as exc:
            raise InputError(f"{source}: {exc.message}", input_name=name) from exc

    given: dict[str, tuple[Any, str]] = {}
    if args.inputs:
        for name, value in _read_inputs_file(args.inputs).items():
            given[name] = (value, f"--inputs {args.inputs}")
    prefix = "ARAZZO_INPUT_"
    for key, value in os.environ.items():
        if key.startswith(prefix) and len(key) > len(prefix):
            name = key[len(prefix) :]
            given[name] = (convert(name, value, key), key)
    for item in args.input:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError(f"--input expects NAME=VALUE, got {item!r}")
        given[name] = (convert(name, value, f"--input {name}"), f"--input {name}")
    declared = declared_input_names(document.entry, workflow)
    if declared is not None:
        for name, (_, source) in given.items():
            if name not in declared and not source.startswith(prefix):
                import difflib

                close = difflib.get_close_matches(name, sorted(declared), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                sys.stderr.write(
                    f"arazzo: warning: {source}: workflow {workflow.workflow_id!r} declares no input {name!r}{hint}\n"
                )
    return {name: value for name, (value, _) in given.items()}


def _servers(args: argparse.Namespace, document: Any) -> dict[str, str]:
    from urllib.parse import urlsplit

    from ._errors import UsageError

    names = {s.name for d in document.docs.values() for s in d.source_descriptions}
    out: dict[str, str] = {}
    for item in args.server:
        name, sep, url = item.partition("=")
        if not sep or not name or not url:
            raise UsageError(f"--server expects SOURCE=URL, got {item!r}")
        if name not in names:
            raise UsageError(
                f"--server {name}: no source description named {name!r} (sources: {', '.join(sorted(names))})"
            )
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"--server {name}: {url!r} is not an absolute http(s) URL")
        out[name] = url
    return out


def _run(args: argparse.Namespace) -> int:
    import asyncio
    import json

    from ._errors import ArazzoError, DocumentError, InputError, UsageError
    from ._http import HttpOptions
    from ._plan import load
    from ._redact import Redactor
    from ._report import Progress, invalid_json, junit_xml, print_warnings, render_summary
    from ._result import ExchangeObserver, RunError, RunResult, RunWarning, StepRecord
    from ._runner import RunOptions, execute

    out, err = sys.stdout, sys.stderr
    redactor = Redactor()
    workflow_id: str | None = args.workflow
    warnings: list[RunWarning] = []

    def invalid(message: str, exc: BaseException) -> int:
        if args.debug:
            import traceback

            traceback.print_exception(exc, file=err)
        if args.json:
            out.write(json.dumps(invalid_json(workflow_id, redactor.text(message), warnings)) + "\n")
        return EXIT_INVALID

    try:
        document = load(args.document, policy=_policy(args))
    except DocumentError as exc:
        problems = exc.problems or ()
        if problems:
            for p in problems:
                err.write(redactor.text(str(p)) + "\n")
            warnings = [RunWarning.from_problem(p) for p in problems if p.severity == "warning"]
        else:
            err.write(f"arazzo: {redactor.text(str(exc))}\n")
        errors = [p for p in problems if p.severity == "error"]
        message = f"{errors[0]}" if errors else str(exc)
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more error(s))"
        return invalid(message, exc)

    doc_warnings = [RunWarning.from_problem(p) for p in document.problems if p.severity == "warning"]
    warnings = doc_warnings
    print_warnings(doc_warnings, err, redactor)
    records: list[StepRecord] = []
    suite = workflow_id or document.entry.workflows[0].workflow_id
    har = None
    observers: list[ExchangeObserver] = []
    if args.har:
        from ._har import HarRecorder

        har = HarRecorder()
        observers.append(har)
    if args.verbose:
        from ._har import VerbosePrinter

        observers.append(VerbosePrinter(err, redactor))

    def exchanges(event: str, exchange: Any) -> None:
        for o in observers:
            o(event, exchange)

    def write_reports(result: RunResult) -> None:
        if args.junit:
            _write(args.junit, junit_xml(result, result.steps, redactor, suite))
        if har is not None:
            har.write(args.har, redactor)

    workflow: Any = None
    try:
        workflow = document.workflow(workflow_id)
        workflow_id = workflow.workflow_id
        suite = workflow_id
        inputs = _gather_inputs(args, document, workflow)
        servers = _servers(args, document)
        if args.max_steps < 1:
            raise UsageError("--max-steps must be at least 1")
        credentials: dict[str, str] = {}
        for item in args.auth:
            scheme, sep, value = item.partition("=")
            if not sep or not scheme:
                raise UsageError("--auth expects SCHEME=VALUE")
            credentials[scheme] = value
        options = RunOptions(
            max_steps=args.max_steps,
            credentials=credentials,
            http=HttpOptions(
                connect_timeout=args.connect_timeout,
                read_timeout=args.timeout,
                total_timeout=args.total_timeout,
                max_response_bytes=args.max_response_bytes,
                verify=args.ca_bundle or True,
            ),
        )
        tty = (err if args.json else out).isatty()
        live = tty and not args.verbose  # request dumps and a live table do not mix
        progress = Progress(err if args.json or not tty else out, redactor, live=live)
        records = progress.records
        try:
            result: RunResult = asyncio.run(
                execute(
                    document,
                    workflow,
                    inputs,
                    servers=servers,
                    options=options,
                    observer=progress,
                    redactor=redactor,
                    exchanges=exchanges if observers else None,
                )
            )
        finally:
            progress.close()
    except (InputError, UsageError) as exc:
        where = _where(document, workflow, exc)
        err.write(f"arazzo: {where + ': ' if where else ''}error: {redactor.text(exc.message)}\n")
        return invalid(exc.message, exc)
    except ArazzoError as exc:
        err.write(f"arazzo: error: {redactor.text(str(exc))}\n")
        return invalid(str(exc), exc)
    except KeyboardInterrupt:
        # Ctrl-C: the running step was cancelled; report what ran, as a failed run, then exit 130.
        running = next((r for r in reversed(records) if r.error == "interrupted"), None)
        step = workflow.step(running.step_id) if running is not None and workflow is not None else None
        error = RunError(
            running.step_id if running else None,
            "interrupted by Ctrl-C",
            None,
            workflow_id,
            step.position if step is not None else None,
        )
        partial = RunResult(workflow_id or suite, "failed", {}, records, error, warnings, redactor)
        if args.json:
            out.write(json.dumps(partial.to_json(), ensure_ascii=False) + "\n")
        else:
            render_summary(partial, out, color=out.isatty())
        out.flush()
        write_reports(partial)
        return EXIT_INTERRUPTED
    runtime = [w for w in result.warnings if w not in doc_warnings]
    print_warnings(runtime, err, redactor)
    if args.json:
        out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    else:
        render_summary(result, out, color=out.isatty())
    out.flush()
    write_reports(result)
    return EXIT_OK if result.succeeded else EXIT_FAILED


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

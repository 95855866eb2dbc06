"""Plain-Python parts without HTTP: filter grammar, state tables, store, secret masking, CLI token."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from quantum_workspace.api import mask_secrets
from quantum_workspace.api._logging import MaskingAccessFormatter
from quantum_workspace.clock import ManualClock, format_timestamp, parse_timestamp
from quantum_workspace.errors import InvalidParameter
from quantum_workspace.ids import WorkspaceRef
from quantum_workspace.service import (
    JOB_TRANSITIONS,
    SESSION_TRANSITIONS,
    IllegalTransition,
    SessionEvent,
    SessionStatus,
    parse_filter,
    parse_orderby,
)
from quantum_workspace.service._states import check_job_transition, next_session_status
from quantum_workspace.store import (
    And,
    Comparison,
    JobRecord,
    ListQuery,
    Not,
    Or,
    StartsWith,
    open_sqlite_store,
)


def test_filter_grammar_the_sdk_emits() -> None:
    text = (
        "startswith(Name, 's-job') and (ProviderId eq 'ionq' or ProviderId eq 'b') and "
        "(State eq 'Succeeded' or State eq 'Waiting') and CreationTime ge 2026-11-23"
    )
    assert parse_filter(text) == And(
        (
            StartsWith("Name", "s-job"),
            Or((Comparison("ProviderId", "eq", "ionq"), Comparison("ProviderId", "eq", "b"))),
            Or((Comparison("State", "eq", "Succeeded"), Comparison("State", "eq", "Waiting"))),
            Comparison("CreationTime", "ge", date(2026, 11, 23)),
        )
    )


def test_filter_details() -> None:
    assert parse_filter("not status EQ 'it''s'") == Not(Comparison("State", "eq", "it's"))
    assert parse_filter("SessionId eq null") == Comparison("SessionId", "eq", None)
    moment = parse_filter("CreationTime lt 2026-01-02T03:04:05.5Z")
    assert moment == Comparison("CreationTime", "lt", datetime(2026, 1, 2, 3, 4, 5, 500000, tzinfo=UTC))
    assert parse_filter("  ") is None and parse_filter(None) is None
    with pytest.raises(InvalidParameter, match="nested too deeply"):
        parse_filter("(" * 40 + "Name eq 'x'" + ")" * 40)
    assert parse_orderby("name, CreationTime DESC") == (("Name", False), ("CreationTime", True))


def test_job_transition_table() -> None:
    check_job_transition("Waiting", "Executing")
    check_job_transition("Executing", "Succeeded")
    for final in ("Succeeded", "Failed", "Cancelled"):
        assert final not in JOB_TRANSITIONS
        with pytest.raises(IllegalTransition):
            check_job_transition(final, "Waiting")
    with pytest.raises(IllegalTransition):
        check_job_transition("Waiting", "Succeeded")


def test_session_transition_table() -> None:
    assert next_session_status("Waiting", SessionEvent.JOB_STARTED) == "Executing"
    assert next_session_status("Executing", SessionEvent.JOB_FAILED_ABORT) == "Failed"
    assert next_session_status("Executing", SessionEvent.JOB_FAILED_CONTINUE) == "Failure(s)"
    assert next_session_status("Failure(s)", SessionEvent.SETTLED) == "Failed"
    assert next_session_status("Executing", SessionEvent.SETTLED) == "Succeeded"
    terminal = {SessionStatus.SUCCEEDED, SessionStatus.FAILED, SessionStatus.TIMED_OUT}
    assert not any(status in terminal for status, _event in SESSION_TRANSITIONS)
    with pytest.raises(IllegalTransition):
        next_session_status("Succeeded", SessionEvent.JOB_STARTED)


def test_timestamps_are_rfc3339_utc_with_seven_digits() -> None:
    moment = datetime(2026, 1, 15, 12, 0, 0, 123456, tzinfo=UTC)
    assert format_timestamp(moment) == "2026-01-15T12:00:00.1234560Z"
    assert parse_timestamp("2024-08-28T20:45:24.8845889+00:00") == datetime(2024, 8, 28, 20, 45, 24, 884588, tzinfo=UTC)


def test_storage_account_is_stable_distinct_and_case_insensitive() -> None:
    one = WorkspaceRef("00000000-0000-0000-0000-000000000001", "rg", "ws")
    assert one.storage_account == WorkspaceRef(one.subscription_id, "RG", "WS").storage_account
    assert one.storage_account != WorkspaceRef(one.subscription_id, "rg", "ws2").storage_account
    assert len(one.storage_account) == 24 and one.storage_account.isalnum()


def _job(workspace: str, job_id: str, moment: datetime, **changes: object) -> JobRecord:
    values: dict[str, object] = {
        "workspace": workspace,
        "id": job_id,
        "name": "n",
        "provider_id": "IonQ",
        "target": "ionq.simulator",
        "job_type": "QuantumComputing",
        "container_uri": "u",
        "input_data_format": "f",
        "status": "Waiting",
        "creation_time": moment,
        "request_fingerprint": "x",
    }
    values.update(changes)
    return JobRecord(**values)  # type: ignore[arg-type]


def test_store_insert_once_update_and_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    store = open_sqlite_store(path)
    moment = ManualClock().now()
    job = _job("w", "AB-1", moment, input_params={"shots": 3, "nested": [1, {"a": None}]})
    with store.write() as writer:
        assert writer.insert_job(job) is True
        assert writer.insert_job(job) is False
    with store.write() as writer:
        writer.update_job(job.replace(status="Executing"))
    store.close()
    reopened = open_sqlite_store(path)
    with reopened.read() as reader:
        found = reader.get_job("w", "ab-1")
        assert found == job.replace(status="Executing", revision=1)  # every stored update bumps the revision
        assert reader.get_job("other", "ab-1") is None
    assert reopened._engine.connect().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"  # noqa: SLF001
    reopened.close()


def test_store_list_filters_and_pages(tmp_path: Path) -> None:
    store = open_sqlite_store(tmp_path / "w.db")
    start = ManualClock().now()
    with store.write() as writer:
        for index in range(7):
            writer.insert_job(
                _job(
                    "w",
                    f"id-{index}",
                    start + timedelta(seconds=index),
                    name=f"n{index % 2}",
                    session_id="s" if index < 3 else None,
                )
            )
    with store.read() as reader:
        page = reader.list_jobs("w", ListQuery(skip=2, top=3))
        assert [j.id for j in page.items] == ["id-2", "id-3", "id-4"] and page.more
        last = reader.list_jobs("w", ListQuery(skip=6, top=3))
        assert [j.id for j in last.items] == ["id-6"] and not last.more
        odd = reader.list_jobs("w", ListQuery(filter=Comparison("Name", "eq", "n1")))
        assert [j.id for j in odd.items] == ["id-1", "id-3", "id-5"]
        in_session = reader.list_jobs("w", ListQuery(), session_id="S")
        assert len(in_session.items) == 3
        top_level = reader.list_top_level_items("w", ListQuery(order_by=(("CreationTime", True),)))
        assert [j.id for j in top_level.items] == ["id-6", "id-5", "id-4", "id-3"]
        provider = reader.list_jobs("w", ListQuery(filter=Comparison("ProviderId", "eq", "IONQ")))
        assert len(provider.items) == 7
    store.close()


def test_secrets_are_masked_in_text_and_access_lines() -> None:
    line = "GET /acct/c/b?sv=2025&se=2026&sr=b&sp=r&sig=abc%2Bdef%3D HTTP/1.1"
    assert "abc" not in mask_secrets(line) and "sig=***" in mask_secrets(line)
    formatter = MaskingAccessFormatter(fmt='"%(request_line)s" %(status_code)s', use_colors=False)
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/a/c/b?sp=r&sig=SECRET", "1.1", 200),
        None,
    )
    text = formatter.format(record)
    assert "SECRET" not in text and "sig=***" in text


def test_token_command_prints_a_data_plane_jwt() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "quantum_workspace.cli", "token", "--ttl", "120"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    claims = jwt.decode(completed.stdout.strip(), options={"verify_signature": False})
    assert claims["aud"] == "https://quantum.microsoft.com"
    assert 100 <= claims["exp"] - claims["iat"] <= 120
    other = subprocess.run(
        [
            sys.executable,
            "-m",
            "quantum_workspace.cli",
            "token",
            "--audience",
            "https://management.azure.com",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert (
        jwt.decode(other.stdout.strip(), options={"verify_signature": False})["aud"] == "https://management.azure.com"
    )
    assert json.loads(json.dumps(claims))  # plain JSON claims


def test_jobs_and_sessions_list_commands_show_stored_items(make_client: object, tmp_path: Path) -> None:
    from ws_helpers import Api, new_id

    data_dir = tmp_path / "listed"
    api = Api(make_client(data_dir=data_dir, start_worker=False))  # type: ignore[operator]
    session_id, job_id = new_id(), new_id()
    api.open_session(session_id, name="listed-session")
    api.submit(job_id=job_id, name="listed-job")
    for command, item_id, name in (("jobs", job_id, "listed-job"), ("sessions", session_id, "listed-session")):
        completed = subprocess.run(
            [sys.executable, "-m", "quantum_workspace.cli", command, "list", "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        header, *rows = completed.stdout.splitlines()
        assert header.split()[:2] == ["WORKSPACE", "ID"]
        assert any(item_id in row and name in row and "Waiting" in row for row in rows), completed.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "quantum_workspace.cli", "jobs", "list", "--data-dir", str(tmp_path / "nothing")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 1 and "no workspace data" in missing.stderr


def test_job_records_keep_sas_uris_out_of_their_repr() -> None:
    job = _job(
        "w",
        "id-1",
        ManualClock().now(),
        container_uri="http://h/acct/c?sig=SECRET",
        input_data_uri="http://h/acct/c/b?sig=SECRET2",
    )
    assert "SECRET" not in repr(job)

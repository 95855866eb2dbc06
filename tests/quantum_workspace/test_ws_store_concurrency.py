"""Concurrent writers on the SQLite store (group commit): every transaction that returned is on disk, a
writer that raised left nothing behind and did not disturb the others; and through the real server, every
job answered 200 before a SIGKILL is there after the restart."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from ws_helpers import QUEUE_HOLD, Refused, job_record, queue_jobs

from quantum_workspace.store import SqlStore, WriterBusy, open_sqlite_store

VERSION = {"api-version": "2026-01-15-preview"}
WS = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-conc/providers/Microsoft.Quantum"
    "/workspaces/ws-conc"
)
BELL = {"qubits": 2, "circuit": [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]}


def test_concurrent_writers_all_land_and_a_raising_writer_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = open_sqlite_store(path)
    start = threading.Barrier(16)

    def writer(index: int) -> tuple[list[str], list[str]]:
        kept, refused = [], []
        start.wait()
        for sequence in range(40):
            job_id = f"{index:04d}-{sequence:04d}-{uuid.uuid4()}"
            try:
                with store.write() as view:
                    assert view.insert_job(job_record(job_id))
                    found = view.get_job("ws", job_id)
                    assert found is not None  # a writer reads its own insert inside its transaction
                    view.update_job(found.replace(name="renamed"))
                    if sequence % 5 == 0:
                        raise Refused
                kept.append(job_id)
            except Refused:
                refused.append(job_id)
        return kept, refused

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(writer, range(16)))
    store.close()

    kept = [job_id for ids, _ in results for job_id in ids]
    refused = [job_id for _, ids in results for job_id in ids]
    assert len(kept) == 16 * 32 and len(refused) == 16 * 8
    reopened = open_sqlite_store(path)
    with reopened.read() as view:
        for job_id in kept:
            job = view.get_job("ws", job_id)
            assert job is not None and job.name == "renamed" and job.revision == 1
        assert all(view.get_job("ws", job_id) is None for job_id in refused)
    reopened.close()


def test_a_duplicate_insert_in_the_same_batch_is_refused(tmp_path: Path) -> None:
    store = open_sqlite_store(tmp_path / "store.db")
    start = threading.Barrier(8)

    def insert(_index: int) -> bool:
        start.wait()
        with store.write() as view:
            return view.insert_job(job_record("same-id"))

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(insert, range(8)))
    store.close()
    assert sorted(outcomes) == [False] * 7 + [True]


@pytest.mark.slow
def test_concurrent_creates_answered_200_survive_a_sigkill(
    start_workspace_server: Callable[..., Any], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    server = start_workspace_server(data_dir, api_key="conc-key")
    headers = {"x-ms-quantum-api-key": "conc-key"}
    with httpx.Client(base_url=server.base_url, headers=headers, params=VERSION, timeout=30) as setup:
        container = setup.post(f"{WS}/storage/sasUri", json={"containerName": "conc"}).json()["sasUri"]
        blob = setup.post(f"{WS}/storage/sasUri", json={"containerName": "conc", "blobName": "inputData"})
        put = httpx.put(
            blob.json()["sasUri"],
            content=json.dumps(BELL),
            headers={"x-ms-blob-type": "BlockBlob", "x-ms-blob-content-type": "application/json"},
        )
        assert put.status_code == 201, put.text
    body = {
        "name": "conc",
        "providerId": "ionq",
        "target": "ionq.simulator",
        "itemType": "Job",
        "containerUri": container,
        "inputDataFormat": "ionq.circuit.v1",
        "inputParams": {"shots": 10},
    }
    answered: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()

    def client(_index: int) -> None:
        with httpx.Client(base_url=server.base_url, headers=headers, params=VERSION, timeout=30) as http:
            while True:
                job_id = str(uuid.uuid4())
                try:
                    response = http.put(f"{WS}/jobs/{job_id}", json=body)
                except httpx.TransportError:
                    return  # the server was killed under this request: its answer never came
                assert response.status_code == 200, response.text
                with lock:
                    answered.append(job_id)
                    if len(answered) >= 150:
                        enough.set()

    with ThreadPoolExecutor(24) as pool:
        futures = [pool.submit(client, index) for index in range(24)]
        assert enough.wait(120)
        server.kill()  # SIGKILL while creates are in flight
        for future in futures:
            future.result()

    with lock:
        survivors = list(answered)
    restarted = start_workspace_server(data_dir, api_key="conc-key")
    with httpx.Client(base_url=restarted.base_url, headers=headers, params=VERSION, timeout=30) as http:
        missing = [job_id for job_id in survivors if http.get(f"{WS}/jobs/{job_id}").status_code != 200]
    assert len(survivors) >= 150
    assert missing == []


def test_sqlite_queue_order_matches_the_portable_query(tmp_path: Path) -> None:
    """The worker's queue (High priority first, then oldest) read through the SQLite partial index gives
    exactly what the SQLAlchemy query (the PostgreSQL path) gives."""
    store = open_sqlite_store(tmp_path / "store.db")
    with store.write() as view:
        for job in queue_jobs():
            assert view.insert_job(job)
    # QPU jobs (8 of the 40: indexes 1, 6, 11, ...) created after second 20 are held back.
    hold = QUEUE_HOLD
    held = {f"job-{i:03d}" for i in range(1, 40, 5) if (i * 7) % 40 > 20}
    assert held
    for statuses in (["Waiting"], ["Waiting", "Executing"]):
        for limit in (1, 5, 13, 100):
            for holding in (None, hold):
                with store.read() as fast:
                    ours = [
                        job.id for job in fast.jobs_with_status(statuses, limit, high_priority_first=True, hold=holding)
                    ]
                with SqlStore.read(store) as portable:
                    expected = [
                        job.id
                        for job in portable.jobs_with_status(statuses, limit, high_priority_first=True, hold=holding)
                    ]
                everything = 30 if statuses == ["Waiting"] else 40
                if holding is not None:
                    assert not held & set(ours)
                    everything -= len({h for h in held if int(h[4:]) % 4 != 0 or statuses != ["Waiting"]})
                assert ours == expected and len(ours) == min(limit, everything)
    store.close()


def test_replicas_are_remembered_while_they_beat_and_forgotten_a_day_after(tmp_path: Path) -> None:
    store = open_sqlite_store(tmp_path / "replicas.db")
    start = datetime(2026, 12, 1, tzinfo=UTC)
    try:
        with store.write() as writer:
            writer.heartbeat("old", start)
            writer.heartbeat("new", start + timedelta(hours=12))
        with store.read() as reader:
            assert reader.live_replicas(start) == {"old", "new"}
            assert reader.live_replicas(start + timedelta(hours=1)) == {"new"}
        with store.write() as writer:
            writer.heartbeat("new", start + timedelta(days=1, minutes=1))
        with store.read() as reader:
            assert reader.live_replicas(start - timedelta(days=30)) == {"new"}  # "old" is gone from the table
    finally:
        store.close()


def test_an_eager_writer_commits_without_waiting_for_the_writers_behind_it(tmp_path: Path) -> None:
    """The event loop writes eagerly: a long transaction queued behind it (quota admission) must not hold
    the loop until it commits."""
    store = open_sqlite_store(tmp_path / "eager.db")
    first_in, second_waiting, release_second = threading.Event(), threading.Event(), threading.Event()
    first_done, second_in = threading.Event(), threading.Event()

    def first() -> None:
        with store.eager_writes(), store.write() as view:
            view.insert_job(job_record("first"))
            first_in.set()
            assert second_waiting.wait(10)
            time.sleep(0.05)  # let the second writer queue on the lock
        first_done.set()

    def second() -> None:
        assert first_in.wait(10)
        second_waiting.set()
        with store.write() as view:
            second_in.set()
            assert release_second.wait(10)  # a long body: runs until the first writer has returned
            view.insert_job(job_record("second"))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    try:
        assert first_done.wait(5), "the eager writer waited for the writer behind it"
        assert second_in.wait(5)
        with SqlStore.read(store) as reader:
            assert reader.get_job("ws", "first") is not None  # committed, not just released
    finally:
        release_second.set()
        for thread in threads:
            thread.join(10)
    store.close()


def test_an_eager_writer_finding_the_writer_taken_is_refused_before_its_body_runs(tmp_path: Path) -> None:
    """Checking whether the writer is free and then waiting for it was a race the worker often won, and the
    event loop stood still for its whole transaction: an eager write never waits."""
    store = open_sqlite_store(tmp_path / "busy.db")
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.write() as view:
            view.insert_job(job_record("held"))
            holding.set()
            assert release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    ran = []
    try:
        assert holding.wait(10)
        started = time.monotonic()
        with pytest.raises(WriterBusy), store.eager_writes(), store.write() as view:
            ran.append(True)
            view.insert_job(job_record("eager"))
        assert time.monotonic() - started < 0.5 and ran == []
    finally:
        release.set()
        holder.join(10)
    with store.eager_writes(), store.write() as view:  # free again: the same write goes through
        view.insert_job(job_record("eager"))
    with store.read() as reader:
        assert reader.get_job("ws", "eager") is not None and reader.get_job("ws", "held") is not None
    store.close()


def test_an_eager_writer_alone_in_its_transaction_that_raises_leaves_nothing(tmp_path: Path) -> None:
    """An eager writer opening the transaction has it alone and skips the savepoint: when its body raises,
    the whole transaction is rolled back, and the next writers find the store as it was."""
    store = open_sqlite_store(tmp_path / "eager-raises.db")
    try:
        with pytest.raises(LookupError), store.eager_writes(), store.write() as view:
            view.insert_job(job_record("dropped"))
            raise LookupError("the body's own error")
        with store.eager_writes(), store.write() as view:
            view.insert_job(job_record("kept-eager"))
        with store.write() as view:
            view.insert_job(job_record("kept"))
        with store.read() as reader:
            assert reader.get_job("ws", "dropped") is None
            assert reader.get_job("ws", "kept-eager") is not None and reader.get_job("ws", "kept") is not None
    finally:
        store.close()

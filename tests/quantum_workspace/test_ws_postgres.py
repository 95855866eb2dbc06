"""The store on PostgreSQL (`serve --database-url`): the same rules over a real server, and several
replicas over one database and one data directory, each job executed once."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from ws_helpers import API_KEY, BELL, QUEUE_HOLD, WS, Api, Refused, assert_error, job_record, new_id, queue_jobs

from quantum_workspace.clock import ManualClock
from quantum_workspace.errors import StoreError
from quantum_workspace.ids import WorkspaceRef
from quantum_workspace.service import LEASE, JobService, Principal, load_catalog
from quantum_workspace.store import ListQuery, open_postgres_store, redact_url
from quantum_workspace.store import _postgres as postgres_module
from quantum_workspace.store._sql import _View, jobs_table

pytestmark = pytest.mark.slow


def test_writers_take_turns_and_a_raising_writer_leaves_nothing(postgres_url: str) -> None:
    store = open_postgres_store(postgres_url)
    counter_id = str(uuid.uuid4())
    with store.write() as writer:
        assert writer.insert_job(job_record(counter_id))

    def bump(index: int) -> None:
        """Read-modify-write of one record: interleaved writers would lose updates."""
        if index % 5 == 0:
            with pytest.raises(Refused), store.write() as writer:
                writer.insert_job(job_record(str(uuid.uuid4())))
                raise Refused
            return
        with store.write() as writer:
            current = writer.get_job("ws", counter_id)
            assert current is not None
            writer.update_job(current.replace(attempts=current.attempts + 1))

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(bump, range(100)))
    with store.read() as reader:
        counter = reader.get_job("ws", counter_id)
        assert counter is not None and counter.attempts == 80 and counter.revision == 80
        assert len(reader.list_jobs("ws", ListQuery(top=1000)).items) == 1  # refused inserts left nothing
    with store.write() as writer:
        assert not writer.insert_job(job_record(counter_id.upper()))  # ids are case-insensitive keys
    store.close()


def test_bad_urls_are_refused_without_showing_the_password(postgres_server: Any) -> None:
    with pytest.raises(StoreError, match="postgresql://") as refused:
        open_postgres_store("sqlite:///x.db")
    wrong = f"postgresql://postgres:s3cret-pass@127.0.0.1:{postgres_server.port}/no_such_database"
    with pytest.raises(StoreError) as refused:
        open_postgres_store(wrong)
    assert "s3cret-pass" not in str(refused.value) and "***" in str(refused.value)
    assert "s3cret-pass" not in redact_url(wrong)


def test_the_data_plane_over_postgres(make_client: Any, postgres_url: str) -> None:
    api = Api(make_client(database_url=postgres_url))
    session_id = new_id()
    assert api.open_session(session_id).status_code == 200
    jobs = [new_id() for _ in range(5)]
    for job_id in jobs:
        assert api.submit(BELL, job_id=job_id, sessionId=session_id).status_code == 200
    for job_id in jobs:
        job = api.wait_job(job_id)
        assert job["status"] == "Succeeded", job
    result = api.client.get(api.call("GET", f"/jobs/{jobs[0]}").json()["outputDataUri"])
    assert set(result.json()["histogram"]) <= {"0", "3"}
    listed = api.call("GET", f"/sessions/{session_id}/jobs", params={"top": "2"}).json()
    assert len(listed["value"]) == 2 and "nextLink" in listed
    found = api.call("GET", "/jobs", params={"filter": "ProviderId eq 'IONQ' and State eq 'Succeeded'"}).json()
    assert {job["id"] for job in found["value"]} == set(jobs)
    assert api.call("POST", f"/sessions/{session_id}:close").json()["status"] == "Succeeded"
    assert_error(api.submit(BELL, sessionId=session_id), 400, "InvalidJobDefinition")
    assert_error(api.call("GET", f"/jobs/{new_id()}"), 404, "JobNotFound")


def test_two_replicas_share_one_database_and_run_each_job_once(
    tmp_path: Path, postgres_url: str, start_workspace_server: Any
) -> None:
    data_dir = tmp_path / "shared"
    args = [f"--database-url={postgres_url}"]
    replicas = [start_workspace_server(data_dir, API_KEY, args) for _ in range(2)]
    clients = [httpx.Client(base_url=replica.base_url, timeout=30) for replica in replicas]
    version = {"api-version": "2026-01-15-preview"}
    key = {"x-ms-quantum-api-key": API_KEY}

    def submit(index: int) -> str:
        client = clients[index % 2]  # alternate: the SAS from one replica is honoured by the other
        job_id, container = new_id(), f"job-{index}"
        sas = client.post(f"{WS}/storage/sasUri", params=version, headers=key, json={"containerName": container})
        assert sas.status_code == 200, sas.text
        container_uri = sas.json()["sasUri"]
        address, query = container_uri.split("?", 1)
        container_path = "/" + address.split("/", 3)[3]  # /<account>/<container>
        upload = clients[(index + 1) % 2].put(
            f"{container_path}/inputData?{query}",
            content=json.dumps(BELL).encode(),
            headers={"x-ms-blob-type": "BlockBlob"},
        )
        assert upload.status_code == 201, upload.text
        body = {
            "name": "replicas",
            "providerId": "ionq",
            "target": "ionq.simulator",
            "itemType": "Job",
            "containerUri": container_uri,
            "inputDataFormat": "ionq.circuit.v1",
        }
        created = client.put(f"{WS}/jobs/{job_id}", params=version, headers=key, json=body)
        assert created.status_code == 200, created.text
        return job_id

    with ThreadPoolExecutor(8) as pool:
        jobs = list(pool.map(submit, range(24)))
    done: dict[str, dict[str, Any]] = {}
    deadline = threading.Event()
    timer = threading.Timer(120, deadline.set)
    timer.start()
    try:
        while len(done) < len(jobs) and not deadline.is_set():
            for index, job_id in enumerate(jobs):
                if job_id not in done:
                    job = clients[index % 2].get(f"{WS}/jobs/{job_id}", params=version, headers=key).json()
                    if job["status"] in ("Succeeded", "Failed", "Cancelled"):
                        done[job_id] = job
            deadline.wait(0.1)
    finally:
        timer.cancel()
    assert {job["status"] for job in done.values()} == {"Succeeded"} and len(done) == len(jobs)
    listing = clients[1].get(f"{WS}/jobs", params={**version, "top": "100"}, headers=key).json()
    assert {job["id"] for job in listing["value"]} == set(jobs)
    store = open_postgres_store(postgres_url)
    with store.read() as reader:
        workspace = reader.workspaces()
        assert len(workspace) == 1
        records = reader.list_jobs(workspace[0], ListQuery(top=100)).items
    store.close()
    assert sorted(record.attempts for record in records) == [1] * len(jobs)  # nobody ran a job twice
    for client in clients:
        client.close()


def _job_body(workspace: WorkspaceRef, name: str) -> dict[str, Any]:
    """A Jobs_Create body for the service calls of the lease tests (no input blob: they never run it)."""
    return {
        "name": name,
        "providerId": "ionq",
        "target": "ionq.simulator",
        "itemType": "Job",
        "containerUri": f"http://127.0.0.1/{workspace.storage_account}/{name}",
        "inputDataFormat": "ionq.circuit.v1",
    }


def test_a_replica_takes_back_the_jobs_of_one_that_stopped_beating(postgres_url: str) -> None:
    """Replica A took a job and went silent; B leaves it alone while A's lease runs, then re-queues it."""
    store = open_postgres_store(postgres_url)
    clock = ManualClock()
    first = JobService(store, clock, catalog_loader=load_catalog, replica="replica-a")
    second = JobService(store, clock, catalog_loader=load_catalog, replica="replica-b")
    workspace = WorkspaceRef("00000000-0000-0000-0000-000000000001", "rg", "ws")
    job, _created = first.create(workspace, new_id(), _job_body(workspace, "lease"), Principal("test", "Key"))
    first.heartbeat()
    claimed = first.claim_next()
    assert claimed is not None and claimed.id == job.id and claimed.claimed_by == "replica-a"

    second.heartbeat()
    assert second.requeue_interrupted() == 0  # A's lease runs: its job may still be executing there
    clock.advance(LEASE - timedelta(seconds=1))
    second.heartbeat()
    assert second.requeue_interrupted() == 0
    clock.advance(timedelta(seconds=2))  # A has now been silent for longer than its lease
    second.heartbeat()
    assert second.requeue_interrupted() == 1
    requeued = second.get(workspace, job.id)
    assert (requeued.status, requeued.claimed_by) == ("Waiting", None)
    again = second.claim_next()
    assert again is not None and (again.claimed_by, again.attempts) == ("replica-b", 2)
    assert first.requeue_interrupted() == 0  # B beats: A, back, leaves B's execution alone
    store.close()


def test_replicas_starting_together_on_a_fresh_database(postgres_url: str, tmp_path: Path) -> None:
    """Both create the tables (one waits for the other) and both sign SAS URIs with the same new key."""
    from quantum_workspace.blobs import SasSigner

    barrier = threading.Barrier(6)

    def start(_index: int) -> bytes:
        barrier.wait()
        store = open_postgres_store(postgres_url)
        store.close()
        return SasSigner.load_or_create(tmp_path)._key

    with ThreadPoolExecutor(6) as pool:
        keys = list(pool.map(start, range(6)))
    assert len(set(keys)) == 1 and len(keys[0]) == 32
    assert [path.name for path in tmp_path.iterdir()] == [SasSigner.KEY_FILE]  # no temporary file left


def test_heartbeats_land_while_another_replica_holds_the_write_lock(postgres_url: str) -> None:
    """A long write of one replica (quota admission over a month of jobs) must not silence the others:
    under the write lock their heartbeats waited for it, and a live replica could look gone."""
    store = open_postgres_store(postgres_url)
    clock = ManualClock()
    holding, release = threading.Event(), threading.Event()

    def long_write() -> None:
        with store.write() as writer:
            writer.insert_job(job_record())
            holding.set()
            assert release.wait(20)

    holder = threading.Thread(target=long_write)
    holder.start()
    try:
        assert holding.wait(10)
        beat = threading.Thread(target=store.beat, args=("replica-busy", clock.now()))
        beat.start()
        beat.join(5)
        assert not beat.is_alive(), "the heartbeat waited for the write lock"
        with store.read() as reader:
            assert "replica-busy" in reader.live_replicas(clock.now() - LEASE)
    finally:
        release.set()
        holder.join(20)
        store.close()


def test_a_replica_that_beats_again_before_the_take_back_keeps_its_job(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look at who is alive is a read; the take-back is a write under the lock that looks again, so a
    replica whose heartbeat landed in between keeps its running job."""
    store = open_postgres_store(postgres_url)
    clock = ManualClock()
    first = JobService(store, clock, catalog_loader=load_catalog, replica="replica-late")
    second = JobService(store, clock, catalog_loader=load_catalog, replica="replica-sweeper")
    workspace = WorkspaceRef("00000000-0000-0000-0000-000000000001", "rg", "ws")
    job, _created = first.create(workspace, new_id(), _job_body(workspace, "late"), Principal("test", "Key"))
    first.heartbeat()
    assert first.claim_next() is not None
    clock.advance(LEASE + timedelta(seconds=1))  # replica-late looks silent to the sweeper's read...
    second.heartbeat()
    real_write = store.write

    def write_after_a_late_beat() -> Any:
        first.heartbeat()  # ...and beats just before the sweeper takes the lock
        monkeypatch.setattr(store, "write", real_write)
        return real_write()

    monkeypatch.setattr(store, "write", write_after_a_late_beat)
    assert second.requeue_interrupted() == 0  # an orphan at the look, left running at the write
    kept = second.get(workspace, job.id)
    assert (kept.status, kept.claimed_by) == ("Executing", "replica-late")
    store.close()


def _reads_on_the_loop(make_client: Any, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> dict[str, bool]:
    """For each read the API makes, whether it ran on the event loop's thread (a running loop there)."""
    seen: dict[str, bool] = {}
    for name in ("get", "list", "list_in_session", "list_top_level"):
        original = getattr(JobService, name)

        def watched(self: JobService, *args: Any, _name: str = name, _original: Any = original) -> Any:
            try:
                asyncio.get_running_loop()
                seen[_name] = True
            except RuntimeError:
                seen[_name] = False
            return _original(self, *args)

        monkeypatch.setattr(JobService, name, watched)
    api = Api(make_client(**settings))
    session_id = new_id()
    assert api.open_session(session_id).status_code == 200
    job_id = new_id()
    assert api.submit(BELL, job_id=job_id, sessionId=session_id).status_code == 200
    for path in (f"/jobs/{job_id}", "/jobs", f"/sessions/{session_id}/jobs", "/topLevelItems"):
        assert api.call("GET", path).status_code == 200
    return seen


def test_reads_of_a_shared_database_leave_the_event_loop_and_sqlite_reads_stay(
    make_client: Any, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PostgreSQL read is a network round trip: on the loop it would stop every other request."""
    on_postgres = _reads_on_the_loop(make_client, monkeypatch, database_url=postgres_url)
    assert on_postgres == dict.fromkeys(("get", "list", "list_in_session", "list_top_level"), False)
    on_sqlite = _reads_on_the_loop(make_client, monkeypatch)
    assert on_sqlite == dict.fromkeys(("get", "list", "list_in_session", "list_top_level"), True)


def test_the_queue_on_postgres_matches_the_portable_query_and_uses_its_index(postgres_url: str) -> None:
    """High priority first, then the oldest, read in two index-ordered queries (the portable query sorts
    every waiting job by a value inside its document on each claim)."""
    store = open_postgres_store(postgres_url)
    try:
        with store.write() as view:
            for job in queue_jobs():
                assert view.insert_job(job)
        for statuses in (["Waiting"], ["Waiting", "Executing"]):
            for limit in (1, 5, 13, 100):
                for holding in (None, QUEUE_HOLD):
                    with store.read() as ours:
                        got = ours.jobs_with_status(statuses, limit, high_priority_first=True, hold=holding)
                    with store._engine.connect() as connection:
                        portable = _View(connection).jobs_with_status(
                            statuses, limit, high_priority_first=True, hold=holding
                        )
                    assert [job.id for job in got] == [job.id for job in portable] and got
        with store._engine.connect() as connection:
            connection.execute(sa.text("SET enable_seqscan = off"))
            query = (  # the statement the view sends for the high-priority read
                _View._queue(["Waiting"], None)
                .where(sa.text(postgres_module._HIGH_PRIORITY))
                .order_by(jobs_table.c.creation_time, jobs_table.c.id_key)
                .limit(5)
            )
            compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
            plan = "\n".join(row[0] for row in connection.execute(sa.text(f"EXPLAIN {compiled}")))
        assert "ix_jobs_queue_high" in plan, plan
    finally:
        store.close()

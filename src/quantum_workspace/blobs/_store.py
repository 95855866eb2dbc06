"""The linked storage account on disk: one directory per account and container, a data file and a JSON
metadata file per blob.

A blob's metadata names the data file of its current version, and is replaced atomically (os.replace)
after the data is on disk, so a reader sees either the old blob or the new one, never a mix, and a crash
leaves at worst an unreferenced data file (removed at the next start).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from ..clock import Clock, SystemClock, format_timestamp, parse_timestamp
from ..errors import StoreError
from ._errors import BlobError
from ._names import check_blob_name, check_container_name

__all__ = ["BlobProperties", "BlobStore", "ContainerProperties", "Upload"]

_CONTAINER_FILE = ".container.json"
_BLOCKS_DIR = ".blocks"
_META_SUFFIX = ".meta"
_DATA_SUFFIX = ".data"
#: Files being written start so; `_file_stem` percent-encodes '#', so no blob's files ever do (".tmp-"
#: did: a blob named .tmp-x was collected as garbage at the next start).
_TMP_PREFIX = "#tmp-"


@dataclass(frozen=True, slots=True)
class BlobProperties:
    name: str
    size: int
    content_type: str
    content_md5: str
    etag: str
    last_modified: datetime
    creation_time: datetime
    data_file: str
    content_encoding: str | None = None
    content_language: str | None = None
    content_disposition: str | None = None
    cache_control: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["last_modified"] = format_timestamp(self.last_modified)
        data["creation_time"] = format_timestamp(self.creation_time)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BlobProperties:
        values = dict(data)
        values["last_modified"] = parse_timestamp(values["last_modified"])
        values["creation_time"] = parse_timestamp(values["creation_time"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class ContainerProperties:
    name: str
    etag: str
    last_modified: datetime


def _new_etag() -> str:
    return '"0x' + secrets.token_hex(8).upper()[:15] + '"'


def _file_stem(blob: str) -> str:
    encoded = quote(blob, safe="-_.~ ")
    if len(encoded.encode("utf-8")) > 150:
        return "h-" + hashlib.sha256(blob.encode("utf-8")).hexdigest()
    return encoded


def _fsync_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Upload:
    """A blob being written: chunks go to a new data file; commit() publishes it, abort() drops it."""

    def __init__(self, store: BlobStore, account: str, container: str, blob: str, limit: int | None) -> None:
        self._store, self.account, self.container, self.blob = store, account, container, blob
        self._limit = limit
        self.data_file = f"{_file_stem(blob)}.{secrets.token_hex(6)}{_DATA_SUFFIX}"
        self._path = store.container_dir(account, container) / self.data_file
        self._handle: IO[bytes] | None = open(self._path, "xb")  # noqa: SIM115 - closed in commit/abort
        self._md5 = hashlib.md5()  # noqa: S324 - Content-MD5 is part of the Blob protocol, not security
        self.size = 0

    def write(self, chunk: bytes) -> None:
        assert self._handle is not None
        self.size += len(chunk)
        if self._limit is not None and self.size > self._limit:
            self.abort()
            raise BlobError.too_large(self._limit)
        self._md5.update(chunk)
        self._handle.write(chunk)

    def commit(
        self, *, content_type: str | None, if_none_match: str | None = None, **headers: str | None
    ) -> BlobProperties:
        assert self._handle is not None
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._handle = None
        md5 = base64.b64encode(self._md5.digest()).decode("ascii")
        try:
            return self._store._publish(self, content_type or "application/octet-stream", md5, if_none_match, headers)
        except BaseException:
            self._path.unlink(missing_ok=True)
            raise

    def abort(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self._path.unlink(missing_ok=True)


class BlobStore:
    """Containers and block blobs under one root directory."""

    def __init__(self, root: Path, clock: Clock | None = None) -> None:
        self.root = root
        self._clock = clock or SystemClock()
        self._locks: dict[tuple[str, str, str], threading.Lock] = {}
        self._locks_guard = threading.Lock()
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create the blob directory {root}: {error.strerror}") from error

    # -- containers -------------------------------------------------------------------------------

    def container_dir(self, account: str, container: str) -> Path:
        return self.root / account / check_container_name(container)

    def container_exists(self, account: str, container: str) -> bool:
        return (self.container_dir(account, container) / _CONTAINER_FILE).is_file()

    def create_container(self, account: str, container: str, *, exist_ok: bool = True) -> ContainerProperties:
        directory = self.container_dir(account, container)
        marker = directory / _CONTAINER_FILE
        with self._lock(account, container, ""):
            if marker.is_file():
                if not exist_ok:
                    raise BlobError.container_exists()
                return self.container_properties(account, container)
            directory.mkdir(parents=True, exist_ok=True)
            props = ContainerProperties(container, _new_etag(), self._clock.now())
            _fsync_write(
                marker,
                json.dumps(
                    {
                        "name": container,
                        "etag": props.etag,
                        "last_modified": format_timestamp(props.last_modified),
                    }
                ),
            )
            return props

    def container_properties(self, account: str, container: str) -> ContainerProperties:
        marker = self.container_dir(account, container) / _CONTAINER_FILE
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise BlobError.container_not_found() from error
        return ContainerProperties(data["name"], data["etag"], parse_timestamp(data["last_modified"]))

    # -- blobs ------------------------------------------------------------------------------------

    def begin_upload(self, account: str, container: str, blob: str, *, limit: int | None = None) -> Upload:
        check_blob_name(blob)
        if not self.container_exists(account, container):
            raise BlobError.container_not_found()
        return Upload(self, account, container, blob, limit)

    def write_bytes(self, account: str, container: str, blob: str, data: bytes, content_type: str) -> BlobProperties:
        """Write a whole blob (the worker's output), creating the container if needed."""
        self.create_container(account, container)
        upload = self.begin_upload(account, container, blob)
        upload.write(data)
        return upload.commit(content_type=content_type)

    # -- blocks (Put Block, Put Block List: how the SDKs upload large blobs) ------------------------

    def _blocks_dir(self, account: str, container: str, blob: str) -> Path:
        return self.container_dir(account, container) / _BLOCKS_DIR / _file_stem(check_blob_name(blob))

    @staticmethod
    def _block_file(block_id: str) -> str:
        return hashlib.sha256(block_id.encode("utf-8")).hexdigest()[:40] + ".block"

    def stage_block(self, account: str, container: str, blob: str, block_id: str, chunks: list[bytes]) -> str:
        """Keep one uncommitted block; returns its Content-MD5."""
        if not self.container_exists(account, container):
            raise BlobError.container_not_found()
        directory = self._blocks_dir(account, container, blob)
        md5 = hashlib.md5()  # noqa: S324 - Content-MD5 is part of the Blob protocol
        # Written beside the blocks' directory, which a commit may be removing meanwhile; only the move in
        # waits for the blob's block lock, so the SDKs' parallel Put Blocks still write in parallel.
        fd, tmp = tempfile.mkstemp(dir=self.container_dir(account, container), prefix=_TMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    md5.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            with self._blocks_lock(account, container, blob):
                directory.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, directory / self._block_file(block_id))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return base64.b64encode(md5.digest()).decode("ascii")

    def commit_blocks(
        self,
        account: str,
        container: str,
        blob: str,
        block_ids: list[str],
        *,
        limit: int | None,
        content_type: str | None,
        if_none_match: str | None = None,
        **headers: str | None,
    ) -> BlobProperties:
        """Publish the staged blocks, in the listed order, as the blob's new content."""
        directory = self._blocks_dir(account, container, blob)
        with self._blocks_lock(account, container, blob):  # one commit at a time takes the staged blocks
            missing = [bid for bid in block_ids if not (directory / self._block_file(bid)).is_file()]
            if missing:
                raise _never_uploaded(len(missing))
            upload = self.begin_upload(account, container, blob, limit=limit)
            try:
                for block_id in block_ids:
                    with open(directory / self._block_file(block_id), "rb") as handle:
                        while chunk := handle.read(1 << 20):
                            upload.write(chunk)
            except FileNotFoundError:  # another replica sharing the directory committed them first
                upload.abort()
                raise _never_uploaded(1) from None
            except BaseException:
                upload.abort()
                raise
            props = upload.commit(content_type=content_type, if_none_match=if_none_match, **headers)
            shutil.rmtree(directory, ignore_errors=True)
            return props

    def exists(self, account: str, container: str, blob: str) -> bool:
        return self._meta_path(account, container, blob).is_file()

    def properties(self, account: str, container: str, blob: str) -> BlobProperties:
        if not self.container_exists(account, container):
            raise BlobError.container_not_found()
        try:
            data = json.loads(self._meta_path(account, container, blob).read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise BlobError.blob_not_found() from error
        return BlobProperties.from_json(data)

    def open(self, account: str, container: str, blob: str) -> tuple[BlobProperties, IO[bytes]]:
        """The blob's properties and an open handle on exactly that version of its data."""
        for _attempt in range(3):
            props = self.properties(account, container, blob)
            try:
                handle = open(self.container_dir(account, container) / props.data_file, "rb")  # noqa: SIM115
            except FileNotFoundError:
                continue  # replaced between reading the metadata and opening the data; read again
            return props, handle
        raise BlobError.blob_not_found()

    def read_bytes(self, account: str, container: str, blob: str) -> tuple[BlobProperties, bytes]:
        props, handle = self.open(account, container, blob)
        with handle:
            return props, handle.read()

    def list_blobs(self, account: str, container: str, prefix: str = "") -> list[BlobProperties]:
        directory = self.container_dir(account, container)
        if not (directory / _CONTAINER_FILE).is_file():
            raise BlobError.container_not_found()
        found = []
        for meta in directory.glob(f"*{_META_SUFFIX}"):
            try:
                props = BlobProperties.from_json(json.loads(meta.read_text(encoding="utf-8")))
            except FileNotFoundError:
                continue
            if props.name.startswith(prefix):
                found.append(props)
        return sorted(found, key=lambda p: p.name)

    def collect_garbage(self, older_than: float | None = None) -> int:
        """Remove data files no metadata points at (left by a crash mid-upload); returns how many. With
        `older_than` (seconds), only files not touched for that long: replicas sharing the directory may
        be in the middle of an upload, whose file has no metadata until it commits."""
        cutoff = None if older_than is None else time.time() - older_than

        def stale(path: Path) -> bool:
            try:
                return cutoff is None or path.stat().st_mtime < cutoff
            except OSError:
                return False

        removed = 0
        for directory in self.root.glob("*/*"):
            if not directory.is_dir():
                continue
            referenced = set()
            for meta in directory.glob(f"*{_META_SUFFIX}"):
                try:
                    referenced.add(json.loads(meta.read_text(encoding="utf-8"))["data_file"])
                except (OSError, ValueError, KeyError):
                    continue
            for data in directory.glob(f"*{_DATA_SUFFIX}"):
                if data.name not in referenced and stale(data):
                    data.unlink(missing_ok=True)
                    removed += 1
            for tmp in directory.glob(f"{_TMP_PREFIX}*"):
                if stale(tmp):
                    tmp.unlink(missing_ok=True)
        return removed

    # -- internals --------------------------------------------------------------------------------

    def _meta_path(self, account: str, container: str, blob: str) -> Path:
        return self.container_dir(account, container) / f"{_file_stem(check_blob_name(blob))}{_META_SUFFIX}"

    def _blocks_lock(self, account: str, container: str, blob: str) -> threading.Lock:
        """The lock of a blob's staged blocks (a blob name has no control characters: no clash)."""
        return self._lock(account, container, "\x00blocks/" + blob)

    def _lock(self, account: str, container: str, blob: str) -> threading.Lock:
        key = (account, container, blob)
        with self._locks_guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.Lock()
            return lock

    def _publish(
        self,
        upload: Upload,
        content_type: str,
        md5: str,
        if_none_match: str | None,
        headers: dict[str, str | None],
    ) -> BlobProperties:
        meta_path = self._meta_path(upload.account, upload.container, upload.blob)
        with self._lock(upload.account, upload.container, upload.blob):
            previous: BlobProperties | None = None
            if meta_path.is_file():
                previous = BlobProperties.from_json(json.loads(meta_path.read_text(encoding="utf-8")))
                wanted = [tag.strip().removeprefix("W/") for tag in (if_none_match or "").split(",")]
                if "*" in wanted:
                    raise BlobError.blob_exists()
                if previous.etag in wanted:
                    raise BlobError.condition_not_met()
            now = self._clock.now()
            props = BlobProperties(
                name=upload.blob,
                size=upload.size,
                content_type=content_type,
                content_md5=md5,
                etag=_new_etag(),
                last_modified=now,
                creation_time=previous.creation_time if previous else now,
                data_file=upload.data_file,
                content_encoding=headers.get("content_encoding"),
                content_language=headers.get("content_language"),
                content_disposition=headers.get("content_disposition"),
                cache_control=headers.get("cache_control"),
            )
            _fsync_write(meta_path, json.dumps(props.to_json()))
            if previous is not None and previous.data_file != upload.data_file:
                (meta_path.parent / previous.data_file).unlink(missing_ok=True)
            return props

    def iter_range(self, handle: IO[bytes], start: int, length: int, chunk: int = 1 << 16) -> Iterator[bytes]:
        """Read `length` bytes from `start` in chunks, closing the handle at the end."""
        try:
            handle.seek(start)
            remaining = length
            while remaining > 0:
                data = handle.read(min(chunk, remaining))
                if not data:
                    break
                remaining -= len(data)
                yield data
        finally:
            handle.close()


def _never_uploaded(count: int) -> BlobError:
    return BlobError(
        "InvalidBlockList", 400, f"The specified block list is invalid: {count} listed block(s) were never uploaded."
    )

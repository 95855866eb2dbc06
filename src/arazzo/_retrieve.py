"""Fetching documents (local files and http/https) under a policy: documents are untrusted input."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from ._errors import Position, SourceError, TransportError
from ._record import record
from ._text import ParsedText, parse_text

__all__ = ["SourcePolicy", "Retriever", "to_uri", "display_name"]


@record(frozen=True, slots=True)
class SourcePolicy:
    """What a document may make the engine read. Remote documents can never read local files."""

    allow_files: bool = True
    allow_http: bool = True
    allowed_hosts: frozenset[str] | None = None
    max_bytes: int = 32 * 1024 * 1024
    timeout: float = 30.0
    verify: bool | str = True


def to_uri(location: str | os.PathLike[str]) -> str:
    """An absolute URI for a path or URL (paths become file: URIs)."""
    text = os.fspath(location)
    scheme = urlsplit(text).scheme.lower()
    if scheme in ("http", "https", "file"):
        return text
    return Path(text).expanduser().resolve().as_uri()


def display_name(uri: str) -> str:
    """A short name for messages: a path relative to the working directory when possible."""
    parts = urlsplit(uri)
    if parts.scheme != "file":
        return uri
    path = unquote(parts.path)
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith(".." + os.sep + ".." + os.sep) else path


class Retriever:
    """Reads and parses documents once per URI (so a run can reference a description many times)."""

    def __init__(self, policy: SourcePolicy | None = None) -> None:
        self.policy = policy or SourcePolicy()
        self._cache: dict[tuple[str, bool], ParsedText] = {}

    def resolve(self, ref: str, base: str) -> str:
        return urljoin(base, ref)

    def fetch(
        self, uri: str, *, positions: bool = True, referrer: str | None = None, where: Position | None = None
    ) -> ParsedText:
        uri = urldefrag(uri).url
        key = (uri, positions)
        if key in self._cache:
            return self._cache[key]
        if not positions and (uri, True) in self._cache:
            return self._cache[(uri, True)]
        text = self._read(uri, referrer, where)
        parsed = parse_text(text, display_name(uri), positions=positions)
        self._cache[key] = parsed
        return parsed

    def _read(self, uri: str, referrer: str | None, where: Position | None) -> str:
        parts = urlsplit(uri)
        scheme = parts.scheme.lower()
        if scheme == "file":
            if referrer is not None and urlsplit(referrer).scheme.lower() != "file":
                raise SourceError(
                    f"a remote document cannot reference the local file {display_name(uri)}", position=where
                )
            if referrer is not None and not self.policy.allow_files:
                raise SourceError(f"local file sources are not allowed: {display_name(uri)}", position=where)
            path = Path(unquote(parts.path))
            try:
                mode = path.stat().st_mode
                if stat.S_ISDIR(mode):
                    raise IsADirectoryError
                if not stat.S_ISREG(mode):  # /dev/zero never ends, a FIFO may never answer
                    raise SourceError(f"{display_name(uri)} is not a regular file", position=where)
                with path.open("rb") as handle:  # read to the limit, not to the size stat reported
                    data = handle.read(self.policy.max_bytes + 1)
                if len(data) > self.policy.max_bytes:
                    raise SourceError(
                        f"{display_name(uri)} is larger than {self.policy.max_bytes} bytes", position=where
                    )
                return data.decode("utf-8-sig")
            except FileNotFoundError as exc:
                raise SourceError(f"file not found: {display_name(uri)}", position=where) from exc
            except IsADirectoryError as exc:
                raise SourceError(
                    f"{display_name(uri)} is a directory, not a document", position=where
                ) from exc
            except UnicodeDecodeError as exc:
                raise SourceError(f"{display_name(uri)} is not UTF-8 text", position=where) from exc
            except OSError as exc:
                raise SourceError(f"cannot read {display_name(uri)}: {exc.strerror}", position=where) from exc
        if scheme in ("http", "https"):
            return self._download(uri, where)
        raise SourceError(f"unsupported URL scheme {scheme!r} in {uri}", position=where)

    def _download(self, uri: str, where: Position | None) -> str:
        import httpx

        if not self.policy.allow_http:
            raise SourceError(f"remote sources are not allowed: {uri}", position=where)
        host = urlsplit(uri).hostname or ""
        if self.policy.allowed_hosts is not None and host not in self.policy.allowed_hosts:
            raise SourceError(f"host {host!r} is not in the allowed hosts list ({uri})", position=where)
        from ._http import tls_verify

        try:
            verify = tls_verify(self.policy.verify)
            with httpx.Client(timeout=self.policy.timeout, verify=verify, follow_redirects=False) as c:
                with c.stream("GET", uri) as response:
                    if response.status_code != 200:
                        raise SourceError(f"GET {uri} answered HTTP {response.status_code}", position=where)
                    chunks: list[bytes] = []
                    total = 0
                    for chunk in response.iter_bytes():
                        total += len(chunk)
                        if total > self.policy.max_bytes:
                            raise SourceError(
                                f"{uri} is larger than {self.policy.max_bytes} bytes", position=where
                            )
                        chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise SourceError(f"cannot fetch {uri}: {exc}", position=where) from exc
        except TransportError as exc:
            raise SourceError(exc.message, position=where) from exc
        try:
            return b"".join(chunks).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SourceError(f"{uri} is not UTF-8 text", position=where) from exc

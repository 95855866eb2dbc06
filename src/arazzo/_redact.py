"""Masking secrets wherever a value becomes text: bearer tokens, API keys, SAS signatures, passwords."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ._expressions import looks_like_expression

__all__ = ["Redactor", "MASK", "SENSITIVE_HEADERS", "SENSITIVE_QUERY"]

MASK = "***"
SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-ms-quantum-api-key",
        "api-key",
        "x-api-key",
        "apikey",
        "ocp-apim-subscription-key",
        "x-functions-key",
        "cookie",
        "set-cookie",
        "x-auth-token",
    }
)
SENSITIVE_QUERY = frozenset(
    {
        "sig",
        "api_key",
        "apikey",
        "api-key",
        "access_token",
        "refresh_token",
        "client_secret",
        "password",
        "x-ms-quantum-api-key",
        "code_verifier",
    }
)
SENSITIVE_FIELDS = frozenset(
    {
        "password",
        "client_secret",
        "access_token",
        "refresh_token",
        "id_token",
        "api_key",
        "apikey",
        "secret",
    }
)
# Credentials after an auth scheme: long enough and token-like (a digit or symbol), so prose such as
# "the bearer token is missing" stays readable; expression text (`$inputs.x`, `{$...}`) is not a secret.
_AUTH_RE = re.compile(
    r"\b(Bearer|Basic|Digest|SharedKey|bearer|basic)\s+(?![{$])"
    r"(?=[^\s\"',;]*[0-9\-._~+/=])[^\s\"',;]{8,}"
)
_MIN_SECRET = 4
_SCHEMES = frozenset({"bearer", "basic", "digest", "sharedkey", "negotiate", "token"})


class Redactor:
    """Collects secret values seen during a run and masks them (and well-known patterns) in any text."""

    def __init__(
        self, secrets: Iterable[str] = (), *, headers: Iterable[str] = (), query: Iterable[str] = ()
    ):
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.headers = set(SENSITIVE_HEADERS) | {h.lower() for h in headers}
        self.query = set(SENSITIVE_QUERY) | {q.lower() for q in query}
        self._query_re = self._build_query_re()
        for s in secrets:
            self.add(s)

    def _build_query_re(self) -> re.Pattern[str]:
        names = "|".join(sorted((re.escape(q) for q in self.query), key=len, reverse=True))
        return re.compile(rf"(?i)([?&;](?:{names})=)[^&#\s\"'<>]*")

    def add_header_names(self, names: Iterable[str]) -> None:
        self.headers |= {n.lower() for n in names}

    def add_query_names(self, names: Iterable[str]) -> None:
        before = len(self.query)
        self.query |= {n.lower() for n in names}
        if len(self.query) != before:
            self._query_re = self._build_query_re()

    def add_scheme_names(self, schemes: Mapping[str, Any]) -> None:
        """The header and query names that carry apiKey credentials in OpenAPI security schemes."""
        for s in schemes.values():
            if s.get("type") == "apiKey" and isinstance(s.get("name"), str):
                if s.get("in") == "query":
                    self.add_query_names([s["name"]])
                elif s.get("in") == "header":
                    self.add_header_names([s["name"]])

    def add(self, secret: Any) -> None:
        if not isinstance(secret, str):
            secret = str(secret)
        secret = secret.strip()
        if len(secret) < _MIN_SECRET or secret in self._secrets:
            return
        if looks_like_expression(secret) is not None:
            return  # unevaluated document text (e.g. "Bearer $inputs.token" sent literally) is not a secret
        scheme, _, rest = secret.partition(" ")
        if rest.strip() and scheme.lower() in ("bearer", "basic", "digest", "sharedkey"):
            secret = rest.strip()  # mask the credential, keep the scheme readable ("Bearer ***")
            if len(secret) < _MIN_SECRET:
                return
        self._secrets.add(secret)
        self._pattern = None

    def is_sensitive_header(self, name: str) -> bool:
        return name.lower() in self.headers

    def is_sensitive_query(self, name: str) -> bool:
        return name.lower() in self.query

    def text(self, text: str) -> str:
        if not text:
            return text
        if self._secrets:
            if self._pattern is None:
                self._pattern = re.compile(
                    "|".join(re.escape(s) for s in sorted(self._secrets, key=len, reverse=True))
                )
            text = self._pattern.sub(MASK, text)
        text = self._query_re.sub(lambda m: m.group(1) + MASK, text)
        return _AUTH_RE.sub(lambda m: f"{m.group(1)} {MASK}", text)

    def value(self, value: Any, _depth: int = 0) -> Any:
        """A copy of a JSON-like value with secrets masked (strings, and members named like secrets)."""
        if _depth > 64:
            return MASK
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {
                k: (
                    MASK
                    if isinstance(k, str) and k.lower() in SENSITIVE_FIELDS and v not in (None, "")
                    else self.value(v, _depth + 1)
                )
                for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [self.value(v, _depth + 1) for v in value]
        if isinstance(value, bytes):
            return f"<{len(value)} bytes>"
        return value

    def header_value(self, name: str, value: str) -> str:
        """A header value for display: sensitive headers masked (an auth scheme such as `Bearer` stays
        readable), cookies masked per cookie, anything else through `text`."""
        low = name.lower()
        if low in ("cookie", "set-cookie"):
            return "; ".join(
                f"{k.strip()}={MASK}" if sep else MASK
                for k, sep, _ in (piece.partition("=") for piece in value.split(";"))
                if k.strip() or sep
            )
        if self.is_sensitive_header(low):
            scheme, sep, rest = value.strip().partition(" ")
            if sep and rest.strip() and scheme.lower() in _SCHEMES:
                return f"{scheme} {MASK}"
            return MASK
        return self.text(value)

    def headers_text(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(k, self.header_value(k, v)) for k, v in headers]

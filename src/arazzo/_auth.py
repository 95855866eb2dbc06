"""Authentication from OpenAPI security schemes: apiKey (header, query, cookie), http basic and bearer,
and OAuth2 client credentials. Credentials come from the caller, then workflow inputs named like the
scheme, then `ARAZZO_AUTH_<SCHEME>` environment variables. A parameter the step sets itself wins."""

from __future__ import annotations

import base64
import os
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urljoin

from ._errors import TransportError
from ._http import Client, HttpOptions, send
from ._openapi import Operation
from ._redact import Redactor
from ._request import OutgoingRequest

__all__ = ["Authenticator", "env_name"]


def env_name(scheme: str) -> str:
    """`ARAZZO_AUTH_<SCHEME>`: the scheme name upper-cased, other characters as `_`."""
    return "ARAZZO_AUTH_" + re.sub(r"[^A-Za-z0-9]", "_", scheme).upper()


def _pair(value: Any, first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, str] | None:
    if isinstance(value, Mapping):
        a = next((value[k] for k in first if k in value), None)
        b = next((value[k] for k in second if k in value), None)
        return (str(a), str(b)) if a is not None and b is not None else None
    if isinstance(value, str) and ":" in value:
        a, _, b = value.partition(":")
        return a, b
    return None


class Authenticator:
    """Applies credentials to requests for one run (tokens are cached per run, keyed by the secret too)."""

    def __init__(
        self,
        client: Client,
        http: HttpOptions,
        redactor: Redactor,
        credentials: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.client = client
        self.http = http
        self.redactor = redactor
        self.credentials = dict(credentials or {})
        self.environ = environ if environ is not None else os.environ
        self._tokens: dict[tuple[str, ...], tuple[str, float]] = {}
        self._seen: set[int] = set()
        for value in self.credentials.values():
            self._learn(value)

    def _learn(self, value: Any) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                if k.lower() in ("clientsecret", "client_secret", "password", "token", "value"):
                    self.redactor.add(str(v))
        elif isinstance(value, str):
            self.redactor.add(value)
            if ":" in value:
                self.redactor.add(value.partition(":")[2])

    def credential(self, source: str, scheme: str, inputs: Mapping[str, Any]) -> Any:
        for key in (f"{source}.{scheme}", scheme):
            if key in self.credentials:
                return self.credentials[key]
        if scheme in inputs:
            value = inputs[scheme]
            self._learn(value)
            return value
        env = self.environ.get(env_name(scheme))
        if env:
            self._learn(env)
        return env or None

    async def apply(
        self, op: Operation, req: OutgoingRequest, inputs: Mapping[str, Any], base_url: str
    ) -> str | None:
        """Add credentials for the first satisfiable security requirement; returns a note when none is."""
        schemes = op.description.security_schemes
        if id(op.description) not in self._seen:
            self._seen.add(id(op.description))
            self.redactor.add_scheme_names(schemes)
        requirements = op.security
        if not requirements:
            return None
        for requirement in requirements:
            if not isinstance(requirement, Mapping):
                continue
            if not requirement:
                return None  # `{}`: anonymous access is allowed
            found = {name: self.credential(op.source, name, inputs) for name in requirement}
            if all(v is not None and name in schemes for name, v in found.items()):
                for name, value in found.items():
                    await self._apply_one(name, schemes[name], value, requirement[name], req, base_url)
                return None
        for requirement in requirements:
            if isinstance(requirement, Mapping) and all(
                name in schemes and self._present(schemes[name], req) for name in requirement
            ):
                return None  # the step sends these credentials itself
        names = sorted({n for r in requirements if isinstance(r, Mapping) for n in r})
        envs = ", ".join(env_name(n) for n in names)
        return f"{op.label} needs credentials for {', '.join(names)}; none were given (e.g. {envs})"

    async def _apply_one(
        self,
        name: str,
        scheme: Mapping[str, Any],
        value: Any,
        scopes: Any,
        req: OutgoingRequest,
        base_url: str,
    ) -> None:
        kind = str(scheme.get("type", "")).lower()
        if kind == "apikey":
            self._api_key(scheme, str(value), req)
        elif kind == "http":
            http_scheme = str(scheme.get("scheme", "")).lower()
            if http_scheme == "basic":
                pair = _pair(value, ("username", "user"), ("password",))
                if pair is None:
                    raise TransportError(f"security scheme {name!r} needs 'user:password'", kind="auth")
                self.redactor.add(pair[1])
                token = base64.b64encode(f"{pair[0]}:{pair[1]}".encode()).decode()
                self._header(req, "Authorization", f"Basic {token}")
            else:
                self._header(req, "Authorization", f"Bearer {value}")
        elif kind in ("oauth2", "openidconnect"):
            token = await self._oauth_token(name, scheme, value, scopes, base_url)
            self._header(req, "Authorization", f"Bearer {token}")
        elif kind == "basic":  # Swagger 2.0
            pair = _pair(value, ("username", "user"), ("password",))
            if pair is not None:
                self.redactor.add(pair[1])
                token = base64.b64encode(f"{pair[0]}:{pair[1]}".encode()).decode()
                self._header(req, "Authorization", f"Basic {token}")

    @staticmethod
    def _present(scheme: Mapping[str, Any], req: OutgoingRequest) -> bool:
        headers = {k.lower(): v for k, v in req.headers}
        if scheme.get("type") == "apiKey":
            name = str(scheme.get("name", ""))
            if scheme.get("in") == "header":
                return name.lower() in headers
            if scheme.get("in") == "query":
                return name in req.query
            return any(p.strip().startswith(name + "=") for p in headers.get("cookie", "").split(";"))
        return "authorization" in headers

    @staticmethod
    def _header(req: OutgoingRequest, name: str, value: str) -> None:
        if not any(k.lower() == name.lower() for k, _ in req.headers):
            req.headers.append((name, value))

    def _api_key(self, scheme: Mapping[str, Any], value: str, req: OutgoingRequest) -> None:
        where, key = scheme.get("in"), str(scheme.get("name", ""))
        self.redactor.add(value)
        if where == "header":
            self._header(req, key, value)
        elif where == "query":
            if key in req.query:
                return
            req.query[key] = [value]
            sep = "&" if "?" in req.url else "?"
            req.url += f"{sep}{quote(key, safe='')}={quote(value, safe='')}"
        elif where == "cookie":
            pair = f"{key}={quote(value, safe='')}"
            for i, (k, v) in enumerate(req.headers):
                if k.lower() == "cookie":
                    if not any(p.strip().startswith(key + "=") for p in v.split(";")):
                        req.headers[i] = (k, f"{v}; {pair}")
                    return
            req.headers.append(("Cookie", pair))

    async def _oauth_token(
        self, name: str, scheme: Mapping[str, Any], value: Any, scopes: Any, base_url: str
    ) -> str:
        pair = _pair(value, ("clientId", "client_id"), ("clientSecret", "client_secret"))
        if pair is None:
            return str(value)  # an access token given directly
        token_url = None
        flows = scheme.get("flows")
        if isinstance(flows, Mapping) and isinstance(flows.get("clientCredentials"), Mapping):
            token_url = flows["clientCredentials"].get("tokenUrl")
        elif scheme.get("flow") == "application":  # Swagger 2.0
            token_url = scheme.get("tokenUrl")
        if not isinstance(token_url, str):
            raise TransportError(f"security scheme {name!r} has no client-credentials token URL", kind="auth")
        token_url = urljoin(base_url + "/", token_url)
        scope = " ".join(s for s in scopes if isinstance(s, str)) if isinstance(scopes, list) else ""
        client_id, secret = pair
        self.redactor.add(secret)
        import hashlib  # here, not at import: only OAuth2 client credentials need it (1.6 ms of every start)

        key = (token_url, client_id, hashlib.sha256(secret.encode()).hexdigest(), scope)
        cached = self._tokens.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        body = "grant_type=client_credentials" + (f"&scope={quote(scope, safe='')}" if scope else "")
        basic = base64.b64encode(f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()).decode()
        request = OutgoingRequest(
            "POST",
            token_url,
            [
                ("Authorization", f"Basic {basic}"),
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Accept", "application/json"),
            ],
            body.encode(),
        )
        response = await send(self.client, request, self.http)
        data = response.body
        if (
            response.status_code != 200
            or not isinstance(data, Mapping)
            or not isinstance(data.get("access_token"), str)
        ):
            raise TransportError(
                f"the token endpoint of {name!r} answered HTTP {response.status_code} "
                "without an access_token",
                kind="auth",
            )
        token: str = data["access_token"]
        self.redactor.add(token)
        lifetime = data.get("expires_in")
        ttl = float(lifetime) - 30 if isinstance(lifetime, (int, float)) and lifetime > 60 else 30.0
        self._tokens[key] = (token, time.monotonic() + ttl)
        return token

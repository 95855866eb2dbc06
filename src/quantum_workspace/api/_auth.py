"""Who may call the data plane: an API key (`x-ms-quantum-api-key`) or a bearer JWT for the data plane.

Bearer tokens are checked for shape, audience and lifetime, not signature (as Azurite's basic OAuth mode):
the point is to catch clients that send no token, a literal placeholder, or a token meant for another API.
"""

from __future__ import annotations

import hmac
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypeGuard

import jwt

from ..clock import Clock
from ..errors import Unauthorized
from ..service import Principal

__all__ = ["ARM_AUDIENCES", "DATA_PLANE_AUDIENCES", "Authenticator"]

DATA_PLANE_AUDIENCES = ("https://quantum.microsoft.com", "https://quantum.microsoft.com/")
ARM_AUDIENCES = (
    "https://management.azure.com",
    "https://management.azure.com/",
    "https://management.core.windows.net/",
)
_KEY_NAMES = ("primary", "secondary")


class Authenticator:
    def __init__(
        self,
        api_keys: Sequence[str],
        clock: Clock,
        *,
        disable_keys: bool = False,
        audiences: Sequence[str] = DATA_PLANE_AUDIENCES,
    ) -> None:
        self._keys = tuple(key.encode("utf-8") for key in api_keys)
        self._clock = clock
        self._disable_keys = disable_keys
        self._audiences = tuple(audiences)

    def __repr__(self) -> str:
        return f"Authenticator(keys={len(self._keys)}, disable_keys={self._disable_keys})"

    def authenticate(self, api_key: str | None, authorization: str | None) -> Principal:
        """The caller, or Unauthorized saying what is wrong (never echoing the credential)."""
        problems = []
        if api_key is not None:
            principal = self._by_key(api_key)
            if principal is not None:
                return principal
            problems.append(
                "access keys are disabled for this workspace"
                if self._disable_keys
                else "the x-ms-quantum-api-key value is not a valid key for this workspace"
            )
        if authorization is not None:
            principal, problem = self._by_bearer(authorization)
            if principal is not None:
                return principal
            problems.append(problem)
        if not problems:
            raise Unauthorized(
                "Authentication is required: send an x-ms-quantum-api-key header or an "
                "'Authorization: Bearer <token>' header with a token for https://quantum.microsoft.com."
            )
        raise Unauthorized("Authentication failed: " + "; ".join(problems) + ".")

    def _by_key(self, api_key: str) -> Principal | None:
        if self._disable_keys:
            return None
        offered = api_key.encode("utf-8")
        matched = None
        for index, key in enumerate(self._keys):
            if hmac.compare_digest(offered, key) and matched is None:
                matched = index
        if matched is None:
            return None
        return Principal(f"{_KEY_NAMES[min(matched, 1)]} key", "Key")

    def _by_bearer(self, authorization: str) -> tuple[Principal | None, str]:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, "the Authorization header must be 'Bearer <token>'"
        try:
            claims = jwt.decode(
                token.strip(),
                options={
                    "verify_signature": False,
                    "verify_exp": False,
                    "verify_aud": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError:
            return None, (
                "the bearer token is not a well-formed JWT (three base64url-encoded segments: header.payload.signature)"
            )
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if not any(isinstance(a, str) and a in self._audiences for a in audiences):
            return None, f"the bearer token's audience must be {self._audiences[0]}"
        now = self._clock.now().timestamp()
        expiry = claims.get("exp")
        if expiry is not None:
            if not isinstance(expiry, int | float) or isinstance(expiry, bool) or _is_nan(expiry):
                return None, "the bearer token's exp claim is not a number"
            if now >= expiry:
                return None, f"the bearer token expired{_at(expiry)}"
        not_before = claims.get("nbf")
        if isinstance(not_before, int | float) and now + 300 < not_before:
            return None, "the bearer token is not valid yet (nbf)"
        return _principal_from(claims), ""


def _at(expiry: float) -> str:
    """' at <time>' for an expiry a datetime can hold, else nothing (a token may claim any number)."""
    try:
        return " at " + datetime.fromtimestamp(expiry, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return ""


def _is_nan(number: float) -> bool:
    return isinstance(number, float) and math.isnan(number)  # an int may be too big for a float


def _usable(value: object) -> TypeGuard[str]:
    """A claim that can name the caller in records and responses: text that UTF-8 can encode (an unpaired
    surrogate in the token's JSON cannot, and could never be written back out)."""
    if not isinstance(value, str) or not value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _principal_from(claims: dict[str, object]) -> Principal:
    for claim in ("upn", "unique_name", "preferred_username", "email"):
        value = claims.get(claim)
        if _usable(value):
            return Principal(value, "User")
    for claim in ("appid", "azp", "oid", "sub"):
        value = claims.get(claim)
        if _usable(value):
            kind = "Application" if claim in ("appid", "azp") or claims.get("idtyp") == "app" else "User"
            return Principal(value, kind)
    return Principal("bearer token", "User")

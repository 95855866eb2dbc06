"""Authentication: API keys (constant-time compare) or bearer JWTs for the data plane; 401 otherwise."""

from __future__ import annotations

import base64
import time
from typing import Any

import jwt
import pytest
from ws_helpers import API_KEY, Api, assert_error, new_id

from quantum_workspace.api import Authenticator
from quantum_workspace.clock import ManualClock
from quantum_workspace.errors import Unauthorized


def token(**claims: object) -> str:
    now = int(time.time())
    payload = {"aud": "https://quantum.microsoft.com", "exp": now + 3600, "upn": "ada@example.com", **claims}
    return jwt.encode(
        {k: v for k, v in payload.items() if v is not None},
        "throwaway-secret-32-bytes-long!!",
        algorithm="HS256",
    )


def get_session(api: Api, headers: dict[str, str]) -> object:
    return api.client.get(
        f"{api.ws}/sessions/{new_id()}", params={"api-version": "2026-01-15-preview"}, headers=headers
    )


def test_api_key_is_accepted(api: Api) -> None:
    assert_error(get_session(api, {"x-ms-quantum-api-key": API_KEY}), 404, "SessionNotFound")


def test_no_credentials_is_401_in_the_contract_shape(api: Api) -> None:
    error = assert_error(get_session(api, {}), 401, "Unauthorized")
    assert "x-ms-quantum-api-key" in error["message"]


def test_wrong_key_is_401_and_not_echoed(api: Api) -> None:
    error = assert_error(get_session(api, {"x-ms-quantum-api-key": "guess-123"}), 401, "Unauthorized")
    assert "guess-123" not in error["message"]


def open_session_with(api: Api, bearer: str) -> Any:
    """Sessions_Open authenticated by `bearer` only; asserts the 200."""
    response = api.client.put(
        f"{api.ws}/sessions/{new_id()}",
        params={"api-version": "2026-01-15-preview"},
        headers={"Authorization": f"Bearer {bearer}"},
        json={"name": "s", "providerId": "ionq", "target": "ionq.simulator", "itemType": "Session"},
    )
    assert response.status_code == 200, response.text
    return response


def test_valid_bearer_jwt_is_accepted_and_recorded_as_creator(api: Api) -> None:
    response = open_session_with(api, token())
    assert response.json()["createdBy"] == "ada@example.com"
    assert response.json()["createdByType"] == "User"


def test_literal_placeholder_bearer_says_not_a_jwt(api: Api) -> None:
    error = assert_error(get_session(api, {"Authorization": "Bearer $inputs.authToken"}), 401, "Unauthorized")
    assert "not a well-formed JWT" in error["message"]
    assert "$inputs.authToken" not in error["message"]


@pytest.mark.parametrize(
    ("claims", "fragment"),
    [
        ({"aud": "https://management.azure.com"}, "audience"),
        ({"aud": None}, "audience"),
        ({"exp": int(time.time()) - 10}, "expired"),
        ({"exp": -1e12}, "expired"),  # before year 1: no datetime holds it
        ({"exp": -(10**20)}, "expired"),
        ({"exp": -(10**400)}, "expired"),  # too big for a float as well
        ({"exp": True}, "not a number"),
    ],
)
def test_bearer_with_wrong_audience_or_expired_is_401(
    api: Api, claims: dict[str, object], fragment: str
) -> None:
    bearer = token(**claims)
    error = assert_error(get_session(api, {"Authorization": f"Bearer {bearer}"}), 401, "Unauthorized")
    assert fragment in error["message"]
    assert bearer not in error["message"]


def _unsigned(payload: bytes) -> str:
    """A JWT whose payload is exactly `payload` (JSON text as a client may write it)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = part(b'{"alg": "none"}')
    return f"{header}.{part(payload)}.sig"


def test_a_claim_that_cannot_be_written_back_does_not_name_the_creator(api: Api) -> None:
    """An unpaired surrogate in the token's upn: the caller is named by the next usable claim, and the
    session it opened can be read and listed."""
    bearer = _unsigned(b'{"aud": "https://quantum.microsoft.com", "upn": "x\\ud800", "oid": "object-1"}')
    assert open_session_with(api, bearer).json()["createdBy"] == "object-1"
    assert api.call("GET", "/sessions").status_code == 200


def test_authorization_without_bearer_scheme_is_401(api: Api) -> None:
    assert_error(get_session(api, {"Authorization": f"Basic {token()}"}), 401, "Unauthorized")


def test_auth_is_checked_before_parameters(api: Api) -> None:
    response = api.client.get(f"{api.ws}/jobs/not-a-guid")  # no key, no api-version, bad id
    assert_error(response, 401, "Unauthorized")


def test_bearer_audience_list_and_trailing_slash_are_accepted() -> None:
    auth = Authenticator([], ManualClock())
    now = ManualClock().now().timestamp()
    for audience in (["https://quantum.microsoft.com/", "other"], "https://quantum.microsoft.com"):
        bearer = jwt.encode({"aud": audience, "exp": now + 60, "appid": "app-1"}, "k" * 32, algorithm="HS256")
        principal = auth.authenticate(None, f"Bearer {bearer}")
        assert principal.type == "Application"


def test_expiry_is_judged_by_the_injected_clock() -> None:
    clock = ManualClock()
    auth = Authenticator([], clock)
    bearer = jwt.encode(
        {"aud": "https://quantum.microsoft.com", "exp": clock.now().timestamp() + 60},
        "k" * 32,
        algorithm="HS256",
    )
    auth.authenticate(None, f"Bearer {bearer}")
    from datetime import timedelta

    clock.advance(timedelta(seconds=61))
    with pytest.raises(Unauthorized, match="expired"):
        auth.authenticate(None, f"Bearer {bearer}")


def test_secondary_key_and_disabled_keys() -> None:
    auth = Authenticator(["primary-k", "secondary-k"], ManualClock())
    assert auth.authenticate("secondary-k", None).name == "secondary key"
    assert auth.authenticate("primary-k", None).type == "Key"
    disabled = Authenticator(["primary-k"], ManualClock(), disable_keys=True)
    with pytest.raises(Unauthorized, match="disabled"):
        disabled.authenticate("primary-k", None)
    assert "primary-k" not in repr(auth) and "secondary-k" not in repr(auth)


def test_a_valid_bearer_wins_over_a_wrong_key() -> None:
    auth = Authenticator(["right"], ManualClock())
    bearer = jwt.encode({"aud": "https://quantum.microsoft.com"}, "k" * 32, algorithm="HS256")
    assert auth.authenticate("wrong", f"Bearer {bearer}").type == "User"

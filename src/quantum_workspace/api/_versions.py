"""The api-versions the data plane accepts: one list, all served with 2026-01-15-preview behaviour."""

from __future__ import annotations

from ..errors import MissingApiVersionParameter, UnsupportedApiVersion

__all__ = ["API_VERSIONS", "CURRENT_API_VERSION", "check_api_version"]

CURRENT_API_VERSION = "2026-01-15-preview"
#: The current preview and the earlier previews the reference facts name (traffic, examples, the SDK).
API_VERSIONS: tuple[str, ...] = (
    CURRENT_API_VERSION,
    "2025-12-01-preview",
    "2025-09-01-preview",
    "2024-10-01-preview",
    "2022-09-12-preview",
)


def _accepted() -> str:
    return ", ".join(API_VERSIONS)


def check_api_version(value: str | None) -> str:
    if value is None or not value.strip():
        raise MissingApiVersionParameter(
            f"The api-version query parameter is required. Accepted values: {_accepted()}."
        )
    if value not in API_VERSIONS:
        raise UnsupportedApiVersion(f"The api-version '{value[:40]}' is not supported. Accepted values: {_accepted()}.")
    return value

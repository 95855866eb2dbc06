"""Secrets masked in every log line: SAS signatures, keys and tokens in URLs. Used by the server's logging
and by the worker process's, which has no HTTP layer of its own."""

from __future__ import annotations

import logging
import re

__all__ = ["LOG_FORMAT", "MaskingFormatter", "mask_secrets"]

#: The line format of the service's own loggers (uvicorn's access lines have their own).
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_SECRET_QUERY = re.compile(r"(?i)\b(sig|signature|key|api-key|code|token|access_token|client_secret)=([^&\s\"']+)")


def mask_secrets(text: str) -> str:
    """`sig=abc...` -> `sig=***` (also keys and tokens passed as query parameters)."""
    return _SECRET_QUERY.sub(lambda m: f"{m.group(1)}=***", text)


class MaskingFormatter(logging.Formatter):
    """Masks the formatted line (message, arguments and any traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(super().format(record))

"""Log formatting that masks secrets: SAS signatures and keys in URLs never reach a log line."""

from __future__ import annotations

import logging
import re
from typing import Any

from uvicorn.logging import AccessFormatter

__all__ = ["LOG_CONFIG", "MaskingAccessFormatter", "MaskingFormatter", "mask_secrets"]

_SECRET_QUERY = re.compile(r"(?i)\b(sig|signature|key|api-key|code|token|access_token|client_secret)=([^&\s\"']+)")


def mask_secrets(text: str) -> str:
    """`sig=abc...` -> `sig=***` (also keys and tokens passed as query parameters)."""
    return _SECRET_QUERY.sub(lambda m: f"{m.group(1)}=***", text)


class MaskingFormatter(logging.Formatter):
    """Masks the formatted line (message, arguments and any traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(super().format(record))


class MaskingAccessFormatter(AccessFormatter):
    """uvicorn's access line with the request target (path + query) masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(super().format(record))


LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "default": {
            "()": "quantum_workspace.api._logging.MaskingFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        },
        "access": {
            "()": "quantum_workspace.api._logging.MaskingAccessFormatter",
            "use_colors": False,
            "fmt": '%(asctime)s %(levelname)s %(client_addr)s - "%(request_line)s" %(status_code)s',
        },
    },
    "handlers": {
        "default": {"formatter": "default", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
        "access": {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
    },
    "loggers": {
        "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "quantum_workspace": {"handlers": ["default"], "level": "INFO", "propagate": False},
    },
}

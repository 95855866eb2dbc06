"""Log formatting that masks secrets: SAS signatures and keys in URLs never reach a log line."""

from __future__ import annotations

import logging
from typing import Any

from uvicorn.logging import AccessFormatter

from ..log_masking import LOG_FORMAT, MaskingFormatter, mask_secrets

__all__ = ["LOG_CONFIG", "MaskingAccessFormatter", "MaskingFormatter", "mask_secrets"]


class MaskingAccessFormatter(AccessFormatter):
    """uvicorn's access line with the request target (path + query) masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(super().format(record))


LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "default": {
            "()": "quantum_workspace.log_masking.MaskingFormatter",
            "fmt": LOG_FORMAT,
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

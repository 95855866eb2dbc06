"""HTTP only: one module per resource, the contract's JSON and error shape, api-versions, authentication."""

from ._app import create_app
from ._auth import DATA_PLANE_AUDIENCES, Authenticator
from ._logging import LOG_CONFIG, mask_secrets
from ._openapi import contract_openapi, render_openapi
from ._versions import API_VERSIONS, CURRENT_API_VERSION

__all__ = [
    "API_VERSIONS",
    "CURRENT_API_VERSION",
    "DATA_PLANE_AUDIENCES",
    "LOG_CONFIG",
    "Authenticator",
    "contract_openapi",
    "create_app",
    "mask_secrets",
    "render_openapi",
]

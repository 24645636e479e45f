"""Python client for DeepCell Label: model predictions in, curated labels out, as numpy arrays.

>>> from deepcell_label_client import Client
>>> client = Client("https://label.example.org", token="...")
>>> project = client.create_project(image, labels=predicted, axes="TYX")
>>> corrected = project.labels()
"""

from __future__ import annotations

from .campaign import Campaign
from .client import SUPPORTED_API_VERSIONS, Client
from .errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ConnectionFailedError,
    DeepCellLabelError,
    IncompatibleServerError,
    JobFailedError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
)
from .project import Project

__version__ = "0.1.0"
__all__ = [
    "SUPPORTED_API_VERSIONS",
    "AuthenticationError",
    "BadRequestError",
    "Campaign",
    "Client",
    "ConflictError",
    "ConnectionFailedError",
    "DeepCellLabelError",
    "IncompatibleServerError",
    "JobFailedError",
    "NotFoundError",
    "PermissionDeniedError",
    "Project",
    "ServerError",
    "__version__",
]

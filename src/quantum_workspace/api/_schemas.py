"""The contract's models as pydantic classes, used only to describe the API (OpenAPI components).

Handlers parse and write JSON themselves (exact echo, contract error shape); these classes give the
generated description the contract's schema names, required members and read-only flags.
"""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..ids import ITEM_ID_PATTERN

__all__ = [
    "BlobDetails",
    "CostEstimate",
    "CreatedByType",
    "ErrorResponse",
    "ItemDetails",
    "ItemType",
    "JobDetails",
    "JobStatus",
    "JobType",
    "JobUpdateOptions",
    "JobUpdateResponse",
    "PagedItemDetails",
    "PagedJobDetails",
    "PagedProviderStatus",
    "PagedQuota",
    "PagedQuotaUsageData",
    "PagedSessionDetails",
    "ProviderStatus",
    "Quota",
    "QuotaUsageData",
    "SasUriResponse",
    "SessionDetails",
    "TargetStatus",
]

RO: dict[str, Any] = {"readOnly": True}


def ro(fmt: str | None = None, **kwargs: Any) -> Any:
    """An optional read-only member: present in responses, ignored in requests."""
    extra = dict(RO, format=fmt) if fmt else RO
    return Field(default=None, json_schema_extra=extra, **kwargs)


def opt(**kwargs: Any) -> Any:
    """An optional member; responses omit it rather than send null, so its schema is not nullable."""
    return Field(default=None, **kwargs)


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow")


class ItemType(enum.StrEnum):
    Job = "Job"
    Session = "Session"


class JobType(enum.StrEnum):
    Unknown = "Unknown"
    QuantumComputing = "QuantumComputing"
    Optimization = "Optimization"


class JobStatus(enum.StrEnum):
    Queued = "Queued"
    Waiting = "Waiting"
    Executing = "Executing"
    CancellationRequested = "CancellationRequested"
    Cancelling = "Cancelling"
    Finishing = "Finishing"
    Completed = "Completed"
    Succeeded = "Succeeded"
    Failed = "Failed"
    Cancelled = "Cancelled"


class SessionStatus(enum.StrEnum):
    Waiting = "Waiting"
    Executing = "Executing"
    Succeeded = "Succeeded"
    Failed = "Failed"
    Failures = "Failure(s)"
    TimedOut = "TimedOut"


class SessionJobFailurePolicy(enum.StrEnum):
    Abort = "Abort"
    Continue = "Continue"


class Priority(enum.StrEnum):
    Standard = "Standard"
    High = "High"


class CreatedByType(enum.StrEnum):
    User = "User"
    Application = "Application"
    ManagedIdentity = "ManagedIdentity"
    Key = "Key"


class ProviderAvailability(enum.StrEnum):
    Available = "Available"
    Degraded = "Degraded"
    Unavailable = "Unavailable"


class TargetAvailability(enum.StrEnum):
    Available = "Available"
    Degraded = "Degraded"
    Unavailable = "Unavailable"


class DimensionScope(enum.StrEnum):
    Workspace = "Workspace"
    Subscription = "Subscription"


class MeterPeriod(enum.StrEnum):
    NoPeriod = "None"
    Monthly = "Monthly"


class SuiteOfferScope(enum.StrEnum):
    Target = "Target"
    SubscriptionTarget = "SubscriptionTarget"
    WorkspaceTarget = "WorkspaceTarget"


class InnerError(_Model):
    code: str = opt()
    innererror: InnerError = opt()


class Error(_Model):
    code: str
    message: str
    target: str = opt()
    details: list[Error] = opt()
    innererror: InnerError = opt()


class ErrorResponse(_Model):
    """Renamed `Azure.Core.Foundations.ErrorResponse` in the generated description."""

    error: Error


class WorkspaceItemError(_Model):
    code: str
    message: str
    target: str = opt()
    details: list[Error] = opt()
    innererror: InnerError = opt()


class UsageEvent(_Model):
    dimensionId: str
    dimensionName: str
    measureUnit: str
    amountBilled: float
    amountConsumed: float
    unitPrice: float


class CostEstimate(_Model):
    currencyCode: str
    events: list[UsageEvent] = opt()
    estimatedTotal: float


class QuantumComputingData(_Model):
    count: int = Field(json_schema_extra=RO)


#: The item id is read-only (it comes from the path), so a request body need not carry it: the contract's
#: `required` minus its read-only members.
_ID = Field(default=None, json_schema_extra=RO, max_length=36, pattern=ITEM_ID_PATTERN)


class ItemDetails(_Model):
    id: str = _ID  # type: ignore[assignment]  # optional in requests, always present in responses
    name: str
    providerId: str
    target: str
    itemType: ItemType
    creationTime: str = ro("date-time")
    createdBy: str = ro()
    createdByType: CreatedByType = ro()
    lastModifiedTime: str = ro("date-time")
    lastModifiedBy: str = ro()
    lastModifiedByType: CreatedByType = ro()
    lastUpdatedTime: str = ro("date-time")
    beginExecutionTime: str = ro("date-time")
    endExecutionTime: str = ro("date-time")
    costEstimate: CostEstimate = ro()
    errorData: WorkspaceItemError = ro()
    priority: Priority = opt()
    tags: list[str] = opt()
    usage: dict[str, float] = ro()


class JobDetails(ItemDetails):
    jobType: JobType = opt()
    sessionId: str = opt()
    containerUri: str
    inputDataUri: str = opt()
    inputDataFormat: str = opt()
    status: JobStatus = ro()
    metadata: dict[str, Any] = opt()
    cancellationTime: str = ro("date-time")
    quantumComputingData: QuantumComputingData = ro()
    inputParams: dict[str, Any] = opt()
    outputDataUri: str = opt()
    outputDataFormat: str = opt()


class SessionDetails(ItemDetails):
    jobFailurePolicy: SessionJobFailurePolicy
    status: SessionStatus = ro()


class JobUpdateOptions(_Model):
    priority: Priority = opt()
    name: str = opt()
    tags: list[str] = opt()


class JobUpdateResponse(_Model):
    name: str
    priority: Priority = opt()
    tags: list[str]


class BlobDetails(_Model):
    containerName: str
    blobName: str = opt()


class SasUriResponse(_Model):
    sasUri: str = Field(json_schema_extra=RO)


class TargetStatus(_Model):
    id: str = Field(json_schema_extra=RO)
    currentAvailability: TargetAvailability = Field(json_schema_extra=RO)
    averageQueueTime: int = Field(json_schema_extra=RO)
    statusPage: str = ro()
    numQubits: int = ro(ge=1, le=100000)
    targetProfile: str = ro()
    metadata: dict[str, Any] = ro()


class ProviderStatus(_Model):
    id: str = Field(json_schema_extra=RO)
    currentAvailability: ProviderAvailability = Field(json_schema_extra=RO)
    targets: list[TargetStatus] = Field(json_schema_extra=RO)


class Quota(_Model):
    dimension: str = Field(json_schema_extra=RO)
    scope: DimensionScope = Field(json_schema_extra=RO)
    providerId: str = Field(json_schema_extra=RO)
    utilization: float = Field(json_schema_extra=RO)
    holds: float = Field(json_schema_extra=RO)
    limit: float = Field(json_schema_extra=RO)
    period: MeterPeriod = Field(json_schema_extra=RO)


class QuotaUsageData(_Model):
    providerId: str = Field(json_schema_extra=RO)
    scope: SuiteOfferScope = Field(json_schema_extra=RO)
    targetId: str = ro()
    usage: dict[str, float] = Field(json_schema_extra=RO)
    lastModifiedTime: str = Field(json_schema_extra={"readOnly": True, "format": "date-time"})
    metadata: dict[str, str] = ro()


class _Paged(_Model):
    nextLink: str = Field(default=None, json_schema_extra={"format": "uri"})  # type: ignore[assignment]


class PagedJobDetails(_Paged):
    value: list[JobDetails]


class PagedSessionDetails(_Paged):
    value: list[SessionDetails]


class PagedItemDetails(_Paged):
    value: list[ItemDetails]


class PagedProviderStatus(_Paged):
    value: list[ProviderStatus]


class PagedQuota(_Paged):
    value: list[Quota]


class PagedQuotaUsageData(_Paged):
    value: list[QuotaUsageData]

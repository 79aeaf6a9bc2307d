"""Pydantic models of the public contract (v1 requests and responses)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Optional

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from chalicelib import money, timeutil
from chalicelib.auth import SCOPES

ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
MONEY_PATTERN = r"^\d+\.\d{6}$"


def _money(value: object) -> int:
    try:
        return money.parse_usd(value)
    except money.MoneyError as exc:
        raise PydanticCustomError("invalid_money", "Amount {reason}.", {"reason": str(exc)}) from None


def _instant(value: object) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    try:
        return timeutil.parse_instant(value)
    except ValueError as exc:
        raise PydanticCustomError("invalid_instant", "Instant {reason}.", {"reason": str(exc)}) from None


def _timezone(value: object) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("invalid_timezone", "Timezone must be an IANA name such as Europe/Berlin.")
    try:
        timeutil.zone(value)
    except ValueError:
        raise PydanticCustomError("invalid_timezone", "Timezone must be an IANA name such as Europe/Berlin.") from None
    return value


Money = Annotated[
    int,
    BeforeValidator(_money),
    PlainSerializer(money.format_usd, return_type=str),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["4.200000"],
                    "description": "Exact USD, 6 fractional digits (inputs also take a number)."}),
]
MoneyOut = Annotated[
    int,
    PlainSerializer(money.format_usd, return_type=str),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["4.200000"],
                    "description": "Exact USD, 6 fractional digits."}),
]
"""Micro-dollars inside, the exact 6-decimal string on the wire (responses)."""
Instant = Annotated[
    datetime,
    BeforeValidator(_instant),
    PlainSerializer(timeutil.format_instant, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
Timezone = Annotated[str, BeforeValidator(_timezone), WithJsonSchema({"type": "string", "examples": ["Europe/Berlin"]})]
Identifier = Annotated[str, Field(pattern=ID_PATTERN)]
Tokens = Annotated[int, Field(strict=True, ge=0, le=10**12)]
Percent = Annotated[float, Field(ge=0, le=100)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class Model(BaseModel):
    """Every contract model: validators are built on first use, not at import (Lambda cold start)."""

    model_config = ConfigDict(defer_build=True)


class Request(Model):
    """A request body: unknown fields are refused, nothing is coerced silently."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


# --- admin -----------------------------------------------------------------------------------


class WorkspaceCreate(Request):
    name: Name
    timezone: Timezone
    daily_cap_usd: Optional[Money] = None


class WorkspaceCreated(Model):
    workspace_id: str
    token: str


class TokenCreate(Request):
    scopes: list[Literal["cost:read", "runs:write", "settings:write"]] = Field(min_length=1, max_length=3)
    label: Annotated[str, Field(min_length=1, max_length=200)]


class TokenCreated(Model):
    token_id: str
    token: str


class TickRequest(Request):
    workspace_id: Optional[Identifier] = None


class TickResult(Model):
    checked: int
    alerts: list[dict[str, Any]]


# --- workspace ---------------------------------------------------------------------------------


class Workspace(Model):
    workspace_id: str
    name: str
    timezone: str
    status: Literal["active", "paused"]
    paused_reason: Optional[str]
    daily_cap_usd: Optional[MoneyOut]
    spike_multiplier: float
    spike_min_usd: MoneyOut
    digest_hour: int
    slack_configured: bool
    slack_broken: bool = False


class WorkspacePatch(Request):
    name: Optional[Name] = None
    timezone: Optional[Timezone] = None
    daily_cap_usd: Optional[Money] = None
    spike_multiplier: Optional[Annotated[float, Field(gt=1, le=1000, allow_inf_nan=False)]] = None
    spike_min_usd: Optional[Money] = None
    digest_hour: Optional[Annotated[int, Field(strict=True, ge=0, le=23)]] = None
    slack_webhook_url: Optional[Annotated[str, Field(min_length=1, max_length=2048)]] = None

    @model_validator(mode="after")
    def _not_empty(self) -> "WorkspacePatch":
        if not self.model_fields_set:
            raise PydanticCustomError("empty_patch", "Send at least one field to change.")
        for name in ("name", "timezone", "spike_multiplier", "spike_min_usd", "digest_hour"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise PydanticCustomError("invalid_input", "{field} cannot be null.", {"field": name})
        return self


# --- members and tasks -------------------------------------------------------------------------


class MemberPut(Request):
    name: Name
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    role: Literal["owner", "operator"]
    digest: bool = True


class Member(Model):
    member_id: str
    name: str
    email: str
    role: str
    digest: bool


class MemberList(Model):
    members: list[Member]


class TaskPut(Request):
    title: Annotated[str, Field(min_length=1, max_length=500)]
    assignee_id: Optional[Identifier]
    status: Literal["open", "closed"]


class AssigneeRef(Model):
    member_id: str
    name: str


class Task(Model):
    """A task with its cumulative totals (from the task aggregate)."""

    task_id: str
    title: str
    status: str
    assignee_id: Optional[str]
    assignee: Optional[AssigneeRef]
    cost_usd: MoneyOut
    tokens: int
    runs: int
    last_run_at: Optional[Instant]


# --- runs --------------------------------------------------------------------------------------


class RunPost(Request):
    run_id: Identifier
    task_id: Optional[Identifier]
    started_at: Instant
    finished_at: Optional[Instant] = None
    model: Annotated[str, Field(min_length=1, max_length=128)]
    input_tokens: Tokens
    output_tokens: Tokens
    cost_usd: Money
    reservation_id: Optional[Identifier] = None

    @field_validator("finished_at")
    @classmethod
    def _after_start(cls, value: Optional[datetime], info: Any) -> Optional[datetime]:
        started = info.data.get("started_at")
        if value is not None and started is not None and value < started:
            raise PydanticCustomError("invalid_instant", "finished_at must not be before started_at.")
        return value


class Run(Model):
    run_id: str
    task_id: Optional[str]
    started_at: Instant
    finished_at: Optional[Instant]
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: MoneyOut
    reservation_id: Optional[str]
    received_at: Instant


class RunBatch(Request):
    runs: list[dict[str, Any]] = Field(min_length=1, max_length=100)


class RunResult(Model):
    run_id: Optional[str]
    status: int
    error: Optional[dict[str, Any]] = None


class RunBatchResult(Model):
    results: list[RunResult]


class RunPage(Model):
    runs: list[Run]
    next_cursor: Optional[str]


class RunQuery(Request):
    task_id: Optional[Identifier] = None
    since: Optional[Instant] = None
    until: Optional[Instant] = None
    limit: Annotated[int, Field(ge=1, le=100)] = 25
    cursor: Optional[Annotated[str, Field(max_length=1024)]] = None


class AdmitRequest(Request):
    task_id: Optional[Identifier] = None
    estimated_cost_usd: Money


class ErrorDetail(Model):
    code: str
    message: str
    field: Optional[str] = None


class ErrorBody(Model):
    error: ErrorDetail


ALL_SCOPES: tuple[str, ...] = SCOPES


# --- cost (the four axes) ----------------------------------------------------------------------


class AssigneeCost(Model):
    member_id: str
    name: str
    cost_usd: MoneyOut
    percent: float
    tokens: int
    tasks: int


class UnassignedCost(Model):
    cost_usd: MoneyOut
    percent: float
    tokens: int
    tasks: int


class CostByAssignee(Model):
    """Cumulative spend by each task's current assignee; rows + unassigned == total, exactly."""

    currency: Literal["USD"] = "USD"
    as_of: Instant
    total_usd: MoneyOut
    total_tokens: int
    solo: bool
    assignees: list[AssigneeCost]
    unassigned: UnassignedCost


class TopCostQuery(Request):
    limit: Annotated[int, Field(ge=1, le=100)] = 10
    status: Literal["all", "open", "closed"] = "all"


class TaskCost(Model):
    task_id: str
    title: Optional[str]
    status: str
    assignee: Optional[AssigneeRef]
    cost_usd: MoneyOut
    tokens: int
    runs: int
    last_run_at: Optional[Instant]


class TopCostTasks(Model):
    tasks: list[TaskCost]


class DaySpend(Model):
    date: str
    cost_usd: MoneyOut
    runs: int


class DayCost(Model):
    date: str
    cost_usd: MoneyOut


class CapState(Model):
    daily_cap_usd: Optional[MoneyOut]
    used_usd: MoneyOut
    reserved_usd: MoneyOut
    used_percent: Optional[float]
    state: Literal["none", "ok", "warning", "reached"]


class CostSummary(Model):
    timezone: str
    as_of: Instant
    total_usd: MoneyOut
    today: DaySpend
    yesterday: DaySpend
    trailing_7d_avg_usd: MoneyOut
    ratio_to_trailing: Optional[float]
    projection_30d_usd: MoneyOut
    cap: CapState
    status: Literal["active", "paused"]
    days: list[DayCost]


class Admission(Model):
    admitted: bool
    reservation_id: str
    expires_at: Instant
    remaining_usd: Optional[MoneyOut]


class OpenTaskSpend(Model):
    """One teammate's share of today's spend on open tasks."""

    member_id: str
    name: str
    cost_usd: MoneyOut
    percent: float


# --- webhooks and alerts -----------------------------------------------------------------------


class WebhookCreate(Request):
    url: Annotated[str, Field(min_length=1, max_length=2048)]
    events: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(min_length=1, max_length=10)
    description: Optional[Annotated[str, Field(max_length=500)]] = None


class WebhookCreated(Model):
    webhook_id: str
    secret: str


class Webhook(Model):
    webhook_id: str
    url: str
    events: list[str]
    description: Optional[str]
    enabled: bool
    disabled_reason: Optional[str]
    created_at: str


class WebhookList(Model):
    webhooks: list[Webhook]


class WebhookAttempt(Model):
    message_id: str
    event: str
    attempted_at: str
    response_status: Optional[int]
    outcome: str
    error: Optional[str]


class WebhookDeliveries(Model):
    deliveries: list[WebhookAttempt]


class WebhookTestResult(Model):
    delivered: bool
    response_status: Optional[int]
    error: Optional[str]


class AlertQuery(Request):
    limit: Annotated[int, Field(ge=1, le=100)] = 25
    cursor: Optional[Annotated[str, Field(max_length=1024)]] = None


class Delivery(Model):
    channel: Literal["slack", "webhook", "email"]
    target: str
    status: Literal["delivered", "failed", "pending", "skipped"]
    attempts: int
    last_error: Optional[str]


class AlertOut(Model):
    alert_id: str
    type: str
    date: str
    fired_at: Instant
    text: str
    data: dict[str, Any]
    deliveries: list[Delivery]


class AlertPage(Model):
    alerts: list[AlertOut]
    next_cursor: Optional[str]


class DigestSent(Model):
    sent: list[str]


class Unsubscribed(Model):
    member_id: str
    digest: bool


class UnsubscribeQuery(Request):
    token: Annotated[str, Field(min_length=10, max_length=1024)]

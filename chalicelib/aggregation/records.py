"""Raw stream records become typed changes at the edge; anything unreadable is a PoisonRecord."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

from chalicelib.store.keys import UNASSIGNED


class PoisonRecord(ValueError):
    """A record that can never be applied (unparseable or invalid): it is parked, not retried."""


@dataclass(frozen=True)
class RunRecorded:
    """A run exists: its cost counts exactly once, whatever the number of deliveries."""

    workspace_id: str
    run_id: str
    task_id: Optional[str]
    cost_micros: int
    tokens: int
    started_at: str
    local_date: str
    reservation_id: Optional[str] = None


@dataclass(frozen=True)
class TaskUpdated:
    """A task's newest known state (revision orders the writes of one task)."""

    workspace_id: str
    task_id: str
    assignee: str  # a member id, or UNASSIGNED
    status: str
    title: str
    revision: int


@dataclass(frozen=True)
class Ignored:
    reason: str


Change = Union[RunRecorded, TaskUpdated, Ignored]


def _image(record: dict[str, Any], name: str) -> dict[str, Any] | None:
    from boto3.dynamodb.types import TypeDeserializer

    raw = (record.get("dynamodb") or {}).get(name)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise PoisonRecord(f"{name} is not a map")
    deserializer = TypeDeserializer()
    try:
        return {key: deserializer.deserialize(value) for key, value in raw.items()}
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise PoisonRecord(f"{name} is not a DynamoDB attribute map: {exc}") from None


def parse(record: dict[str, Any]) -> Change:
    """One stream record (Lambda's shape) as a typed change."""
    if not isinstance(record, dict):
        raise PoisonRecord("record is not an object")
    event = record.get("eventName")
    if event not in ("INSERT", "MODIFY", "REMOVE"):
        raise PoisonRecord(f"unknown eventName {event!r}")
    if event == "REMOVE":
        return Ignored("deletes are not part of v1")
    new = _image(record, "NewImage")
    if new is None:
        raise PoisonRecord("INSERT/MODIFY without NewImage (the stream must be NEW_AND_OLD_IMAGES)")
    if set(new) <= {"pk", "sk"}:
        return Ignored("key-only image (moto emits one before the INSERT of an UpdateItem that creates)")
    entity = new.get("entity")
    try:
        if entity == "run":
            return _run(new)
        if entity == "task":
            return _task(new)
    except (KeyError, TypeError, ValueError) as exc:
        raise PoisonRecord(f"invalid {entity} item: {exc!r}") from None
    if entity == "member":
        return Ignored("members carry no cost")
    raise PoisonRecord(f"unknown entity {entity!r}")


def _int(value: Any, name: str) -> int:
    number = int(value)
    if number != value or number < 0:
        raise ValueError(f"{name} must be a non-negative integer")
    return number


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    return value


def _run(item: dict[str, Any]) -> RunRecorded:
    task_id = item.get("task_id")
    return RunRecorded(
        workspace_id=_text(item["workspace_id"], "workspace_id"),
        run_id=_text(item["run_id"], "run_id"),
        task_id=_text(task_id, "task_id") if task_id is not None else None,
        cost_micros=_int(item["cost_micros"], "cost_micros"),
        tokens=_int(item["input_tokens"], "input_tokens") + _int(item["output_tokens"], "output_tokens"),
        started_at=_text(item["started_at"], "started_at"),
        local_date=_text(item["local_date"], "local_date"),
        reservation_id=item.get("reservation_id") or None,
    )


def _task(item: dict[str, Any]) -> TaskUpdated:
    assignee = item.get("assignee_id")
    status = item.get("status")
    if status not in ("open", "closed"):
        raise ValueError("status must be open or closed")
    return TaskUpdated(
        workspace_id=_text(item["workspace_id"], "workspace_id"),
        task_id=_text(item["task_id"], "task_id"),
        assignee=_text(assignee, "assignee_id") if assignee is not None else UNASSIGNED,
        status=status,
        title=str(item.get("title", "")),
        revision=_int(item.get("revision", 0), "revision"),
    )

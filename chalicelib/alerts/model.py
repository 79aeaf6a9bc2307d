"""The one alert record every channel renders from, and its deliveries."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ALERT_TYPES = ("cost_cap_warning", "cost_cap_reached", "cost_spike", "desk_resumed", "daily_digest")
WEBHOOK_EVENTS = {"cost_cap_warning": "workspace.cost_cap_warning", "cost_cap_reached": "workspace.cost_cap_reached",
                  "cost_spike": "workspace.cost_spike", "desk_resumed": "workspace.resumed"}
SLACK_TYPES = frozenset(WEBHOOK_EVENTS)


@dataclass(frozen=True)
class Alert:
    """An alert as stored: what fired, for which local day, its text and its figures (JSON-ready)."""

    alert_id: str
    workspace_id: str
    type: str
    date: str
    fired_at: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_item(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "workspace_id": self.workspace_id, "type": self.type, "date": self.date,
                "fired_at": self.fired_at, "text": self.text, "data": self.data}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "Alert":
        return cls(alert_id=item["alert_id"], workspace_id=item["workspace_id"], type=item["type"],
                   date=item["date"], fired_at=item["fired_at"], text=item["text"], data=item.get("data") or {})

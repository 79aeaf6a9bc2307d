"""The one alert record every channel renders from, and its deliveries."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ALERT_TYPES = ("cost_cap_warning", "cost_cap_reached", "cost_spike", "desk_resumed", "daily_digest")
WEBHOOK_EVENTS = {"cost_cap_warning": "workspace.cost_cap_warning", "cost_cap_reached": "workspace.cost_cap_reached",
                  "cost_spike": "workspace.cost_spike", "desk_resumed": "workspace.resumed"}
SLACK_TYPES = frozenset(WEBHOOK_EVENTS)


@dataclass(frozen=True)
class Alert:
    """An alert as stored: what fired, for which local day, its text and its figures (JSON-ready).

    The figures are stored as JSON text, not as a DynamoDB map: a map would hand them back as
    Decimals (which no JSON encoder takes) and 40.0 as 40, so the channels that render the stored
    record would no longer show exactly what fired.
    """

    alert_id: str
    workspace_id: str
    type: str
    date: str
    fired_at: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_item(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "workspace_id": self.workspace_id, "type": self.type, "date": self.date,
                "fired_at": self.fired_at, "text": self.text, "data": json.dumps(self.data, separators=(",", ":"))}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "Alert":
        data = item.get("data")  # a map on records written before the figures were kept as JSON text
        return cls(alert_id=item["alert_id"], workspace_id=item["workspace_id"], type=item["type"],
                   date=item["date"], fired_at=item["fired_at"], text=item["text"],
                   data=json.loads(data) if isinstance(data, str) else data or {})

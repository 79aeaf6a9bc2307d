"""The cost spike (contract §7): one alert record, the same teammate figures on every channel."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from chalicelib import timeutil
from chalicelib.alerts.governance import run_tick
from chalicelib.reports.breakdown import open_task_spend_by_assignee
from tests.conftest import ApiClient, run_body
from tests.functional.conftest_governance import deliver, instant, open_workspace
from tests.receivers import Receiver

pytest_plugins = ["tests.functional.conftest_governance", "tests.receivers"]

TEAMMATES_LINE = re.compile(r"— and (\w+) has \$(\d+\.\d\d) \((\d+)%\), (\w+) has \$(\d+\.\d\d) \((\d+)%\)"
                            r", (\w+) has \$(\d+\.\d\d) \((\d+)%\)$")


@pytest.fixture
def settings(settings):
    """The local stack's setting: Slack and webhooks may point at the loopback receivers."""
    return replace(settings, allow_private_urls=True)


@dataclass
class Spike:
    workspace_id: str
    api: ApiClient
    day: str
    slack: Receiver
    hook: Receiver
    secret: str


def seed_spike(api: ApiClient, tap: Any) -> None:
    """Seven days of $0.50 a day, then today $10.50: Maria $4.20, Leo $2.10, Ana $1.75 on open tasks,
    $1.00 on a closed task of Leo's and $1.45 on a task nobody has."""
    for member, name in (("maria", "Maria"), ("leo", "Leo"), ("ana", "Ana")):
        api.put(f"/api/v1/members/{member}", {"name": name, "email": f"{member}@example.com", "role": "operator"})
    for task, member, status in (("t1", "maria", "open"), ("t2", "leo", "open"), ("t3", "ana", "open"),
                                 ("t4", "leo", "closed")):
        api.put(f"/api/v1/tasks/{task}", {"title": task, "assignee_id": member, "status": status})
    now = timeutil.now_utc()
    runs = [run_body(f"past{d}", "0.500000", "t1", started_at=instant(now - timedelta(days=d))) for d in range(1, 8)]
    runs += [run_body(f"today-{task}", cost, task, started_at=instant(now - timedelta(minutes=5)))
             for task, cost in (("t1", "4.200000"), ("t2", "2.100000"), ("t3", "1.750000"),
                                ("t4", "1.000000"), ("t9", "1.450000"))]
    answer = api.post("/api/v1/runs/batch", {"runs": runs})
    assert {r["status"] for r in answer.body["results"]} == {201}, answer.body
    deliver(tap.take())


@pytest.fixture
def spike(store, admin, chalice_client, tap, make_receiver) -> Spike:
    """GIVEN the seeded spike, Slack and a webhook endpoint on loopback; WHEN the schedule checks."""
    workspace_id, api = open_workspace(admin, chalice_client)
    seed_spike(api, tap)
    slack, hook = make_receiver(), make_receiver()
    assert api.patch("/api/v1/workspace", {"slack_webhook_url": slack.url}).status == 200
    created = api.post("/api/v1/webhooks", {"url": hook.url, "events": ["*"]})
    assert created.status == 201, created.body
    now = timeutil.now_utc()
    run_tick(store, now, workspace_id)
    day = timeutil.local_date(now, api.get("/api/v1/workspace").body["timezone"]).isoformat()
    return Spike(workspace_id, api, day, slack, hook, created.body["secret"])


def only_request(receiver: Receiver) -> Any:
    assert len(receiver.requests) == 1, receiver.requests
    return receiver.requests[0].json()


def spike_alert(api: ApiClient) -> dict[str, Any]:
    alerts = [a for a in api.get("/api/v1/alerts").body["alerts"] if a["type"] == "cost_spike"]
    assert len(alerts) == 1, alerts
    return alerts[0]


def test_slack_message_names_the_teammates_with_their_share(spike):
    # THEN Slack got one message whose text ends with the three teammates, costliest first
    text = only_request(spike.slack)["text"]
    assert TEAMMATES_LINE.search(text).groups() == (
        "Maria", "4.20", "40", "Leo", "2.10", "20", "Ana", "1.75", "17")
    assert "today's spend is 21.0× the trailing average" in text


def test_slack_message_has_the_text_line_as_its_first_block(spike):
    message = only_request(spike.slack)
    assert message["blocks"][0]["text"]["text"] == message["text"]


def test_webhook_figures_are_the_by_assignee_computation(spike, store):
    # THEN the webhook payload carries exactly what the by-assignee primitive computes for today
    payload = only_request(spike.hook)
    computed = open_task_spend_by_assignee(store, spike.workspace_id, spike.day, 10_500_000)
    assert payload["type"] == "workspace.cost_spike"
    assert payload["data"]["open_task_spend_by_assignee"] == [row.model_dump(mode="json") for row in computed]
    assert payload["data"]["open_task_spend_by_assignee"] == [
        {"member_id": "maria", "name": "Maria", "cost_usd": "4.200000", "percent": 40.0},
        {"member_id": "leo", "name": "Leo", "cost_usd": "2.100000", "percent": 20.0},
        {"member_id": "ana", "name": "Ana", "cost_usd": "1.750000", "percent": 16.7},
    ]


def test_alert_record_and_webhook_payload_agree(spike):
    # THEN the audit trail's record holds the same data and text as the webhook payload
    payload = only_request(spike.hook)
    alert = spike_alert(spike.api)
    assert {**alert["data"], "workspace_id": spike.workspace_id, "date": spike.day, "alert_id": alert["alert_id"],
            "text": alert["text"]} == payload["data"]


def test_slack_figures_are_the_alert_records_figures(spike):
    # THEN each teammate in the Slack line is the record's row, in dollars and whole percent
    rows = spike_alert(spike.api)["data"]["open_task_spend_by_assignee"]
    expected = []
    for row in rows:
        dollars = Decimal(row["cost_usd"]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        whole = Decimal(str(row["percent"])).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        expected += [row["name"], str(dollars), str(whole)]
    assert TEAMMATES_LINE.search(only_request(spike.slack)["text"]).groups() == tuple(expected)


def test_deliveries_are_recorded_on_the_alert(spike):
    # THEN the record lists both deliveries as delivered, once each
    deliveries = {d["channel"]: d for d in spike_alert(spike.api)["deliveries"]}
    assert deliveries["slack"]["status"] == "delivered" and deliveries["slack"]["attempts"] == 1
    assert deliveries["webhook"]["status"] == "delivered" and deliveries["webhook"]["attempts"] == 1


def test_spike_fires_once_a_day(spike, store):
    # WHEN the schedule checks again later the same day
    run_tick(store, timeutil.now_utc() + timedelta(minutes=5), spike.workspace_id)
    # THEN nothing more is sent
    assert len(spike.slack.requests) == 1 and len(spike.hook.requests) == 1

"""The demo workspace: a small bakery whose AI desk has run for two weeks, seeded through the API.

Everything is deterministic (ids, amounts, times) so that the same day's data is the same on every
start. The story: Maria's queue grows, weekdays are busier than weekends, and today shows a mild
spike that stays well under 80% of the $40 daily cap.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional
from zoneinfo import ZoneInfo

from chalicelib.devstack.client import ApiClient, ApiError

WORKSPACE = {"name": "Demo Bakery", "timezone": "America/New_York", "daily_cap_usd": "40.00"}
DAYS = 14  # today and the 13 local days before it
WEEKDAY_SPEND_USD = 13.0
TODAY_VS_TRAILING = 1.6  # a visible but mild spike (the spike alert fires from 2.0x)
TODAY_MAX_SHARE_OF_CAP = 0.7
UNASSIGNED_SHARE = 0.08
MICRO = Decimal("0.000001")


@dataclass(frozen=True)
class DemoMember:
    member_id: str
    name: str
    role: str

    def body(self) -> dict[str, Any]:
        return {"name": self.name, "email": f"{self.member_id}@demo.example", "role": self.role}


@dataclass(frozen=True)
class DemoTask:
    task_id: str
    title: str
    assignee_id: Optional[str]
    status: str = "open"
    first_day: int = 0  # day index (0 = 13 days ago) of its first run
    last_day: int = DAYS - 1

    def body(self) -> dict[str, Any]:
        return {"title": self.title, "assignee_id": self.assignee_id, "status": self.status}


MEMBERS = (
    DemoMember("maria", "Maria Alvarez", "owner"),
    DemoMember("leo", "Leo Park", "operator"),
    DemoMember("sam", "Sam Okafor", "operator"),
)
TASKS = (
    DemoTask("reconcile-invoices", "Reconcile supplier invoices", "maria"),
    DemoTask("wholesale-inbox", "Answer wholesale order emails", "maria"),
    DemoTask("catering-quotes", "Draft catering quotes for spring events", "maria", first_day=5),
    DemoTask("allergen-labels", "Update allergen labels for the spring menu", "maria", first_day=9),
    DemoTask("inventory-forecast", "Forecast flour and butter orders", "leo"),
    DemoTask("review-replies", "Reply to online reviews", "leo"),
    DemoTask("shift-schedule", "Build next week's shift schedule", "leo", status="closed", last_day=6),
    DemoTask("social-posts", "Write the weekly social media posts", "sam"),
    DemoTask("newsletter", "Draft the monthly customer newsletter", "sam", first_day=3),
    DemoTask("dairy-prices", "Compare dairy supplier prices", "sam", status="closed", last_day=7),
    DemoTask("menu-translation", "Translate the menu into Spanish", None, first_day=4),
    DemoTask("inspection-checklist", "Prepare the health inspection checklist", None, first_day=8),
)
MODELS = (  # name, USD per million input tokens, per million output tokens, weight
    ("claude-sonnet-4-5", Decimal("3"), Decimal("15"), 6),
    ("gpt-4.1", Decimal("2"), Decimal("8"), 3),
    ("gpt-4.1-mini", Decimal("0.4"), Decimal("1.6"), 2),
)


@dataclass(frozen=True)
class Seeded:
    workspace_id: str
    token: str
    runs: int


def seed(admin: ApiClient, now: datetime) -> Seeded:
    """Create the demo workspace, its members, tasks and runs through the API; raise ApiError on any surprise."""
    created = admin.call("POST", "/api/v1/admin/workspaces", WORKSPACE, expect=(201,))
    api = admin.with_token(created["token"])
    for member in MEMBERS:
        api.call("PUT", f"/api/v1/members/{member.member_id}", member.body(), expect=(200, 201))
    for task in TASKS:
        api.call("PUT", f"/api/v1/tasks/{task.task_id}", task.body(), expect=(200, 201))
    runs = demo_runs(now)
    for start in range(0, len(runs), 100):
        answer = api.call("POST", "/api/v1/runs/batch", {"runs": runs[start:start + 100]})
        refused = [r for r in answer.get("results", []) if r.get("status") not in (200, 201)]
        if refused or len(answer.get("results", [])) != len(runs[start:start + 100]):
            raise ApiError(f"POST /api/v1/runs/batch refused demo runs: {refused[:5]}")
    return Seeded(created["workspace_id"], created["token"], len(runs))


def demo_runs(now: datetime) -> list[dict[str, Any]]:
    """Fourteen local days of runs, all started before `now` (today's spread over the hours already past)."""
    zone = ZoneInfo(WORKSPACE["timezone"])
    today = now.astimezone(zone).date()
    runs: list[dict[str, Any]] = []
    past_totals: list[Decimal] = []
    for index in range(DAYS - 1):
        day = today - timedelta(days=DAYS - 1 - index)
        day_runs = _day_runs(day, index, _weekday_target(day, index), zone, None)
        past_totals.append(sum((Decimal(r["cost_usd"]) for r in day_runs), Decimal(0)))
        runs.extend(day_runs)
    trailing = sum(past_totals[-7:], Decimal(0)) / 7
    cap = Decimal(WORKSPACE["daily_cap_usd"])
    target = min(trailing * Decimal(str(TODAY_VS_TRAILING)), cap * Decimal(str(TODAY_MAX_SHARE_OF_CAP)))
    runs.extend(_day_runs(today, DAYS - 1, float(target), zone, _elapsed_window(now, today, zone)))
    return runs


def _weekday_target(day: date, index: int) -> float:
    rhythm = {5: 0.45, 6: 0.35}.get(day.weekday(), 1.0)
    jitter = random.Random(f"loopdesk-demo:target:{day.isoformat()}").uniform(0.9, 1.1)
    return WEEKDAY_SPEND_USD * rhythm * (1 + 0.02 * index) * jitter


def _elapsed_window(now: datetime, today: date, zone: ZoneInfo) -> timedelta:
    """How much of today to spread today's runs over: whole hours past (so a restart in the hour matches)."""
    midnight = datetime.combine(today, time(0), tzinfo=zone)
    elapsed = now - midnight
    if elapsed >= timedelta(hours=1):
        return timedelta(hours=int(elapsed.total_seconds() // 3600))
    return max(timedelta(0), timedelta(minutes=int(elapsed.total_seconds() // 60) - 1))


def _day_runs(day: date, index: int, target: float, zone: ZoneInfo,
              window: Optional[timedelta]) -> list[dict[str, Any]]:
    rng = random.Random(f"loopdesk-demo:runs:{day.isoformat()}")
    count = max(3, round(target / 0.7) + rng.randint(-2, 2))
    weights = [rng.uniform(0.5, 1.5) for _ in range(count)]
    scale = Decimal(str(target)) / Decimal(str(sum(weights)))
    if window is None:  # a past day: the bakery's working hours
        opening = datetime.combine(day, time(6, 30), tzinfo=zone)
        starts = sorted(opening + timedelta(minutes=rng.uniform(0, 14 * 60)) for _ in range(count))
        end = None
    else:  # today: spread over the part of the day already past
        opening = datetime.combine(day, time(0), tzinfo=zone)
        starts = [opening + window * (k + 0.5) / count for k in range(count)]
        end = opening + window
    runs = []
    for k, (weight, started) in enumerate(zip(weights, starts, strict=True)):
        cost = (Decimal(str(weight)) * scale).quantize(MICRO, rounding=ROUND_HALF_UP)
        finished = started + timedelta(seconds=rng.randint(20, 400))
        runs.append(_run(f"demo-{day.isoformat()}-{k:03d}", _pick_task(rng, index), started,
                         finished if end is None or finished <= end else None, cost, rng))
    return runs


def _pick_task(rng: random.Random, index: int) -> Optional[str]:
    """Maria's share of the work grows from a quarter to a half over the two weeks."""
    maria = 0.25 + 0.25 * index / (DAYS - 1)
    rest = 1 - maria - UNASSIGNED_SHARE
    owner = rng.choices(["maria", "leo", "sam", None], [maria, rest * 0.55, rest * 0.45, UNASSIGNED_SHARE])[0]
    if owner is None and rng.random() < 0.25:
        return None  # a run not tied to any task
    active = [t.task_id for t in TASKS if t.assignee_id == owner and t.first_day <= index <= t.last_day]
    return rng.choice(active) if active else None


def _run(run_id: str, task_id: Optional[str], started: datetime, finished: Optional[datetime], cost: Decimal,
         rng: random.Random) -> dict[str, Any]:
    name, per_input, per_output, _ = rng.choices(MODELS, [m[3] for m in MODELS])[0]
    million = Decimal(1_000_000)
    body: dict[str, Any] = {
        "run_id": run_id,
        "task_id": task_id,
        "started_at": _instant(started),
        "model": name,
        "input_tokens": int(cost * Decimal("0.7") / per_input * million),
        "output_tokens": int(cost * Decimal("0.3") / per_output * million),
        "cost_usd": f"{cost:.6f}",
    }
    if finished is not None:
        body["finished_at"] = _instant(finished)
    return body


def _instant(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

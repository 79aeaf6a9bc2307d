"""The workspace over time: today, yesterday, trailing average, projection, cap, 30 days."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib import models, timeutil
from chalicelib.ingest.workspaces import load_workspace_item
from chalicelib.money import percent
from chalicelib.store import keys
from chalicelib.store.db import Store, plain

DAYS_SHOWN = 30
TRAILING_DAYS = 7
WARNING_PERCENT = 80


def day_totals(store: Store, workspace_id: str, days: list[date]) -> dict[str, dict[str, int]]:
    """Cost and runs of each local date (absent days are zero): one batched read."""
    found = store.batch_get(store.state, [{"pk": keys.workspace_pk(workspace_id), "sk": keys.agg_day_sk(d.isoformat())}
                                          for d in days])
    return {keys.day_of_agg(item["sk"]): plain(item) for item in found}


def trailing_average(per_day: dict[str, dict[str, Any]], today: date) -> int:
    """Mean of the 7 local days before today, in micro-dollars rounded half up."""
    spent = sum(int(per_day.get(d.isoformat(), {}).get("cost_micros", 0))
                for d in timeutil.days_before(today, TRAILING_DAYS))
    return int((Decimal(spent) / TRAILING_DAYS).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def ratio_to_trailing(spent: int, average: int) -> float | None:
    """Today over the trailing average, two decimals; None when the average is 0."""
    return None if average == 0 else float((Decimal(spent) / average).quantize(Decimal("0.01")))


def cap_state(cap: int | None, used: int, reserved: int = 0) -> models.CapState:
    if cap is None:
        return models.CapState(daily_cap_usd=None, used_usd=used, reserved_usd=reserved, used_percent=None,
                               state="none")
    share = percent(used, cap) if cap > 0 else (100.0 if used > 0 else 0.0)
    state = "reached" if (used >= cap) else "warning" if used * 100 >= cap * WARNING_PERCENT else "ok"
    return models.CapState(daily_cap_usd=cap, used_usd=used, reserved_usd=reserved, used_percent=min(share, 100.0),
                           state=state)


def cost_summary(store: Store, workspace_id: str, now: datetime) -> models.CostSummary:
    workspace = load_workspace_item(store, workspace_id)
    today = timeutil.local_date(now, workspace["timezone"])
    shown = [today - timedelta(days=offset) for offset in range(DAYS_SHOWN - 1, -1, -1)]
    per_day = day_totals(store, workspace_id, shown)
    total = store.state.get_item(Key={"pk": keys.workspace_pk(workspace_id), "sk": keys.AGG_TOTAL_SK},
                                 ConsistentRead=True).get("Item") or {}

    def spend(day: date) -> models.DaySpend:
        values = per_day.get(day.isoformat(), {})
        return models.DaySpend(date=day.isoformat(), cost_usd=int(values.get("cost_micros", 0)),
                               runs=int(values.get("runs", 0)))

    today_spend, yesterday = spend(today), spend(today - timedelta(days=1))
    average = trailing_average(per_day, today)
    ratio = ratio_to_trailing(today_spend.cost_usd, average)
    return models.CostSummary(
        timezone=workspace["timezone"], as_of=now, total_usd=int(total.get("cost_micros", 0)),
        today=today_spend, yesterday=yesterday, trailing_7d_avg_usd=average, ratio_to_trailing=ratio,
        projection_30d_usd=average * 30,
        cap=cap_state(workspace.get("daily_cap_micros"), today_spend.cost_usd,
                      max(0, int(per_day.get(today.isoformat(), {}).get("reserved_micros", 0)))),
        status=workspace.get("status", "active"),
        days=[models.DayCost(date=d.isoformat(), cost_usd=int(per_day.get(d.isoformat(), {}).get("cost_micros", 0)))
              for d in shown],
    )

"""Coalesced run transactions always fit DynamoDB's 100-item limit."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from chalicelib.aggregation.apply import MAX_TRANSACTION_ITEMS, _chunks, _run_items
from chalicelib.aggregation.records import RunRecorded

STORE = SimpleNamespace(settings=SimpleNamespace(state_table="state"))


def runs(count, days, reserved_every):
    return [RunRecorded(workspace_id="ws", run_id=f"r{n:04d}", task_id="t1", cost_micros=n, tokens=1,
                        started_at=f"2026-11-{1 + n % days:02d}T10:00:00Z", local_date=f"2026-11-{1 + n % days:02d}",
                        reservation_id=f"res{n}" if reserved_every and n % reserved_every == 0 else None)
            for n in range(count)]


@pytest.mark.parametrize("count,days,reserved_every,has_task", [(100, 1, 0, True), (250, 30, 0, True),
                                                                 (250, 30, 1, True), (300, 2, 3, False)])
def test_every_chunk_fits_one_transaction(count, days, reserved_every, has_task):
    batch = runs(count, days, reserved_every)
    chunks = _chunks(batch, has_task=has_task)
    assert sorted(r.run_id for chunk in chunks for r in chunk) == sorted(r.run_id for r in batch)
    for chunk in chunks:
        reservations = [{"reservation_id": r.reservation_id, "date": "2026-10-31", "amount_micros": 1}
                        for r in chunk if r.reservation_id]
        items = _run_items(STORE, "ws", "t1" if has_task else None, chunk, {"assignee": "m", "ver": 1},
                           reservations)
        assert len(items) <= MAX_TRANSACTION_ITEMS


def test_one_task_on_one_day_is_one_transaction():
    assert len(_chunks(runs(95, 1, 0), has_task=True)) == 1  # 95 markers + task, assignee, total, day, task-day
    assert len(_chunks(runs(96, 1, 0), has_task=True)) == 2

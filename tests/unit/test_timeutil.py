"""Instants and local dates."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib import timeutil


def test_instant_is_normalised_to_utc():
    moment = timeutil.parse_instant("2026-12-04T19:05:00+01:00")
    assert timeutil.format_instant(moment) == "2026-12-04T18:05:00Z"


@pytest.mark.parametrize("value", ["2026-12-04", "2026-12-04T10:00:00", "yesterday", 5, None, "x" * 50])
def test_instant_needs_date_time_and_offset(value):
    with pytest.raises(ValueError):
        timeutil.parse_instant(value)


def test_local_date_follows_the_workspace_timezone():
    moment = datetime(2026, 12, 4, 23, 30, tzinfo=timezone.utc)
    assert timeutil.local_date(moment, "UTC").isoformat() == "2026-12-04"
    assert timeutil.local_date(moment, "Europe/Berlin").isoformat() == "2026-12-05"
    assert timeutil.local_date(moment, "America/New_York").isoformat() == "2026-12-04"


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "/etc/localtime"])
def test_unknown_timezone_is_refused(name):
    with pytest.raises(ValueError):
        timeutil.zone(name)


def test_sortable_instant_orders_as_time():
    early = timeutil.parse_instant("2026-12-04T09:00:00Z")
    late = timeutil.parse_instant("2026-12-04T10:00:00.5Z")
    assert timeutil.sortable_instant(early) < timeutil.sortable_instant(late)

"""Instants and local dates: RFC 3339 in, UTC out, dates in the workspace's timezone."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_ZONES: dict[str, ZoneInfo] = {}


def parse_instant(value: object) -> datetime:
    """RFC 3339 with an offset (`2026-12-04T18:05:00Z`), as an aware UTC datetime."""
    if not isinstance(value, str) or "T" not in value.upper() or len(value) > 40:
        raise ValueError("must be an RFC 3339 instant with offset, e.g. 2026-12-04T18:05:00Z")
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise ValueError("must be an RFC 3339 instant with offset, e.g. 2026-12-04T18:05:00Z") from None
    if parsed.tzinfo is None:
        raise ValueError("must carry an offset (Z or +hh:mm)")
    return parsed.astimezone(timezone.utc)


def format_instant(moment: datetime) -> str:
    """UTC, `Z`, fraction only when there is one."""
    moment = moment.astimezone(timezone.utc)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def sortable_instant(moment: datetime) -> str:
    """Fixed width, so that string order is time order (sort keys)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def zone(name: str) -> ZoneInfo:
    """The IANA zone, or ValueError for an unknown name."""
    if name not in _ZONES:
        if not name or len(name) > 64 or name.startswith("/") or ".." in name:
            raise ValueError("must be an IANA timezone such as Europe/Berlin")
        try:
            _ZONES[name] = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError("must be an IANA timezone such as Europe/Berlin") from None
    return _ZONES[name]


def local_date(moment: datetime, timezone_name: str) -> date:
    """The workspace's local date of an instant."""
    return moment.astimezone(zone(timezone_name)).date()


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def days_before(day: date, count: int) -> list[date]:
    """The `count` dates before `day`, oldest first."""
    return [day - timedelta(days=offset) for offset in range(count, 0, -1)]

"""Times as the console's tables show them: how long ago, and the minute in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def ago(now: datetime, then: datetime | None, never: str = "never") -> str:
    """How long before `now` `then` was, in the largest whole unit ("3 days ago")."""
    if then is None:
        return never
    seconds = (now - then).total_seconds()
    if seconds < 60:
        return "just now"
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"  # unreachable: 60 s and more is a minute at least


def utc_minute(then: datetime | None, none: str = "–") -> str:
    """The minute of `then` in UTC, as "2026-11-23 09:00 UTC"."""
    if then is None:
        return none
    return f"{then.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def iso(then: datetime | None) -> str:
    """`then` for a <time datetime="..."> attribute; empty when there is none."""
    return "" if then is None else then.astimezone(UTC).isoformat(timespec="seconds")

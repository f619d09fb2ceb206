"""Offline expiry: a laptop that has not synced for the company's limit erases its copy."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

# Sync facts in the store's sync state, written at the end of each successful sync.
LAST_SYNC_AT = "last_sync_at"  # when (ISO 8601, UTC)
OFFLINE_DAYS = "offline_days"  # the server's limit then (absent: none)

WARN_DAYS = 3  # warnings start this many days before the end...
# ...or in the last third of a limit shorter than three times that.
Verdict = Literal["fine", "warn", "expired"]


class SyncFacts(Protocol):
    """Where the facts are kept: a LocalReplica (or anything with its two methods)."""

    def state(self, key: str) -> str | None: ...

    def set_state(self, key: str, value: str | None) -> None: ...


@dataclass(frozen=True)
class ExpiryState:
    """Whether this copy may stay: fine, warn (erased in `days_left` days unless it
    syncs) or expired (to be erased now)."""

    verdict: Verdict
    offline_days: int | None = None
    deadline: datetime | None = None
    days_left: int | None = None  # whole days, rounded up; for warn

    def message(self) -> str:
        """What to tell the rep, in one line ("" when fine)."""
        if self.verdict == "warn":
            days = "1 day" if self.days_left == 1 else f"{self.days_left} days"
            return (
                f"this laptop has not synced for a while: your company erases its copy in "
                f"{days} unless it syncs (after {self.offline_days} days offline)"
            )
        if self.verdict == "expired":
            return (
                f"this laptop's copy was erased: it had not synced for {self.offline_days} "
                "days, your company's limit; sign in and sync to download it again"
            )
        return ""


def expiry_state(
    last_sync_at: datetime | None, offline_days: int | None, now: datetime
) -> ExpiryState:
    """The verdict for a copy last synced at `last_sync_at` under a limit of `offline_days`
    (None: no limit, or never synced: fine), at `now`."""
    if offline_days is None or last_sync_at is None:
        return ExpiryState("fine", offline_days)
    limit = timedelta(days=offline_days)
    deadline = last_sync_at + limit
    left = deadline - now
    if left <= timedelta(0):
        return ExpiryState("expired", offline_days, deadline, 0)
    if left <= min(timedelta(days=WARN_DAYS), limit / 3):
        days_left = math.ceil(left / timedelta(days=1))
        return ExpiryState("warn", offline_days, deadline, days_left)
    return ExpiryState("fine", offline_days, deadline)


def stored_expiry(facts: SyncFacts, now: datetime) -> ExpiryState:
    """The verdict from the facts the last successful sync kept; a fact that does not
    read (a hand edit) counts as absent."""
    return expiry_state(_time(facts.state(LAST_SYNC_AT)), _days(facts.state(OFFLINE_DAYS)), now)


def keep_sync_facts(facts: SyncFacts, synced_at: datetime, offline_days: int | None) -> None:
    """Records a successful sync and the limit the server said with it."""
    facts.set_state(OFFLINE_DAYS, None if offline_days is None else str(offline_days))
    facts.set_state(LAST_SYNC_AT, synced_at.astimezone(UTC).isoformat())


def _time(text: str | None) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    if stamp is None or stamp.tzinfo is None:
        return None
    return stamp


def _days(text: str | None) -> int | None:
    if text is None or not text.isdigit():
        return None
    return int(text) or None

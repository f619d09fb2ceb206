"""What a sync run reports: its outcome, its status, and its errors. Light to import (the
window loads it at start-up; the engine with httpx and SQLAlchemy loads later)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class SyncError(Exception):
    """Sync failed for a reason the rep can act on (offline, wrong password, server error)."""


class NeedsSignIn(SyncError):
    """The server wants the password again (wrong, expired or revoked credentials)."""


class SyncStopped(SyncError):
    """The rep (or the app closing) asked sync to stop; what was done so far is kept."""


@dataclass(frozen=True)
class SyncOutcome:
    pushed: int
    rejected: int
    pulled: int
    conflicts: int
    snapshot: bool


@dataclass(frozen=True)
class SyncStatus:
    server: str | None
    username: str | None
    pending: int
    needs_attention: int
    last_sync_at: datetime | None

    @property
    def configured(self) -> bool:
        return bool(self.server and self.username)

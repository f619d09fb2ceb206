"""What a sync run reports: its outcome, its status, and its errors. Light to import (the
window loads it at start-up; the engine with httpx and SQLAlchemy loads later)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from db.changes import Changes
from db.labels import plural


class SyncError(Exception):
    """Sync failed for a reason the rep can act on (offline, wrong password, server error)."""


class Offline(SyncError):
    """The server could not be reached (no network, server down); work goes on offline."""


class NeedsSignIn(SyncError):
    """The server wants the password again (wrong, expired or revoked credentials)."""


class SyncStopped(SyncError):
    """The rep (or the app closing) asked sync to stop; what was done so far is kept."""


class ClientTooOld(SyncError):
    """The server no longer reads this app's requests: the rep must update the app."""


class DeviceWiped(SyncError):
    """An administrator wiped this device: its copy must be erased now (desktop.wipe), and
    the server told so with `client_id`, the id it knows this device by. The message says
    when and why, in the server's words."""

    def __init__(self, message: str, client_id: uuid.UUID | None = None) -> None:
        super().__init__(message)
        self.client_id = client_id


class CopyExpired(SyncError):
    """This laptop went without syncing past the company's offline limit: its copy must be
    erased (desktop.wipe), not synced. The message says so in words."""


@dataclass(frozen=True)
class SyncOutcome:
    pushed: int
    rejected: int
    pulled: int
    conflicts: int
    snapshot: bool
    # Things to tell the rep that did not stop the sync (a clock far off, say).
    warnings: tuple[str, ...] = ()
    # Entities whose end-of-sync check failed and were downloaded again.
    repaired: tuple[str, ...] = ()
    resynced: bool = False  # the server no longer had our cursor's history
    territories_added: tuple[str, ...] = ()
    territories_removed: tuple[str, ...] = ()
    # Pulled rows this device could not store, kept aside for support (Needs attention).
    set_aside: int = 0
    # What the sync wrote to the store: each page and model refreshes what it shows.
    changes: Changes = field(default_factory=Changes)


def describe_outcome(outcome: SyncOutcome) -> list[str]:
    """What a sync did, in short phrases for a status bar or a terminal."""
    # Warnings first: a status bar cuts the end of a long message.
    parts = [*outcome.warnings, f"pushed {plural(outcome.pushed, 'change')}"]
    if outcome.rejected:
        parts.append(f"{outcome.rejected:,} refused (see Needs attention)")
    received = f"pulled {plural(outcome.pulled, 'row')}"
    if outcome.resynced:
        received += " (downloaded afresh: this device was away too long)"
    elif outcome.snapshot:
        received += " (first download)"
    parts.append(received)
    if outcome.conflicts:
        parts.append(f"{plural(outcome.conflicts, 'conflict')} to resolve")
    if outcome.territories_added:
        parts.append(f"new territory: {', '.join(outcome.territories_added)}")
    if outcome.territories_removed:
        parts.append(f"territory removed: {', '.join(outcome.territories_removed)}")
    if outcome.set_aside:
        parts.append(f"{plural(outcome.set_aside, 'row')} set aside (see Needs attention)")
    if outcome.repaired:
        parts.append(f"repaired {', '.join(e.replace('_', ' ') for e in outcome.repaired)}")
    return parts


@dataclass(frozen=True)
class SyncStatus:
    server: str | None
    username: str | None
    pending: int
    needs_attention: int
    last_sync_at: datetime | None
    # False where the OS has no keyring: the password is asked for again after a restart
    # rather than written down in plain text.
    keyring: bool = True

    @property
    def configured(self) -> bool:
        return bool(self.server and self.username)

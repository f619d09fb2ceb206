"""Help > Copy diagnostics: what support needs to know about this install, no customer data."""

from __future__ import annotations

import importlib.metadata
import platform
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from desktop.logs import LOG_FILENAME

if TYPE_CHECKING:
    from db.store.local_store import Store
    from db.store.replica import StoreThread

LOG_LINES = 50
_TAIL_BYTES = 256 * 1024  # more than 50 lines of traceback; the log is never read whole

# The log holds no customer data by design. In case a library's message carries some, the
# places we know they put values are blanked: SQLAlchemy's bound parameters, pydantic's
# input values, e-mail addresses, query strings of logged URLs; the home folder (the OS
# user name) becomes ~.
_SCRUBS = (
    (re.compile(r"\[parameters: .*"), "[parameters: hidden]"),
    (re.compile(r"input_value=.*?(?=, input_type=|$)"), "input_value=hidden"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<e-mail>"),
    (re.compile(r'(https?://[^\s?#"\']+)\?[^\s"\']*'), r"\1?…"),
)


@dataclass(frozen=True)
class Facts:
    """What the diagnostics say besides the log."""

    version: str
    python: str
    qt: str
    system: str
    schema_revision: str
    server: str | None  # the host (and port) only: never the rep's user name
    last_sync_at: str | None
    pending: int
    refused: int
    set_aside: int
    keyring: bool


def app_version() -> str:
    """The installed version of Fieldbrief; "dev" when run from a source tree only."""
    try:
        return importlib.metadata.version("fieldbrief")
    except importlib.metadata.PackageNotFoundError:
        return "dev"


def server_host(url: str | None) -> str | None:
    """The sync server's host (and port) from its URL: no scheme, user, path or query."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return "(not a URL)"
    host = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port else host


def scrub(line: str, home: str | None = None) -> str:
    """A log line with the values libraries put in messages blanked (see _SCRUBS)."""
    for pattern, replacement in _SCRUBS:
        line = pattern.sub(replacement, line)
    if home and len(home) > 1:
        line = line.replace(home, "~")
    return line


def log_tail(path: Path, lines: int = LOG_LINES) -> list[str]:
    """The last `lines` lines of the log, scrubbed; reads only the end of a large file."""
    try:
        with path.open("rb") as file:
            size = file.seek(0, 2)
            file.seek(max(0, size - _TAIL_BYTES))
            raw = file.read()
    except FileNotFoundError:
        return ["(no log file yet)"]
    except OSError as exc:
        return [f"(the log cannot be read: {exc.strerror})"]
    text = raw.decode("utf-8", errors="replace").splitlines()
    if size > _TAIL_BYTES:
        text = text[1:]  # the first line read is most likely cut
    home = str(Path.home())
    return [scrub(line, home) for line in text[-lines:]]


def format_diagnostics(facts: Facts, log: list[str]) -> str:
    """The text put on the clipboard: facts first, then the log's last lines."""
    server = facts.server or "not signed in"
    return "\n".join(
        [
            "Fieldbrief diagnostics",
            f"Version: {facts.version}",
            f"Python: {facts.python} · Qt: {facts.qt}",
            f"System: {facts.system}",
            f"Store schema revision: {facts.schema_revision}",
            f"Sync server: {server}",
            f"Last sync: {facts.last_sync_at or 'never'}",
            f"Changes waiting to be sent: {facts.pending:,} · refused: {facts.refused:,} · "
            f"set aside: {facts.set_aside:,}",
            f"Keyring: {'available' if facts.keyring else 'not available'}",
            "",
            f"Log (last {len(log)} lines):",
            *log,
            "",
        ]
    )


class Diagnostics:
    """Gathers the diagnostics of the open store. Blocks (reads the store and the log,
    probes the keyring): run it off the GUI thread. Its store reads run on `store_thread`
    (the app's store thread) when one is given."""

    def __init__(
        self,
        store: Store,
        store_thread: StoreThread | None = None,
        log_path: Path | None = None,
    ) -> None:
        self._store = store
        self._store_thread = store_thread
        self._log_path = log_path or store.path.parent / LOG_FILENAME

    def facts(self) -> Facts:
        """The install's facts: versions, the store's schema, the sync state."""
        # Imported here: the store, sync and keyring modules are loaded by now in the app.
        from PySide6 import QtCore
        from PySide6 import __version__ as pyside_version

        from db.store.replica import LocalReplica
        from db.store.schema import current_revision
        from desktop.sync_service import SyncService

        store, on_store_thread = self._store, self._store_thread
        if on_store_thread is None:
            replica, sync = LocalReplica(store), SyncService(store)
            revision = current_revision(store.engine)
        else:
            replica, sync = (
                LocalReplica(store, on_store_thread),
                SyncService(store, on_store_thread),
            )
            revision = on_store_thread(lambda: current_revision(store.engine))
        status = sync.status()  # what the status bar says: one reading of the sync state
        return Facts(
            version=app_version(),
            python=f"{platform.python_implementation()} {platform.python_version()}",
            qt=f"{QtCore.qVersion()} (PySide6 {pyside_version})",
            system=platform.platform(),
            schema_revision=revision or "(empty store)",
            server=server_host(status.server),
            last_sync_at=status.last_sync_at.isoformat() if status.last_sync_at else None,
            pending=status.pending,
            refused=status.needs_attention,
            set_aside=replica.set_aside_count(),
            keyring=status.keyring,
        )

    def gather(self) -> str:
        """The text for support: facts and the log's last lines."""
        return format_diagnostics(self.facts(), log_tail(self._log_path))

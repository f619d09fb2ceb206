"""The app's own settings (idle lock minutes, a company CA file) in settings.ini."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

from PySide6.QtCore import QSettings

from sync.private_files import private_file, private_folder

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.ini"
IDLE_KEY = "lock/idle_minutes"
CA_KEY = "sync/ca_file"
DEFAULT_IDLE_MINUTES = 15
MIN_IDLE_MINUTES, MAX_IDLE_MINUTES = 1, 240  # 0 is "never"
# A company CA bundle is kilobytes: a bigger file is not one, and is not read at all.
CA_FILE_MAX_BYTES = 1 << 20


def idle_minutes_problem(minutes: int) -> str | None:
    """Why `minutes` is no idle-lock setting (None: it is one)."""
    if minutes == 0 or MIN_IDLE_MINUTES <= minutes <= MAX_IDLE_MINUTES:
        return None
    return (
        f"the idle lock is 0 (never) or {MIN_IDLE_MINUTES} to {MAX_IDLE_MINUTES} minutes, "
        f"not {minutes}"
    )


def ca_file_problem(path: str) -> str | None:
    """Why the file at `path` cannot be trusted as a company CA (None: it can): missing,
    unreadable, too big, or no PEM certificate in it. Reads the file: off the GUI thread."""
    if "\0" in path:
        return "that is not a file name"
    file = Path(path)
    if not file.is_absolute():
        return "choose the CA file with its full path"
    if not file.is_file():
        if file.exists():
            return "the CA certificate is a file, not a folder"
        return f"the file {file.name} was not found"
    try:
        size = file.stat().st_size
    except OSError:
        return f"the file {file.name} cannot be read"
    if size > CA_FILE_MAX_BYTES:
        return f"the file {file.name} is too big to be a CA certificate"
    # Imported here: sync.engine brings httpx, which the window's first paint does without.
    from sync.engine import tls_context
    from sync.outcome import SyncError

    try:
        tls_context(str(file))
    except SyncError:
        return f"the file {file.name} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
    return None


class AppSettings:
    """The settings, read once when built and written by `save`. Reading a value is safe
    from any thread (plain attributes); loading and saving belong to the GUI thread."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / SETTINGS_FILE
        self._idle_minutes = DEFAULT_IDLE_MINUTES
        self._ca_file: str | None = None
        self._load()

    @property
    def idle_lock_minutes(self) -> int:
        """Minutes without input before the window locks; 0: never."""
        return self._idle_minutes

    @property
    def ca_file(self) -> str | None:
        """The company CA certificate (PEM) the sync trusts besides the system's, if any."""
        return self._ca_file

    def ca_file_problem(self, path: str) -> str | None:
        """Why `path` cannot be the company CA (None: it can). Reads it: off the GUI thread."""
        return ca_file_problem(path)

    def save(self, idle_lock_minutes: int, ca_file: str | None) -> None:
        """Writes both settings (the file 0600); ValueError for a value no setting may have
        (the dialog checks the CA file itself first, with ca_file_problem)."""
        problem = idle_minutes_problem(idle_lock_minutes)
        if problem is not None:
            raise ValueError(problem)
        ca_file = ca_file or None
        if ca_file is not None and ("\0" in ca_file or not Path(ca_file).is_absolute()):
            raise ValueError("the CA file needs its full path")
        private_file(private_folder(self.path.parent) / SETTINGS_FILE)
        settings = self._settings()
        settings.setValue(IDLE_KEY, idle_lock_minutes)
        settings.setValue(CA_KEY, ca_file or "")
        settings.sync()
        if settings.status() != QSettings.Status.NoError:
            raise OSError(errno.EIO, f"{self.path.name} could not be written")
        self._idle_minutes, self._ca_file = idle_lock_minutes, ca_file

    def _settings(self) -> QSettings:
        return QSettings(str(self.path), QSettings.Format.IniFormat)

    def _load(self) -> None:
        if not self.path.is_file():
            return
        settings = self._settings()
        if settings.status() != QSettings.Status.NoError:
            log.warning("%s cannot be read: the defaults apply", self.path.name)
            return
        self._idle_minutes = _idle_minutes_from(settings.value(IDLE_KEY))
        self._ca_file = _ca_file_from(settings.value(CA_KEY))


def _idle_minutes_from(value: object) -> int:
    """The stored minutes; a hand-edited bad value gives the default, and a line in the log
    (without the value: the log says what is wrong, not what the file holds)."""
    if value is None:
        return DEFAULT_IDLE_MINUTES
    minutes: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    elif isinstance(value, str) and value.strip().isdecimal():
        minutes = int(value.strip())
    if minutes is None or idle_minutes_problem(minutes) is not None:
        log.warning(
            "%s: %s is not 0 or %d to %d minutes; the idle lock uses %d",
            SETTINGS_FILE,
            IDLE_KEY,
            MIN_IDLE_MINUTES,
            MAX_IDLE_MINUTES,
            DEFAULT_IDLE_MINUTES,
        )
        return DEFAULT_IDLE_MINUTES
    return minutes


def _ca_file_from(value: object) -> str | None:
    """The stored CA file's path; anything but one full path is ignored, and logged (the
    path itself is not: it may hold the rep's name)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and "\0" not in value and Path(value).is_absolute():
        return value
    log.warning("%s: %s is not a full file path; no company CA is used", SETTINGS_FILE, CA_KEY)
    return None

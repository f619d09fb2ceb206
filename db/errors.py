"""Errors raised by the local store, split into what the user can fix and what is a bug."""


class StoreError(Exception):
    """Base of every error the store raises."""


class StoreUserError(StoreError):
    """A problem the user can act on (bad file, newer app, disk full); shown in plain words."""


class StoreUnreadable(StoreUserError):
    """The store file exists but is not a Fieldbrief store SQLite can read."""


class StoreTooNew(StoreUserError):
    """The store was written by a newer Fieldbrief whose schema this app does not know."""


class StoreNotEmpty(StoreUserError):
    """A command that needs an empty store (such as writing demo data) found data in it."""


class DiskFull(StoreUserError):
    """The disk holding the store is full: nothing was written."""


class StoreClosed(StoreError):
    """The store was closed (an erased copy): nothing reads or writes it again, so no
    late job can make a new empty file where the erased one was."""


class StoreReadOnly(StoreUserError):
    """The store's file or folder cannot be written (permissions, a read-only disk)."""


# Said for a failure that is a bug, not something the rep can fix: the detail (which may
# name code, SQL or values) goes to the log, never on screen.
UNEXPECTED = "Something went wrong. The details are in the log: Help ▸ Copy diagnostics."


def in_words(exc: BaseException, doing: str = "") -> str:
    """What a rep is told about `exc`: its own words for a problem they can act on (a
    StoreUserError, a full disk, a missing file), one plain sentence otherwise. `doing`
    names the work that failed ("saving the note")."""
    if isinstance(exc, StoreUserError):
        return str(exc)
    failed = f"{doing[:1].upper()}{doing[1:]} failed" if doing else ""
    if isinstance(exc, OSError) and exc.strerror:
        reason = exc.strerror[:1].lower() + exc.strerror[1:]
        return f"{failed}: {reason}" if failed else reason
    return f"{failed}. {UNEXPECTED}" if failed else UNEXPECTED

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


class StoreReadOnly(StoreUserError):
    """The store's file or folder cannot be written (permissions, a read-only disk)."""

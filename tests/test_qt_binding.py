"""The Qt binding keeps Python's books: PySide6 6.12.0 dropped a reference to None on
every Qt call that returns nothing, so after some thousands of calls (minutes of a rep's
session) Python aborted with "Fatal Python error: none_dealloc"."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject


def test_qt_calls_that_return_nothing_leave_none_alone() -> None:
    thing = QObject()
    before = sys.getrefcount(None)
    for _ in range(2000):
        thing.setObjectName("x")
    # A few references come and go with the interpreter's own work; 2,000 lost would show.
    assert abs(sys.getrefcount(None) - before) < 100

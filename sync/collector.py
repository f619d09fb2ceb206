"""Python's cycle collector paused while a big download is parsed and written.

A first download makes millions of small containers (each row's parsed JSON, the values
written), and the collector kept sweeping the whole heap for cycles among them: a third
of the time a page took to parse. Reference counting still frees everything a download
lets go of; only cycles wait until the collector runs again, when the last download
using this ends.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator


class _Pause:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._restart = False

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._holders == 0:
                self._restart = gc.isenabled()
                gc.disable()
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0 and self._restart:
                    gc.enable()


_PAUSE = _Pause()


def collector_paused() -> contextlib.AbstractContextManager[None]:
    """Pauses the cycle collector for the block; downloads running at once (threads)
    share one pause, and the collector restarts (if it was on) when the last ends."""
    return _PAUSE.held()

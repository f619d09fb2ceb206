"""The cycle collector is paused for downloads and always comes back."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from sync.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_paused_for_the_block_and_back_after_it() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_back_after_a_failure() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the connection dropped")
    assert gc.isenabled()


def test_downloads_at_once_share_the_pause() -> None:
    first_in, second_out = threading.Event(), threading.Event()
    seen: list[bool] = []

    def second() -> None:
        first_in.wait(10)
        with collector_paused():
            pass
        seen.append(gc.isenabled())  # the first download still runs
        second_out.set()

    helper = threading.Thread(target=second)
    helper.start()
    with collector_paused():
        first_in.set()
        assert second_out.wait(10)
    helper.join(10)
    assert seen == [False]
    assert gc.isenabled()


def test_left_off_when_it_was_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()

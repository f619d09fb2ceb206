"""A keyring that refuses is reported (a warning with the sync, its traceback in the log),
never swallowed; the sign-in stays in memory for the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from db.store.local_store import Store
from desktop.sync_service import SyncService
from sync.outcome import NeedsSignIn
from tests.helpers.broken_keyring import BrokenKeyring
from tests.helpers.live_server import REP_PASSWORD, rep_server


@pytest.fixture
def broken_keyring() -> Iterator[None]:
    """The process's keyring refuses everything (keyring keeps the backend it chose first
    for the whole process, so it is set here, not through the environment)."""
    before = keyring.get_keyring()
    keyring.set_keyring(BrokenKeyring())
    yield
    keyring.set_keyring(before)


@pytest.mark.usefixtures("broken_keyring")
def test_a_keyring_that_refuses_is_said_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store.open(tmp_path / "laptop")
    try:
        with rep_server(tmp_path / "server") as server:
            service = SyncService(store)
            outcome = service.sign_in(server.url, "ana", REP_PASSWORD)
            [said] = [w for w in outcome.warnings if "keyring" in w]
            assert "password after a restart" in said
            assert "KeyringLocked" not in said  # the class is for the log, not the rep
            refused = [r for r in caplog.records if "keyring refused" in r.getMessage()]
            assert refused and refused[0].exc_info is not None
            assert refused[0].exc_info[0].__name__ == "KeyringLocked"
            # Later syncs of this session use the sign-in kept in memory.
            assert service.sync().pushed == 0

            fresh = SyncService(store)  # after a restart: nothing could be kept
            with pytest.raises(NeedsSignIn, match="keyring could not be read"):
                fresh.sync()
    finally:
        store.close()

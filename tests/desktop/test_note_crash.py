"""Killing the app while the rep types loses nothing that was saved: a real process types
into the real note window and is killed with SIGKILL; the reopened store has the note, and
with it the outbox entry that sends it (written in the same transaction)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from db.field.notes import NoteBook
from db.store.local_store import Store
from db.store.models import OutboxEntry
from tests.helpers.note_typist import TEXT

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SAVES_BEFORE_KILL = 3


@pytest.mark.parametrize("kill_after", ["saves", "keystroke"])
def test_sigkill_while_typing_keeps_every_saved_word(tmp_path: Path, kill_after: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.note_typist", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    saved = typed = saves = 0
    try:
        for line in child.stdout:
            word, _, number = line.strip().partition(" ")
            if word == "saved":
                saved, saves = int(number), saves + 1
            elif word == "typed":
                typed = int(number)
            elif word == "done":
                break
            # Killed mid-word: after some saves, right after one, or between keystrokes.
            if saves >= SAVES_BEFORE_KILL and (kill_after == "saves" or word == "typed"):
                break
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""
    assert saves >= SAVES_BEFORE_KILL and typed > 0

    store = Store.open(tmp_path)  # as the restarted app does
    try:
        note_id = uuid.UUID((tmp_path / "note_id").read_text())
        view = NoteBook(store).note(note_id)
        assert view is not None
        body = view.body
        text = " ".join(body.split())  # Qt's Markdown wraps long lines
        assert len(body) >= saved  # everything the window had reported saved is there
        assert " ".join(TEXT.split()).startswith(text) and len(text) <= typed
        with store.reading() as session:
            last = session.scalars(
                select(OutboxEntry)
                .where(OutboxEntry.entity_id == note_id)
                .order_by(OutboxEntry.seq.desc())
                .limit(1)
            ).one()
        assert last.fields == {"body": body}  # its way to the server came with it
    finally:
        store.close()

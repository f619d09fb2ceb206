"""The diagnostics text for support: its parts as plain functions, and the facts of a store."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.store.local_store import Store
from db.store.probe import HEAD_REVISION
from db.store.replica import LocalReplica
from desktop.diagnostics import (
    LOG_LINES,
    Diagnostics,
    Facts,
    app_version,
    format_diagnostics,
    log_tail,
    scrub,
    server_host,
)
from desktop.sync_service import LAST_SYNC_KEY, SERVER_KEY, USER_KEY

FACTS = Facts(
    version="1.2.3",
    python="CPython 3.11.9",
    qt="6.8.1 (PySide6 6.8.1)",
    system="Linux-6.1-x86_64-with-glibc2.36",
    schema_revision="0007_follow_ups",
    server="sync.example.com:8443",
    last_sync_at="2026-11-23T09:00:00+00:00",
    pending=1_204,
    refused=2,
    set_aside=0,
    keyring=False,
)


def test_the_text_names_the_facts_then_the_log() -> None:
    assert format_diagnostics(FACTS, ["first line", "last line"]) == (
        "Fieldbrief diagnostics\n"
        "Version: 1.2.3\n"
        "Python: CPython 3.11.9 · Qt: 6.8.1 (PySide6 6.8.1)\n"
        "System: Linux-6.1-x86_64-with-glibc2.36\n"
        "Store schema revision: 0007_follow_ups\n"
        "Sync server: sync.example.com:8443\n"
        "Last sync: 2026-11-23T09:00:00+00:00\n"
        "Changes waiting to be sent: 1,204 · refused: 2 · set aside: 0\n"
        "Keyring: not available\n"
        "\n"
        "Log (last 2 lines):\n"
        "first line\n"
        "last line\n"
    )


def test_a_store_never_synced_says_so() -> None:
    never = Facts(**{**FACTS.__dict__, "server": None, "last_sync_at": None, "keyring": True})
    text = format_diagnostics(never, [])
    assert "Sync server: not signed in\n" in text
    assert "Last sync: never\n" in text
    assert "Keyring: available\n" in text


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://ana:secret@sync.example.com:8443/base/?cursor=abc", "sync.example.com:8443"),
        ("https://sync.example.com", "sync.example.com"),
        ("http://[::1]:8740", "[::1]:8740"),
        ("http://sync.example.com:99999", "sync.example.com"),  # a port out of range
        ("sync.example.com", "(not a URL)"),
        (None, None),
        ("", None),
    ],
)
def test_the_server_is_named_by_its_host_only(url: str | None, host: str | None) -> None:
    assert server_host(url) == host


@pytest.mark.parametrize(
    ("line", "scrubbed"),
    [
        (
            "[parameters: ('Acme Logistics', 'zoe@acme.example')]",
            "[parameters: hidden]",
        ),
        (
            "  Input should be a valid date [type=date_from_datetime_parsing, "
            "input_value='Núñez & Söhne', input_type=str]",
            "  Input should be a valid date [type=date_from_datetime_parsing, "
            "input_value=hidden, input_type=str]",
        ),
        ("mail from zoe.nunez+crm@acme.example failed", "mail from <e-mail> failed"),
        (
            'GET https://sync.example.com/v1/sync/changes?cursor=abc "HTTP/1.1 200 OK"',
            'GET https://sync.example.com/v1/sync/changes?… "HTTP/1.1 200 OK"',
        ),
        (
            '  File "/home/ana.rep/app/ui/x.py", line 3, in f',
            '  File "~/app/ui/x.py", line 3, in f',
        ),
        ("INFO sync.engine: pushed 12 changes", "INFO sync.engine: pushed 12 changes"),
    ],
)
def test_values_libraries_put_in_messages_are_blanked(line: str, scrubbed: str) -> None:
    assert scrub(line, home="/home/ana.rep") == scrubbed


def test_the_log_tail_is_its_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "fieldbrief.log"
    log.write_text("".join(f"line {i}\n" for i in range(200)), encoding="utf-8")
    tail = log_tail(log)
    assert len(tail) == LOG_LINES
    assert tail[0] == "line 150" and tail[-1] == "line 199"
    assert log_tail(log, lines=3) == ["line 197", "line 198", "line 199"]


def test_a_large_log_is_read_from_its_end_only(tmp_path: Path) -> None:
    log = tmp_path / "fieldbrief.log"
    log.write_text("x" * 1_000_000 + "\nlast but one\nlast\n", encoding="utf-8")
    assert log_tail(log)[-2:] == ["last but one", "last"]
    assert all(len(line) < 300_000 for line in log_tail(log))


def test_a_missing_log_is_said_so(tmp_path: Path) -> None:
    assert log_tail(tmp_path / "nothing.log") == ["(no log file yet)"]


def test_the_version_is_the_installed_one() -> None:
    assert app_version() not in ("", "dev")  # the package is installed (editable) here


def test_the_facts_of_a_store(
    store: Store, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends import null

    # The backend itself, not only the variable: keyring keeps the first one it chose.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.setattr(keyring, "get_keyring", null.Keyring)
    replica = LocalReplica(store)
    replica.set_state(SERVER_KEY, "https://sync.example.com:8443")
    replica.set_state(USER_KEY, "ana.rep")
    replica.set_state(LAST_SYNC_KEY, "2026-11-23T09:00:00+00:00")
    (data_dir / "fieldbrief.log").write_text("2026-11-23 INFO sync.engine: synced\n")
    diagnostics = Diagnostics(store)
    facts = diagnostics.facts()
    assert facts.schema_revision == HEAD_REVISION
    assert facts.server == "sync.example.com:8443"
    assert facts.last_sync_at == "2026-11-23T09:00:00+00:00"
    assert (facts.pending, facts.refused, facts.set_aside) == (0, 0, 0)
    assert facts.keyring is False
    text = diagnostics.gather()
    assert text.endswith("2026-11-23 INFO sync.engine: synced\n")
    assert "ana.rep" not in text

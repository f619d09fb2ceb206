"""CSV import of accounts: CRM headers, BOM, quoted newlines, all-or-nothing, re-import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.auth import AuthService
from server.importer import ImportFailed, import_accounts
from server.models import Record
from server.store import ServerStore

DATA = Path(__file__).parent / "data"


def accounts(store: ServerStore) -> dict[str, dict[str, object]]:
    with store.session() as session:
        rows = session.scalars(select(Record).where(Record.entity == "account"))
        return {r.data["name"]: r.data for r in rows}


def test_a_salesforce_export_with_bom_and_a_quoted_newline(
    server_store: ServerStore, auth: AuthService
) -> None:
    result = import_accounts(server_store, DATA / "salesforce_accounts.csv", "north", auth.clock)
    assert (result.source, result.created) == ("salesforce", 2)
    mueller = accounts(server_store)["Müller Maschinenbau GmbH"]
    assert mueller["street"] == "Hafenstraße 12\nHinterhaus"
    assert (mueller["employees"], mueller["city"], mueller["territory"]) == (
        1200,
        "Hamburg",
        "north",
    )
    assert accounts(server_store)["Søndergaard A/S"]["phone"] is None


def test_a_hubspot_export(server_store: ServerStore, auth: AuthService) -> None:
    result = import_accounts(server_store, DATA / "hubspot_companies.csv", "north", auth.clock)
    assert (result.source, result.created) == ("hubspot", 2)
    nunez = accounts(server_store)["Núñez Logística, S.L."]
    assert (nunez["postal_code"], nunez["website"], nunez["country"]) == (
        "48001",
        "nunez.example",
        "Spain",
    )


def test_reimporting_updates_instead_of_duplicating(
    server_store: ServerStore, auth: AuthService, tmp_path: Path
) -> None:
    first = tmp_path / "ours.csv"
    first.write_text("external_id,name,city\nA-1,Acme,Bonn\nA-2,Beta,Köln\n", encoding="utf-8")
    import_accounts(server_store, first, "north", auth.clock)
    first.write_text("external_id,name,city\nA-1,Acme,Aachen\nA-2,Beta,Köln\n", encoding="utf-8")
    again = import_accounts(server_store, first, "north", auth.clock)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    assert accounts(server_store)["Acme"]["city"] == "Aachen"
    with server_store.session() as session:
        assert session.scalar(select(func.count()).select_from(Record)) == 2


def test_a_bad_file_lists_every_bad_row_and_writes_nothing(
    server_store: ServerStore, auth: AuthService
) -> None:
    with pytest.raises(ImportFailed) as refused:
        import_accounts(server_store, DATA / "bad_accounts.csv", "north", auth.clock)
    assert refused.value.problems == [
        "row 3: no name",
        "row 3: employees 'ten' is not a number",
        "row 5: id A-1 repeats row 2",
    ]
    assert accounts(server_store) == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,city\nAcme,Bonn\n", "no external_id"),
        ("external_id,name\n1,Acme\n".encode("utf-16"), "not UTF-8"),
    ],
)
def test_unusable_files_are_refused_in_plain_words(
    server_store: ServerStore, auth: AuthService, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFailed, match=message):
        import_accounts(server_store, path, "north", auth.clock)


@pytest.mark.slow
def test_the_import_command(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "server.cli", "--data-dir", str(tmp_path), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    run("territory", "add", "north")
    ok = run("import", "accounts", str(DATA / "hubspot_companies.csv"), "--territory", "north")
    assert ok.returncode == 0, ok.stderr
    assert "2 new, 0 updated" in ok.stdout
    bad = run("import", "accounts", str(DATA / "bad_accounts.csv"), "--territory", "north")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "row 3: no name" in bad.stderr and "nothing was imported" in bad.stderr
    nowhere = run("import", "accounts", str(DATA / "hubspot_companies.csv"), "--territory", "west")
    assert nowhere.returncode == 1 and "no territory 'west'" in nowhere.stderr


def test_imported_accounts_reach_the_rep(
    server_store: ServerStore, auth: AuthService, base_url: str, tmp_path: Path
) -> None:
    from db.store.local_store import Store
    from db.store.models import Account
    from db.store.replica import LocalReplica
    from sync.engine import sync_once
    from tests.server.conftest import PASSWORD

    import_accounts(server_store, DATA / "salesforce_accounts.csv", "north", auth.clock)
    laptop = Store.open(tmp_path / "laptop")
    try:
        assert sync_once(LocalReplica(laptop), base_url, "ana", PASSWORD).pulled == 2
        with laptop.reading() as session:
            rows = {a.name: a for a in session.scalars(select(Account))}
        assert rows["Müller Maschinenbau GmbH"].employees == 1200
        assert rows["Søndergaard A/S"].ladder_rung.value == "prospect"
    finally:
        laptop.close()

"""The team page over real HTTP: a manager sees the reps of their territories and no other,
an admin every rep, marketing and reps not at all; the ladder's chart carries its numbers."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

from server.auth import AuthService
from server.records import ScopedRecords
from tests.helpers.console import ConsoleBrowser, signed_in, strict_policy
from tests.server.conftest import PASSWORD, Clock
from tests.server.console.conftest import ADMIN, MANAGER, MARKETING


def write(auth: AuthService, entity: str, territory: str, data: dict[str, Any]) -> uuid.UUID:
    record_id = uuid.uuid4()
    with auth.store.session() as session:
        ScopedRecords(session, frozenset({territory}), auth.clock).create(
            entity, record_id, territory, data
        )
    return record_id


def fill(auth: AuthService, clock: Clock) -> None:
    """North: ana's two accounts, a key contact, an overdue follow-up, a waiting lead, a
    visit, a move up. South: ben's account and two waiting leads, a move down."""
    a = write(auth, "account", "north", {"name": "Acme", "ladder_rung": "client"})
    write(auth, "account", "north", {"name": "Bolt", "ladder_rung": "prospect"})
    write(auth, "contact", "north", {"account_id": str(a), "deal_role": "champion"})
    due = (clock.now - timedelta(days=2)).date().isoformat()
    write(auth, "task", "north", {"title": "Call", "due_date": due, "done": False})
    write(auth, "lead", "north", {"status": "new", "campaign": "Fair"})
    visit = (clock.now - timedelta(days=3)).isoformat()
    write(auth, "visit_note", "north", {"author": "ana", "check_in_at": visit})
    moved = {"from_rung": "customer", "to_rung": "client", "changed_at": visit}
    write(auth, "ladder_change", "north", moved)
    write(auth, "account", "south", {"name": "Sud", "ladder_rung": "partner"})
    write(auth, "lead", "south", {"status": "new", "campaign": "Web"})
    write(auth, "lead", "south", {"status": "new", "campaign": "Web"})
    down = {"from_rung": "partner", "to_rung": "advocate", "changed_at": visit}
    write(auth, "ladder_change", "south", down)


def rows(page: str) -> dict[str, list[str]]:
    """The reps table: rep name -> its cells' text."""
    table = page.split('<table class="reps">', 1)[1]
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [
            re.sub(r"<[^>]+>", " ", c).split()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        texts = [" ".join(c) for c in cells]
        found[texts[0].split()[0]] = texts
    return found


def named(page: str, *words: str) -> bool:
    """Whether the page names any of these words (whole words: "ana" is not in "manage")."""
    return any(re.search(rf"\b{re.escape(word)}\b", page) for word in words)


def chart(page: str, chart_id: str) -> dict[str, Any]:
    block = re.search(
        rf'<script type="application/json" id="{chart_id}">(.*?)</script>', page, re.S
    )
    assert block is not None, chart_id
    parsed: dict[str, Any] = json.loads(block.group(1))
    return parsed


def test_a_manager_sees_their_territorys_reps_and_never_another(
    console_auth: AuthService, console_url: str, clock: Clock
) -> None:
    fill(console_auth, clock)
    with signed_in(console_url, MANAGER, PASSWORD) as maya:
        page = maya.get("/console/team")
    assert page.status_code == 200 and strict_policy(page)
    table = rows(page.text)
    assert list(table) == ["ana"]
    assert not named(page.text, "ben", "south")
    # Rep and territories, key contacts, profiled, completeness, visits, overdue, leads, sync.
    assert table["ana"][:3] == ["ana north", "1", "0 (0%)"]
    assert table["ana"][4:8] == ["1", "1", "1", "never"]
    accounts = chart(page.text, "ladder-accounts")
    assert accounts["labels"][:3] == ["Prospect", "Customer", "Client"]
    assert accounts["datasets"][0]["data"] == [1, 0, 1, 0, 0, 0]  # not south's partner
    moves = chart(page.text, "ladder-moves")
    assert [d["data"] for d in moves["datasets"]] == [[0, 0, 1, 0, 0, 0], [0] * 6]


def test_an_admin_sees_every_rep_and_the_whole_ladder(
    console_auth: AuthService, console_url: str, clock: Clock
) -> None:
    fill(console_auth, clock)
    with signed_in(console_url, ADMIN, PASSWORD) as ada:
        page = ada.get("/console/team")
    assert page.status_code == 200
    table = rows(page.text)
    assert list(table)[:2] == ["ana", "ben"]  # then the footer's "All 2 reps"
    assert table["ben"][0] == "ben south" and table["ben"][6] == "2"
    accounts = chart(page.text, "ladder-accounts")
    assert accounts["datasets"][0]["data"] == [1, 0, 1, 0, 0, 1]
    down = chart(page.text, "ladder-moves")["datasets"][1]["data"]
    assert down == [0, 0, 0, 0, 1, 0]


def test_marketing_and_reps_get_no_team_page(console_url: str, browser: ConsoleBrowser) -> None:
    with signed_in(console_url, MARKETING, PASSWORD) as mark:
        refused = mark.get("/console/team")
    assert refused.status_code == 403 and "Not for your role" in refused.text
    assert not named(refused.text, "ana")
    answer = browser.sign_in("ana", PASSWORD)  # a rep: no console session at all
    assert answer.status_code == 403
    away = browser.get("/console/team")
    assert away.status_code == 303
    assert away.headers["location"] == "/console/login?next=/console/team"


def test_a_manager_given_no_territory_is_told_so(
    console_auth: AuthService, console_url: str, clock: Clock
) -> None:
    fill(console_auth, clock)
    console_auth.add_user("nora", PASSWORD, [], role="manager")
    with signed_in(console_url, "nora", PASSWORD) as nora:
        page = nora.get("/console/team")
    assert page.status_code == 200
    assert "No territory has been given to you yet" in page.text
    assert not named(page.text, "ana", "ben")
    assert chart(page.text, "ladder-accounts")["datasets"][0]["data"] == [0] * 6


def test_a_territory_taken_from_a_manager_leaves_their_page_at_once(
    console_auth: AuthService, console_url: str, clock: Clock
) -> None:
    fill(console_auth, clock)
    with signed_in(console_url, MANAGER, PASSWORD) as maya:
        assert "ana" in rows(maya.get("/console/team").text)
        console_auth.grant(MANAGER, "south")
        assert list(rows(maya.get("/console/team").text))[:2] == ["ana", "ben"]
        console_auth.revoke(MANAGER, "north")
        console_auth.revoke(MANAGER, "south")
        page = maya.get("/console/team")
    assert not named(page.text, "ana", "ben")

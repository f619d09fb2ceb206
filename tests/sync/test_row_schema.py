"""The one row schema every door checks (sync/row_schema.py), built from sync.entities."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.store.row_schema import pulled_problem
from sync.entities import ENTITIES
from sync.protocol import CLIENT_ENTITIES, SNAPSHOT_ORDER
from sync.row_schema import INT64_MAX, INT64_MIN, RowProblem, checked_fields, json_problem

ACCOUNT = {"name": "Acme", "territory": "north"}


def problem(entity: str, fields: dict[str, Any], whole: bool = True) -> str:
    with pytest.raises(RowProblem) as refused:
        checked_fields(entity, fields, whole=whole)
    return str(refused.value)


def test_the_protocols_entities_are_the_specs_in_their_order() -> None:
    assert [e for e in SNAPSHOT_ORDER if e in CLIENT_ENTITIES] == list(ENTITIES)
    assert set(ENTITIES) == CLIENT_ENTITIES


def test_every_entity_has_a_schema_of_its_fields() -> None:
    for entity in ENTITIES:
        with pytest.raises(RowProblem, match="not a field"):
            checked_fields(entity, {"no_such_column": 1}, whole=False)


def test_nul_characters_are_refused_in_text_and_anywhere_in_json() -> None:
    assert "NUL" in problem("account", {**ACCOUNT, "city": "Bonn\x00"})
    details = {"a": [{"b\x00": 1}]}
    activity = {
        "account_id": str(uuid.uuid4()),
        "channel": "sales",
        "type": "call_logged",
        "title": "Call",
        "occurred_at": "2026-01-01T09:00:00+00:00",
    }
    assert "details" in problem("activity", {**activity, "details": details})
    assert json_problem({"a": ["x\x00"]}) is not None


def test_ids_come_back_in_the_protocols_form() -> None:
    account_id = uuid.uuid4()
    fields = {"account_id": str(account_id).upper(), "first_name": "Ada", "last_name": "Lee"}
    assert checked_fields("contact", fields, whole=True)["account_id"] == str(account_id)


def test_an_edit_may_leave_required_fields_out_but_not_null_them() -> None:
    assert checked_fields("account", {"city": None}, whole=False) == {"city": None}
    assert "name" in problem("account", {"name": None}, whole=False)


def test_a_pulled_row_may_carry_fields_a_newer_server_knows() -> None:
    assert pulled_problem("account", {**ACCOUNT, "source_system": "hubspot"}) is None
    assert pulled_problem("wallet", {"anything": 1}) is None  # kept as a remote record
    assert "ladder_rung" in str(pulled_problem("account", {**ACCOUNT, "ladder_rung": "x"}))


def test_a_meeting_is_all_day_or_not_and_an_older_apps_rows_leave_it_out() -> None:
    meeting = {
        "account_id": str(uuid.uuid4()),
        "starts_at": "2025-11-03T23:00:00+00:00",
        "ends_at": "2025-11-04T23:00:00+00:00",
    }
    assert "all_day" not in checked_fields("meeting", meeting, whole=True)
    assert checked_fields("meeting", {**meeting, "all_day": True}, whole=True)["all_day"] is True
    assert "must be true or false" in problem("meeting", {**meeting, "all_day": 1})
    assert pulled_problem("meeting", meeting) is None


@given(st.integers())
def test_integers_fit_64_bits_and_the_columns_own_range(number: int) -> None:
    fields = {**ACCOUNT, "employees": number}
    if 0 <= number <= INT64_MAX:
        assert checked_fields("account", fields, whole=True)["employees"] == number
    else:
        with pytest.raises(RowProblem, match="employees"):
            checked_fields("account", fields, whole=True)
    assert (json_problem(number) is None) == (INT64_MIN <= number <= INT64_MAX)


@given(st.text(max_size=300))
def test_any_text_within_the_column_length_and_without_nul_is_a_name(name: str) -> None:
    fields = {**ACCOUNT, "name": name}
    if "\x00" in name or not name.strip() or len(name) > 200:
        with pytest.raises(RowProblem, match="name"):
            checked_fields("account", fields, whole=True)
    else:
        assert checked_fields("account", fields, whole=True)["name"] == name

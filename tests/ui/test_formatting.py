"""Dates and times as the screens show them."""

from __future__ import annotations

from datetime import datetime, timedelta

from ui.formatting import time_range


def test_a_timed_meeting_shows_its_hours_and_an_all_day_one_its_days() -> None:
    nine = datetime(2026, 11, 24, 9).astimezone()
    assert time_range(nine, nine + timedelta(minutes=45)) == "09:00–09:45"
    midnight = datetime(2026, 11, 24).astimezone()
    assert time_range(midnight, midnight + timedelta(days=1), all_day=True) == "all day"
    assert time_range(midnight, midnight + timedelta(days=3), all_day=True) == "all day, 3 days"

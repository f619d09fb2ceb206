"""Answers that fit a Mackay 66 question's type, for tests that fill profiles."""

from __future__ import annotations

import datetime as dt
from typing import Any

from db.profiles.definition import load_definition

MACKAY = load_definition()


def answer_to(question_id: str) -> Any:
    """An answer that fits the question's type."""
    question = MACKAY.question(question_id)
    match question.type.value:
        case "date":
            return dt.date(1975, 5, 17)
        case "yes_no":
            return "yes"
        case "choice":
            return question.options[0]
        case "list":
            return ["one", "two"]
        case "people":
            return [{"name": "Ada"}]
        case _:
            return f"about {question_id}"

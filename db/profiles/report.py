"""One profile as printable HTML (for the PDF export); sensitive answers only when asked."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from db.dates import day
from db.dto import ContactProfile
from sync.profile_definition import ProfileDefinition, ProfileQuestion, QuestionType

_STYLE = """
body { font-family: sans-serif; font-size: 10pt; color: #1f2d3d; }
h1 { font-size: 18pt; margin-bottom: 0; }
h2 { font-size: 12pt; color: #3b4a5c; border-bottom: 1px solid #c8cdd3; margin-top: 14pt; }
td.q { color: #6b7480; width: 38%; vertical-align: top; padding-right: 8pt; }
td.a { vertical-align: top; }
p.meta { color: #6b7480; }
"""


def format_answer(question: ProfileQuestion | None, value: Any) -> str:
    """An answer as one line of plain text (lists joined, people with age and birthday)."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if question is not None and question.type is QuestionType.DATE and isinstance(value, str):
        try:
            return day(dt.date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, list):
        return "; ".join(_item(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return "" if value is None else str(value)


def _item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    details = [f"born {item['birth_date']}" if item.get("birth_date") else ""]
    details.append(f"age {item['age']}" if item.get("age") not in (None, "") else "")
    details.append(str(item.get("interests") or ""))
    extra = ", ".join(d for d in details if d)
    return f"{item.get('name', '')} ({extra})" if extra else str(item.get("name", ""))


def profile_html(
    profile: ContactProfile, definition: ProfileDefinition, include_sensitive: bool = False
) -> str:
    """The profile's answered questions, section by section, as a small HTML document."""
    who = " · ".join(p for p in (profile.title, profile.account_name) if p)
    parts = [
        f"<html><head><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(profile.name)}</h1>",
        f"<p class='meta'>{escape(who)}"
        f"<br>{definition.title}: {profile.completeness.answered} of "
        f"{profile.completeness.total} questions answered "
        f"({profile.completeness.tier.label.lower()}) · printed {day(dt.date.today())}"
        f"</p>",
    ]
    left_out = 0
    for section in definition.sections:
        rows = []
        for question in section.questions:
            value = profile.answers.get(question.id)
            if value is None:
                continue
            if question.sensitive and not include_sensitive:
                left_out += 1
                continue
            rows.append(
                f"<tr><td class='q'>{escape(question.label)}</td>"
                f"<td class='a'>{escape(format_answer(question, value)).replace(chr(10), '<br>')}"
                "</td></tr>"
            )
        if rows:
            parts.append(
                f"<h2>{escape(section.title)}</h2><table width='100%'>{''.join(rows)}</table>"
            )
    if left_out:
        parts.append(
            f"<p class='meta'>{left_out} sensitive answer{'s' * (left_out != 1)} left out.</p>"
        )
    parts.append("</body></html>")
    return "".join(parts)

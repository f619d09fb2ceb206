"""Profile completeness per rep, for sales managers (who reward reps for knowing customers).

A rep's figure covers the live contacts of the territories they are granted: how many have
any profile answer, and the average share of the definition's questions answered.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Record, User
from sync.profile_definition import ProfileDefinition, load_definition


@dataclass(frozen=True, slots=True)
class RepCompleteness:
    rep: str
    territories: tuple[str, ...]
    contacts: int
    profiled: int  # contacts with at least one answer
    answered: int  # answers to the definition's questions, summed over the contacts
    questions: int

    @property
    def average(self) -> float:
        """Average share of the profile answered per contact, 0.0 to 1.0."""
        return self.answered / (self.contacts * self.questions) if self.contacts else 0.0


def completeness_by_rep(
    session: Session, definition: ProfileDefinition | None = None
) -> list[RepCompleteness]:
    definition = definition or load_definition()
    counted = {q.id for q in definition.questions}
    contacts: dict[str, set[str]] = {}  # territory -> live contact ids
    for record_id, territory in session.execute(
        select(Record.id, Record.territory).where(
            Record.entity == "contact", Record.deleted_at.is_(None)
        )
    ):
        contacts.setdefault(territory, set()).add(str(record_id))
    answers: Counter[str] = Counter()  # contact id -> answered questions
    for data in session.scalars(
        select(Record.data).where(Record.entity == "profile_answer", Record.deleted_at.is_(None))
    ):
        if data.get("question_id") in counted and data.get("value") not in (None, "", []):
            answers[str(data.get("contact_id"))] += 1
    report = []
    for user in session.scalars(select(User).order_by(User.name)):
        names = tuple(sorted(t.name for t in user.territories))
        theirs = set().union(*(contacts.get(name, set()) for name in names))
        report.append(
            RepCompleteness(
                rep=user.name,
                territories=names,
                contacts=len(theirs),
                profiled=sum(1 for c in theirs if answers[c]),
                answered=sum(answers[c] for c in theirs),
                questions=len(counted),
            )
        )
    return report


def format_report(rows: list[RepCompleteness]) -> str:
    header = f"{'rep':<20} {'territories':<24} {'contacts':>9} {'profiled':>9} {'average':>8}"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r.rep:<20} {', '.join(r.territories)[:24]:<24} {r.contacts:>9,} "
            f"{r.profiled:>9,} {r.average:>8.0%}"
        )
    return "\n".join(lines)

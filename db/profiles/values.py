"""Profile answers: checked and normalised by question type, counted, and yearly dates found."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from db.errors import StoreUserError
from db.profiles.definition import (
    AGE_LIMIT,
    EARLIEST_DATE,
    LATEST_DATE,
    LIST_ITEMS_LIMIT,
    LONG_TEXT_LIMIT,
    PEOPLE_LIMIT,
    PERSON_KEYS,
    TEXT_LIMIT,
)
from db.profiles.tiers import ProfileTier, TierRule, from_contact, key
from sync.profile_definition import ProfileDefinition, ProfileQuestion, QuestionType, Recurrence

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YES = frozenset({"yes", "y", "true"})
_NO = frozenset({"no", "n", "false"})

# One person in a `people` answer: name, and optionally birth_date (ISO), age, interests.
Person = dict[str, str | int]
# What the store keeps for one question, ready for json.dumps.
Answer = str | bool | list[str] | list[Person]


class AnswerError(StoreUserError):
    """An answer that does not fit its question; the message says why in plain words."""

    def __init__(self, question: ProfileQuestion, problem: str) -> None:
        super().__init__(f"{question.label}: {problem}")
        self.question_id = question.id


@dataclass(frozen=True, slots=True)
class SectionCompleteness:
    """How many of one section's counted questions have an answer (see db.profiles.tiers:
    the questions the contact record answers are not counted)."""

    section_id: str
    title: str
    answered: int
    total: int


@dataclass(frozen=True, slots=True)
class Completeness:
    """How much of the profile is filled in, overall, section by section and in the key
    questions, and the tier that puts it in (db.profiles.tiers)."""

    answered: int
    total: int
    sections: tuple[SectionCompleteness, ...]
    key_answered: int
    key_total: int
    tier: ProfileTier

    @property
    def fraction(self) -> float:
        """Answered share, 0.0 to 1.0 (0.0 for a definition without questions)."""
        return self.answered / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class RecurringDate:
    """A date that comes back every year (birthday, anniversary), for the reminder list.

    `date` is the original date, year included, so a reminder can say "turns 50".
    """

    question_id: str
    label: str
    kind: Recurrence
    date: dt.date
    person: str | None = None


def normalise_answer(question: ProfileQuestion, raw: object) -> Answer | None:
    """The answer `raw` in the form the store keeps, or None when it says nothing.

    Raises AnswerError, in plain words naming the question, when `raw` does not fit the
    question's type. The message never repeats the value of a sensitive question.
    Normalising a normalised answer gives it back unchanged.
    """
    if raw is None:
        return None
    match question.type:
        case QuestionType.TEXT:
            return _text(question, raw, TEXT_LIMIT)
        case QuestionType.LONG_TEXT:
            return _text(question, raw, LONG_TEXT_LIMIT)
        case QuestionType.DATE:
            day = _date(question, raw)
            return day.isoformat() if day else None
        case QuestionType.YES_NO:
            return _yes_no(question, raw)
        case QuestionType.CHOICE:
            return _choice(question, raw)
        case QuestionType.LIST:
            return _list(question, raw)
        case QuestionType.PEOPLE:
            return _people(question, raw)


def is_answered(value: object) -> bool:
    """Whether a stored value counts as an answer; False (a "no") does, empty text does not."""
    if value is None:
        return False
    if isinstance(value, str | list | tuple | dict):
        return bool(value.strip() if isinstance(value, str) else value)
    return True


def completeness(definition: ProfileDefinition, answers: Mapping[str, Any]) -> Completeness:
    """Answered and total counted questions, overall, per section in the definition's order
    and among the key questions, and the profile's tier.

    Answers to questions the definition does not have (say, from a newer definition) are
    not counted, and are not an error; nor are the questions the contact record answers.
    """

    def answered(questions: tuple[ProfileQuestion, ...]) -> int:
        return sum(is_answered(answers.get(q.id)) for q in questions)

    shown = set(from_contact(definition))
    sections = tuple(
        SectionCompleteness(
            section_id=section.id,
            title=section.title,
            answered=answered(questions),
            total=len(questions),
        )
        for section in definition.sections
        for questions in [tuple(q for q in section.questions if q not in shown)]
    )
    done = sum(s.answered for s in sections)
    key_done = answered(key(definition))
    return Completeness(
        answered=done,
        total=sum(s.total for s in sections),
        sections=sections,
        key_answered=key_done,
        key_total=len(key(definition)),
        tier=TierRule.of(definition).tier(done, key_done),
    )


def recurring_dates(
    definition: ProfileDefinition, answers: Mapping[str, Any]
) -> list[RecurringDate]:
    """Every yearly date in the answers, in the definition's order.

    Covers date questions with `recurs` and each person with a birth date in people
    questions with `recurs`. Values that are not valid dates are skipped, not an error:
    this runs over whatever the store holds.
    """
    found: list[RecurringDate] = []
    for question in definition.questions:
        if question.recurs is None:
            continue
        value = answers.get(question.id)
        if question.type is QuestionType.DATE:
            day = _stored_date(value)
            if day is not None:
                label = question.reminder or question.label
                found.append(RecurringDate(question.id, label, question.recurs, day))
        elif question.type is QuestionType.PEOPLE and isinstance(value, list):
            for person in value:
                if not isinstance(person, Mapping):
                    continue
                name = person.get("name")
                day = _stored_date(person.get("birth_date"))
                if not isinstance(name, str) or day is None:
                    continue
                template = question.reminder or f"{question.label}: {{name}}"
                label = template.replace("{name}", name)
                found.append(RecurringDate(question.id, label, question.recurs, day, name))
    return found


def _stored_date(value: object) -> dt.date | None:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _shown(question: ProfileQuestion, raw: object) -> str:
    """The value for an error message; never the value of a sensitive question."""
    if question.sensitive:
        return "the answer"
    text = str(raw)
    return text if len(text) <= 40 else text[:39] + "…"


def _text(question: ProfileQuestion, raw: object, limit: int) -> str | None:
    if not isinstance(raw, str):
        raise AnswerError(question, "must be text.")
    text = raw.strip()
    if len(text) > limit:
        raise AnswerError(question, f"too long ({len(text):,} characters; at most {limit:,}).")
    return text or None


def _date(question: ProfileQuestion, raw: object, what: str = "") -> dt.date | None:
    prefix = f"{what}: " if what else ""
    if raw is None:
        return None
    if isinstance(raw, dt.datetime):
        # A datetime is a date too; its time and time zone would be silently lost.
        raise AnswerError(question, f"{prefix}give a date without a time.")
    if isinstance(raw, dt.date):
        day = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if not text:
            return None
        try:
            if not _ISO_DATE.fullmatch(text):
                raise ValueError(text)
            day = dt.date.fromisoformat(text)
        except ValueError:
            shown = _shown(question, text)
            raise AnswerError(
                question, f"{prefix}{shown} is not a date (use YYYY-MM-DD)."
            ) from None
    else:
        raise AnswerError(question, f"{prefix}must be a date (YYYY-MM-DD).")
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise AnswerError(
            question,
            f"{prefix}{_shown(question, day.isoformat())} is out of range "
            f"({EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}).",
        )
    return day


def _yes_no(question: ProfileQuestion, raw: object) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        word = raw.strip().casefold()
        if not word:
            return None
        if word in _YES:
            return True
        if word in _NO:
            return False
    raise AnswerError(question, f"{_shown(question, raw)} is not yes or no.")


def _choice(question: ProfileQuestion, raw: object) -> str | None:
    if not isinstance(raw, str):
        raise AnswerError(question, "must be one of the listed answers.")
    text = raw.strip()
    if not text:
        return None
    for option in question.options:
        if option.casefold() == text.casefold():
            return option
    raise AnswerError(
        question,
        f"{_shown(question, text)} is not one of the answers ({', '.join(question.options)}).",
    )


def _items(question: ProfileQuestion, raw: object, limit: int) -> Sequence[object]:
    # A bare string is a sequence too, of characters; refuse it rather than split it.
    if not isinstance(raw, list | tuple):
        raise AnswerError(question, "must be a list.")
    if len(raw) > limit:
        raise AnswerError(question, f"too many entries ({len(raw)}; at most {limit}).")
    return raw


def _list(question: ProfileQuestion, raw: object) -> list[str] | None:
    items: list[str] = []
    for number, item in enumerate(_items(question, raw, LIST_ITEMS_LIMIT), start=1):
        if not isinstance(item, str):
            raise AnswerError(question, f"entry {number} is not text.")
        text = item.strip()
        if len(text) > TEXT_LIMIT:
            raise AnswerError(
                question,
                f"entry {number} is too long ({len(text):,} characters; at most {TEXT_LIMIT:,}).",
            )
        if text and text not in items:
            items.append(text)
    return items or None


def _people(question: ProfileQuestion, raw: object) -> list[Person] | None:
    people: list[Person] = []
    for number, entry in enumerate(_items(question, raw, PEOPLE_LIMIT), start=1):
        person = _person(question, entry, f"entry {number}")
        if person is not None:
            people.append(person)
    return people or None


def _person(question: ProfileQuestion, entry: object, where: str) -> Person | None:
    if not isinstance(entry, Mapping):
        raise AnswerError(question, f"{where} must have a name and optional details.")
    unknown = sorted(str(key) for key in entry if key not in PERSON_KEYS)
    if unknown:
        raise AnswerError(
            question,
            f"{where} has an unknown field {unknown[0]!r} (allowed: {', '.join(PERSON_KEYS)}).",
        )
    name = _person_text(question, entry.get("name"), where, "name", TEXT_LIMIT)
    birth_date = _date(question, entry.get("birth_date"), f"{where}, date of birth")
    age = _age(question, entry.get("age"), where)
    interests = _person_text(question, entry.get("interests"), where, "interests", TEXT_LIMIT)
    if name is None:
        if birth_date is None and age is None and interests is None:
            return None  # a blank row left on the form
        raise AnswerError(question, f"{where} has no name.")
    person: Person = {"name": name}
    if birth_date is not None:
        person["birth_date"] = birth_date.isoformat()
    if age is not None:
        person["age"] = age
    if interests is not None:
        person["interests"] = interests
    return person


def _person_text(
    question: ProfileQuestion, raw: object, where: str, key: str, limit: int
) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise AnswerError(question, f"{where}: {key} must be text.")
    text = raw.strip()
    if len(text) > limit:
        raise AnswerError(
            question, f"{where}: {key} is too long ({len(text):,} characters; at most {limit:,})."
        )
    return text or None


def _age(question: ProfileQuestion, raw: object, where: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return None
        if not text.isascii() or not text.isdigit():
            raise AnswerError(question, f"{where}: age {_shown(question, text)} is not a number.")
        raw = int(text)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise AnswerError(question, f"{where}: age must be a whole number.")
    if not 0 <= raw <= AGE_LIMIT:
        raise AnswerError(question, f"{where}: age {raw} is out of range (0 to {AGE_LIMIT}).")
    return raw

"""The customer profile's questions (Mackay 66 by default), read from TOML and checked.

Shared: the app asks them, the server reads which answers are sensitive.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

PACKAGED_FILE = "mackay66.toml"

# Ids key stored answers, so they stay plain: lower-case ASCII words joined by underscores.
_ID = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_ID_MAX = 64

_TOP_KEYS = {"version", "title", "sections"}
_SECTION_KEYS = {"id", "title", "help", "questions"}
_QUESTION_KEYS = {
    "id",
    "label",
    "help",
    "type",
    "options",
    "sensitive",
    "briefing",
    "recurs",
    "reminder",
}


class DefinitionError(ValueError):
    """A profile definition file that cannot be used; the message names the file and why.

    The app's store raises it as an error the user can fix (a StoreUserError) of its own."""


class QuestionType(StrEnum):
    """How a question is answered, and so how its answer is checked and stored."""

    TEXT = "text"
    LONG_TEXT = "long_text"
    DATE = "date"
    YES_NO = "yes_no"
    CHOICE = "choice"
    PEOPLE = "people"
    LIST = "list"


class Recurrence(StrEnum):
    """What a date that comes back every year stands for, for the reminder list."""

    BIRTHDAY = "birthday"
    ANNIVERSARY = "anniversary"


# Only these types hold dates that can come back every year.
_RECURRING_TYPES = frozenset({QuestionType.DATE, QuestionType.PEOPLE})


@dataclass(frozen=True, slots=True)
class ProfileQuestion:
    """One question of the profile; answers are stored under its `id`."""

    id: str
    section_id: str
    label: str
    help: str
    type: QuestionType
    options: tuple[str, ...] = ()
    sensitive: bool = False
    briefing: bool = False
    recurs: Recurrence | None = None
    # Wording on the reminder list; for people questions "{name}" is each person's name.
    reminder: str | None = None


@dataclass(frozen=True, slots=True)
class ProfileSection:
    """A titled group of questions, shown together on the form."""

    id: str
    title: str
    help: str
    questions: tuple[ProfileQuestion, ...]


@dataclass(frozen=True, slots=True)
class ProfileDefinition:
    """Every section and question of the profile, in the order the form shows them."""

    version: int
    title: str
    sections: tuple[ProfileSection, ...]
    _questions: tuple[ProfileQuestion, ...] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _by_id: Mapping[str, ProfileQuestion] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        questions = tuple(q for section in self.sections for q in section.questions)
        by_id = {q.id: q for q in questions}
        if len(by_id) != len(questions):
            raise ValueError("question ids must be unique")
        object.__setattr__(self, "_questions", questions)
        object.__setattr__(self, "_by_id", MappingProxyType(by_id))

    @property
    def questions(self) -> tuple[ProfileQuestion, ...]:
        """All questions, section by section, in order."""
        return self._questions

    @property
    def by_id(self) -> Mapping[str, ProfileQuestion]:
        """Read-only lookup of questions by id."""
        return self._by_id

    def question(self, question_id: str) -> ProfileQuestion:
        """The question with this id; KeyError if the definition has none."""
        return self._by_id[question_id]

    def get(self, question_id: str) -> ProfileQuestion | None:
        """The question with this id, or None (such as an answer from a newer definition)."""
        return self._by_id.get(question_id)

    def section(self, section_id: str) -> ProfileSection:
        """The section with this id; KeyError if the definition has none."""
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)


def load_definition(path: Path | None = None) -> ProfileDefinition:
    """The profile definition in `path`, or the packaged Mackay 66 when `path` is None.

    Raises DefinitionError, naming the file and the problem, if the file cannot be read or
    breaks a rule (see the comments at the top of resources/mackay66.toml).
    """
    if path is None:
        return _packaged_definition()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read the file ({exc.strerror or exc}).") from exc
    return parse_definition(data, str(path))


@cache
def _packaged_definition() -> ProfileDefinition:
    data = resources.files("resources").joinpath(PACKAGED_FILE).read_bytes()
    return parse_definition(data, PACKAGED_FILE)


def parse_definition(data: bytes | str, name: str = "profile definition") -> ProfileDefinition:
    """Parse and check a definition held in memory; `name` is used in error messages."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise DefinitionError(f"{name}: not a UTF-8 text file ({exc.reason}).") from exc
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{name}: not valid TOML: {exc}.") from exc
    return _Reader(name).definition(document)


class _Reader:
    """Turns a parsed TOML document into a definition, with errors that say where."""

    def __init__(self, name: str) -> None:
        self._name = name

    def fail(self, where: str, problem: str) -> DefinitionError:
        return DefinitionError(f"{self._name}, {where}: {problem}")

    def definition(self, document: Mapping[str, Any]) -> ProfileDefinition:
        self._no_unknown_keys(document, _TOP_KEYS, "top level")
        version = document.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise self.fail("top level", "`version` must be a whole number, 1 or more.")
        title = self._text(document, "title", "top level", default="Customer profile")
        raw_sections = document.get("sections")
        if not isinstance(raw_sections, list) or not raw_sections:
            raise self.fail("top level", "no sections (add at least one [[sections]] table).")

        sections: list[ProfileSection] = []
        section_ids: set[str] = set()
        question_where: dict[str, str] = {}
        for number, raw in enumerate(raw_sections, start=1):
            section = self._section(raw, f"section {number}", question_where)
            if section.id in section_ids:
                raise self.fail(
                    f"section {number}", f"duplicate section id {section.id!r}; ids must be unique."
                )
            section_ids.add(section.id)
            sections.append(section)
        return ProfileDefinition(version=version, title=title, sections=tuple(sections))

    def _section(self, raw: object, where: str, question_where: dict[str, str]) -> ProfileSection:
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a [[sections]] table.")
        section_id = self._id(raw, where)
        where = f"{where} ({section_id})"
        self._no_unknown_keys(raw, _SECTION_KEYS, where)
        title = self._text(raw, "title", where)
        help_text = self._text(raw, "help", where, default="")
        raw_questions = raw.get("questions")
        if not isinstance(raw_questions, list) or not raw_questions:
            raise self.fail(where, "no questions (add [[sections.questions]] tables).")

        questions: list[ProfileQuestion] = []
        for number, raw_question in enumerate(raw_questions, start=1):
            question = self._question(raw_question, section_id, f"{where}, question {number}")
            first = question_where.get(question.id)
            if first is not None:
                raise self.fail(
                    f"{where}, question {number} ({question.id})",
                    f"duplicate question id {question.id!r} (already used in {first}); "
                    "ids must be unique.",
                )
            question_where[question.id] = f"section {section_id!r}, question {number}"
            questions.append(question)
        return ProfileSection(
            id=section_id, title=title, help=help_text, questions=tuple(questions)
        )

    def _question(self, raw: object, section_id: str, where: str) -> ProfileQuestion:
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a [[sections.questions]] table.")
        question_id = self._id(raw, where)
        where = f"{where} ({question_id})"
        self._no_unknown_keys(raw, _QUESTION_KEYS, where)
        label = self._text(raw, "label", where)
        help_text = self._text(raw, "help", where, default="")

        raw_type = raw.get("type")
        known = ", ".join(t.value for t in QuestionType)
        if raw_type is None:
            raise self.fail(where, f"`type` is missing (use one of: {known}).")
        try:
            kind = QuestionType(raw_type)
        except ValueError:
            raise self.fail(where, f"unknown type {raw_type!r} (use one of: {known}).") from None

        options = self._options(raw, kind, where)
        sensitive = self._flag(raw, "sensitive", where)
        briefing = self._flag(raw, "briefing", where)
        recurs = self._recurs(raw, kind, where)
        reminder = self._reminder(raw, kind, recurs, where)
        return ProfileQuestion(
            id=question_id,
            section_id=section_id,
            label=label,
            help=help_text,
            type=kind,
            options=options,
            sensitive=sensitive,
            briefing=briefing,
            recurs=recurs,
            reminder=reminder,
        )

    def _id(self, raw: Mapping[str, Any], where: str) -> str:
        value = raw.get("id")
        if value is None:
            raise self.fail(where, "`id` is missing.")
        if not isinstance(value, str) or not _ID.fullmatch(value) or len(value) > _ID_MAX:
            raise self.fail(
                where,
                f"bad id {value!r}: use lower-case ASCII letters, digits and single underscores, "
                f"starting with a letter (snake_case, at most {_ID_MAX} characters).",
            )
        return value

    def _text(
        self, raw: Mapping[str, Any], key: str, where: str, default: str | None = None
    ) -> str:
        value = raw.get(key)
        if value is None:
            if default is None:
                raise self.fail(where, f"`{key}` is missing.")
            return default
        if not isinstance(value, str):
            raise self.fail(where, f"`{key}` must be text in quotes.")
        value = value.strip()
        if not value and default is None:
            raise self.fail(where, f"`{key}` is empty.")
        return value

    def _flag(self, raw: Mapping[str, Any], key: str, where: str) -> bool:
        value = raw.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(where, f"`{key}` must be true or false (without quotes).")
        return value

    def _options(self, raw: Mapping[str, Any], kind: QuestionType, where: str) -> tuple[str, ...]:
        value = raw.get("options")
        if kind is not QuestionType.CHOICE:
            if value is not None:
                raise self.fail(
                    where,
                    f"`options` given, but only choice questions have them, "
                    f"not {kind.value} questions.",
                )
            return ()
        if value is None or value == []:
            raise self.fail(where, "a choice question needs `options`, a list of answers.")
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(where, "`options` must be a list of non-empty texts in quotes.")
        options = tuple(v.strip() for v in value)
        folded = [o.casefold() for o in options]
        for option in options:
            if folded.count(option.casefold()) > 1:
                raise self.fail(where, f"option {option!r} is listed twice.")
        return options

    def _recurs(self, raw: Mapping[str, Any], kind: QuestionType, where: str) -> Recurrence | None:
        value = raw.get("recurs")
        if value is None:
            return None
        known = ", ".join(r.value for r in Recurrence)
        try:
            recurs = Recurrence(value)
        except ValueError:
            raise self.fail(where, f"unknown `recurs` {value!r} (use one of: {known}).") from None
        if kind not in _RECURRING_TYPES:
            raise self.fail(
                where, f"`recurs` is only for date or people questions, not {kind.value}."
            )
        return recurs

    def _reminder(
        self,
        raw: Mapping[str, Any],
        kind: QuestionType,
        recurs: Recurrence | None,
        where: str,
    ) -> str | None:
        if raw.get("reminder") is None:
            return None
        if recurs is None:
            raise self.fail(where, "`reminder` is only for questions with `recurs`.")
        reminder = self._text(raw, "reminder", where)
        if kind is QuestionType.PEOPLE and "{name}" not in reminder:
            raise self.fail(where, "`reminder` of a people question must contain {name}.")
        return reminder

    def _no_unknown_keys(self, raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(raw) - allowed)
        if unknown:
            # A misspelt `sensitive` would otherwise silently expose special-category data.
            raise self.fail(
                where,
                f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))}).",
            )

"""The profile definition file (Mackay 66), its loader's checks, and answer validation."""

from __future__ import annotations

import datetime as dt
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.errors import StoreUserError
from db.profiles.definition import (
    DefinitionError,
    ProfileDefinition,
    ProfileQuestion,
    QuestionType,
    Recurrence,
    load_definition,
)
from db.profiles.values import (
    AnswerError,
    RecurringDate,
    completeness,
    is_answered,
    normalise_answer,
    recurring_dates,
)

ROOT = Path(__file__).resolve().parents[2]

SECTION_IDS = [
    "customer",
    "education",
    "family",
    "business",
    "interests",
    "lifestyle",
    "relationship",
]


@pytest.fixture(scope="module")
def mackay() -> ProfileDefinition:
    return load_definition()


# --- the packaged definition -----------------------------------------------------------


def test_packaged_file_has_66_questions_in_7_sections(mackay: ProfileDefinition) -> None:
    assert mackay.version >= 1
    assert mackay.title
    assert [s.id for s in mackay.sections] == SECTION_IDS
    assert len(mackay.questions) == 66
    assert sum(len(s.questions) for s in mackay.sections) == 66


def test_packaged_ids_are_unique_and_types_known(mackay: ProfileDefinition) -> None:
    ids = [q.id for q in mackay.questions]
    assert len(set(ids)) == len(ids)
    for section in mackay.sections:
        assert section.title and section.help
        for question in section.questions:
            assert isinstance(question.type, QuestionType)
            assert question.section_id == section.id
            assert question.label and question.help
            assert mackay.question(question.id) is question


def test_packaged_choices_have_options_and_nothing_else_does(mackay: ProfileDefinition) -> None:
    choices = [q for q in mackay.questions if q.type is QuestionType.CHOICE]
    assert choices
    for question in mackay.questions:
        assert bool(question.options) == (question.type is QuestionType.CHOICE), question.id


def test_packaged_sensitive_covers_special_categories(mackay: ProfileDefinition) -> None:
    sensitive = {q.id for q in mackay.questions if q.sensitive}
    assert {
        "health",
        "religion",
        "politics",
        "confidential_notes",
        "drinks_alcohol",
        "smokes",
        "drinking_smoking_notes",
    } <= sensitive
    # Small talk must stay visible.
    assert not {"nickname", "hobbies", "sports_teams", "children"} & sensitive


def test_packaged_briefing_set(mackay: ProfileDefinition) -> None:
    briefing = {q.id for q in mackay.questions if q.briefing}
    assert 12 <= len(briefing) <= 20
    expected = {"nickname", "spouse_name", "children", "hobbies", "topics_to_avoid", "key_problems"}
    assert expected <= briefing
    assert "sports_teams" in briefing
    # Topics to avoid are for the briefing; only the reasons behind them are sensitive.
    assert not mackay.question("topics_to_avoid").sensitive
    # A briefing is read before any call; it must not carry special-category data.
    assert not any(q.briefing and q.sensitive for q in mackay.questions)


def test_packaged_recurring_dates(mackay: ProfileDefinition) -> None:
    recurring = {q.id: q.recurs for q in mackay.questions if q.recurs}
    assert recurring == {
        "birth_date": Recurrence.BIRTHDAY,
        "spouse_birth_date": Recurrence.BIRTHDAY,
        "anniversary": Recurrence.ANNIVERSARY,
        "children": Recurrence.BIRTHDAY,
    }
    assert mackay.question("children").type is QuestionType.PEOPLE


def test_packaged_definition_is_cached(mackay: ProfileDefinition) -> None:
    assert load_definition() is mackay


def test_packaged_file_is_package_data() -> None:
    assert resources.files("resources").joinpath("mackay66.toml").is_file()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "*.toml" in pyproject["tool"]["setuptools"]["package-data"]["*"]


def test_lookup(mackay: ProfileDefinition) -> None:
    assert mackay.get("no_such_question") is None
    assert mackay.by_id["nickname"].section_id == "customer"
    assert mackay.section("family").questions[0].id == "marital_status"
    with pytest.raises(KeyError):
        mackay.question("no_such_question")
    with pytest.raises(KeyError):
        mackay.section("no_such_section")


# --- custom definitions ----------------------------------------------------------------

CUSTOM = """
version = 3
title = "Acme customer profile"

[[sections]]
id = "relationship"
title = "Where we stand"

[[sections.questions]]
id = "key_problems"
label = "Their key problems"
type = "long_text"
briefing = true

[[sections.questions]]
id = "acme_machine_count"
label = "Acme machines on site"
help = "How many of our machines they run."
type = "text"

[[sections]]
id = "customer"
title = "The customer"
help = "Basics."

[[sections.questions]]
id = "birth_date"
label = "Date of birth"
type = "date"
recurs = "birthday"

[[sections.questions]]
id = "preferred_channel"
label = "Preferred channel"
type = "choice"
options = ["Phone", "Email", "Visit"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_custom_definition_keeps_its_order(tmp_path: Path) -> None:
    definition = load_definition(write(tmp_path, CUSTOM))
    assert definition.version == 3
    assert definition.title == "Acme customer profile"
    assert [s.id for s in definition.sections] == ["relationship", "customer"]
    assert [q.id for q in definition.questions] == [
        "key_problems",
        "acme_machine_count",
        "birth_date",
        "preferred_channel",
    ]
    machines = definition.question("acme_machine_count")
    assert machines.section_id == "relationship"
    assert machines.help == "How many of our machines they run."
    assert definition.question("key_problems").help == ""  # help is optional
    assert definition.section("relationship").help == ""
    assert definition.question("preferred_channel").options == ("Phone", "Email", "Visit")


def test_custom_definition_does_not_replace_the_packaged_one(tmp_path: Path) -> None:
    load_definition(write(tmp_path, CUSTOM))
    assert len(load_definition().questions) == 66


MINIMAL = """
version = 1
title = "T"

[[sections]]
id = "one"
title = "One"

[[sections.questions]]
id = "first"
label = "First"
type = "text"
"""


def minimal_with(question_lines: str = "", *, extra: str = "") -> str:
    return MINIMAL + question_lines + extra


MALFORMED: list[tuple[str, str, list[str]]] = [
    ("toml syntax", MINIMAL.replace('title = "T"', "title = T"), ["not valid TOML", "line 3"]),
    ("no version", MINIMAL.replace("version = 1", ""), ["`version`"]),
    ("version text", MINIMAL.replace("version = 1", 'version = "1"'), ["`version`"]),
    ("no sections", 'version = 1\ntitle = "T"\n', ["no sections"]),
    (
        "section without questions",
        minimal_with(extra='\n[[sections]]\nid = "two"\ntitle = "Two"\n'),
        ["section 2 (two)", "no questions"],
    ),
    (
        "duplicate question id",
        minimal_with(
            extra='\n[[sections.questions]]\nid = "first"\nlabel = "Again"\ntype = "text"\n'
        ),
        ["question 2 (first)", "duplicate question id 'first'"],
    ),
    (
        "duplicate question id across sections",
        minimal_with(
            extra='\n[[sections]]\nid = "two"\ntitle = "Two"\n'
            '[[sections.questions]]\nid = "first"\nlabel = "Again"\ntype = "text"\n'
        ),
        ["section 2 (two), question 1 (first)", "duplicate question id", "section 'one'"],
    ),
    (
        "duplicate section id",
        minimal_with(
            extra='\n[[sections]]\nid = "one"\ntitle = "Again"\n'
            '[[sections.questions]]\nid = "second"\nlabel = "Second"\ntype = "text"\n'
        ),
        ["section 2", "duplicate section id 'one'"],
    ),
    ("unknown type", MINIMAL.replace('type = "text"', 'type = "txt"'), ["unknown type 'txt'"]),
    ("missing type", MINIMAL.replace('type = "text"', ""), ["`type` is missing"]),
    (
        "choice without options",
        MINIMAL.replace('type = "text"', 'type = "choice"'),
        ["question 1 (first)", "needs `options`"],
    ),
    (
        "choice with empty options",
        MINIMAL.replace('type = "text"', 'type = "choice"\noptions = []'),
        ["needs `options`"],
    ),
    (
        "choice with a blank option",
        MINIMAL.replace('type = "text"', 'type = "choice"\noptions = ["A", " "]'),
        ["non-empty"],
    ),
    (
        "choice with a repeated option",
        MINIMAL.replace('type = "text"', 'type = "choice"\noptions = ["Yes", "yes"]'),
        ["listed twice"],
    ),
    (
        "options on text",
        MINIMAL.replace('type = "text"', 'type = "text"\noptions = ["A"]'),
        ["only choice questions", "not text"],
    ),
    (
        "recurs on text",
        MINIMAL.replace('type = "text"', 'type = "text"\nrecurs = "birthday"'),
        ["`recurs` is only for date or people", "not text"],
    ),
    (
        "unknown recurs",
        MINIMAL.replace('type = "text"', 'type = "date"\nrecurs = "weekly"'),
        ["unknown `recurs` 'weekly'"],
    ),
    (
        "reminder without recurs",
        MINIMAL.replace('type = "text"', 'type = "date"\nreminder = "Day"'),
        ["only for questions with `recurs`"],
    ),
    (
        "people reminder without name",
        MINIMAL.replace('type = "text"', 'type = "people"\nrecurs = "birthday"\nreminder = "B"'),
        ["{name}"],
    ),
    ("missing label", MINIMAL.replace('label = "First"', ""), ["(first)", "`label` is missing"]),
    ("empty label", MINIMAL.replace('label = "First"', 'label = "  "'), ["`label` is empty"]),
    ("label not text", MINIMAL.replace('label = "First"', "label = 3"), ["`label` must be text"]),
    ("missing section title", MINIMAL.replace('title = "One"', ""), ["`title` is missing"]),
    ("missing id", MINIMAL.replace('id = "first"', ""), ["question 1", "`id` is missing"]),
    ("camelCase id", MINIMAL.replace('id = "first"', 'id = "firstName"'), ["bad id 'firstName'"]),
    ("id with space", MINIMAL.replace('id = "first"', 'id = "first name"'), ["bad id"]),
    ("id with accent", MINIMAL.replace('id = "first"', 'id = "prénom"'), ["bad id", "ASCII"]),
    ("id with digit first", MINIMAL.replace('id = "first"', 'id = "1st"'), ["bad id"]),
    ("id double underscore", MINIMAL.replace('id = "first"', 'id = "a__b"'), ["bad id"]),
    ("id too long", MINIMAL.replace('id = "first"', f'id = "{"a" * 65}"'), ["bad id"]),
    ("bad section id", MINIMAL.replace('id = "one"', 'id = "One"'), ["section 1", "bad id 'One'"]),
    (
        "misspelt flag",
        MINIMAL.replace('type = "text"', 'type = "text"\nsensitiv = true'),
        ["unknown key 'sensitiv'"],
    ),
    (
        "flag as text",
        MINIMAL.replace('type = "text"', 'type = "text"\nsensitive = "yes"'),
        ["`sensitive` must be true or false"],
    ),
    ("unknown top-level key", "colour = 1\n" + MINIMAL, ["top level", "unknown key 'colour'"]),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for _, t, e in MALFORMED], ids=[n for n, _, _ in MALFORMED]
)
def test_malformed_definition_is_refused_in_plain_words(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    for part in expected:
        assert part in message


def test_minimal_definition_is_fine(tmp_path: Path) -> None:
    assert [q.id for q in load_definition(write(tmp_path, MINIMAL)).questions] == ["first"]


def test_missing_or_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="cannot read"):
        load_definition(tmp_path / "nowhere.toml")
    path = tmp_path / "latin1.toml"
    path.write_bytes(MINIMAL.replace("First", "Erst\xe9").encode("latin-1"))
    with pytest.raises(DefinitionError, match="UTF-8"):
        load_definition(path)


def test_definition_error_is_user_fixable() -> None:
    assert issubclass(DefinitionError, StoreUserError)
    assert issubclass(AnswerError, StoreUserError)


# --- answers ---------------------------------------------------------------------------


def question(kind: QuestionType, label: str = "Q", **flags: Any) -> ProfileQuestion:
    return ProfileQuestion(id="q", section_id="s", label=label, help="", type=kind, **flags)


CHOICE = question(QuestionType.CHOICE, options=("Married", "Single"))

GOOD: list[tuple[ProfileQuestion, object, object]] = [
    (question(QuestionType.TEXT), "  Bob  ", "Bob"),
    (question(QuestionType.TEXT), "   ", None),
    (question(QuestionType.TEXT), "", None),
    (question(QuestionType.TEXT), None, None),
    (question(QuestionType.TEXT), "x" * 500, "x" * 500),
    (question(QuestionType.LONG_TEXT), "line one\nline two\n", "line one\nline two"),
    (question(QuestionType.LONG_TEXT), "x" * 20_000, "x" * 20_000),
    (question(QuestionType.DATE), "1980-02-29", "1980-02-29"),
    (question(QuestionType.DATE), " 1975-06-01 ", "1975-06-01"),
    (question(QuestionType.DATE), dt.date(1975, 6, 1), "1975-06-01"),
    (question(QuestionType.DATE), "1900-01-01", "1900-01-01"),
    (question(QuestionType.DATE), "2100-12-31", "2100-12-31"),
    (question(QuestionType.DATE), "", None),
    (question(QuestionType.YES_NO), True, True),
    (question(QuestionType.YES_NO), False, False),
    (question(QuestionType.YES_NO), "Yes", True),
    (question(QuestionType.YES_NO), " no ", False),
    (question(QuestionType.YES_NO), "", None),
    (CHOICE, "Married", "Married"),
    (CHOICE, " single ", "Single"),
    (CHOICE, "", None),
    (question(QuestionType.LIST), [" golf ", "", "  ", "sailing"], ["golf", "sailing"]),
    (question(QuestionType.LIST), ("golf", "golf"), ["golf"]),
    (question(QuestionType.LIST), ["", " "], None),
    (question(QuestionType.LIST), [], None),
    (
        question(QuestionType.PEOPLE),
        [{"name": " Anna ", "birth_date": "2012-05-03", "interests": " riding "}],
        [{"name": "Anna", "birth_date": "2012-05-03", "interests": "riding"}],
    ),
    (
        question(QuestionType.PEOPLE),
        [{"name": "Ben", "age": 7}, {"name": "Cleo", "age": "0", "birth_date": ""}],
        [{"name": "Ben", "age": 7}, {"name": "Cleo", "age": 0}],
    ),
    (
        question(QuestionType.PEOPLE),
        [{"name": "Dora", "birth_date": dt.date(2001, 1, 2), "age": None, "interests": ""}],
        [{"name": "Dora", "birth_date": "2001-01-02"}],
    ),
    (question(QuestionType.PEOPLE), [{"name": "", "interests": " "}], None),  # blank form row
    (question(QuestionType.PEOPLE), [], None),
]


@pytest.mark.parametrize(("q", "raw", "expected"), GOOD)
def test_good_answers_are_normalised(q: ProfileQuestion, raw: object, expected: object) -> None:
    assert normalise_answer(q, raw) == expected
    # And a stored answer comes back unchanged.
    assert normalise_answer(q, expected) == expected


BAD: list[tuple[ProfileQuestion, object, str]] = [
    (question(QuestionType.TEXT, "Nickname"), 42, "Nickname: must be text"),
    (question(QuestionType.TEXT, "Nickname"), "x" * 501, "Nickname: too long (501 characters"),
    (question(QuestionType.LONG_TEXT, "Notes"), "x" * 20_001, "at most 20,000"),
    (
        question(QuestionType.DATE, "Birth date"),
        "31/02/1980",
        "Birth date: 31/02/1980 is not a date (use YYYY-MM-DD)",
    ),
    (question(QuestionType.DATE, "Birth date"), "1980-02-30", "1980-02-30 is not a date"),
    (question(QuestionType.DATE, "Birth date"), "19800215", "is not a date"),
    (question(QuestionType.DATE, "Birth date"), "1899-12-31", "out of range"),
    (question(QuestionType.DATE, "Birth date"), dt.date(2101, 1, 1), "out of range"),
    (question(QuestionType.DATE, "Birth date"), dt.datetime(1980, 1, 1, 12), "without a time"),
    (question(QuestionType.DATE, "Birth date"), 1980, "must be a date"),
    (question(QuestionType.YES_NO, "Smokes"), "maybe", "Smokes: maybe is not yes or no"),
    (question(QuestionType.YES_NO, "Smokes"), 1, "is not yes or no"),
    (CHOICE, "Engaged", "Engaged is not one of the answers (Married, Single)"),
    (CHOICE, 3, "must be one of"),
    (question(QuestionType.LIST, "Hobbies"), "golf", "Hobbies: must be a list"),
    (question(QuestionType.LIST, "Hobbies"), ["golf", 3], "entry 2 is not text"),
    (question(QuestionType.LIST, "Hobbies"), ["x" * 501], "entry 1 is too long"),
    (question(QuestionType.LIST, "Hobbies"), ["x"] * 101, "too many entries"),
    (question(QuestionType.PEOPLE, "Children"), {"name": "Anna"}, "Children: must be a list"),
    (question(QuestionType.PEOPLE, "Children"), ["Anna"], "entry 1 must have a name"),
    (question(QuestionType.PEOPLE, "Children"), [{"age": 4}], "entry 1 has no name"),
    (
        question(QuestionType.PEOPLE, "Children"),
        [{"name": "Anna"}, {"name": "Ben", "shoe_size": 30}],
        "entry 2 has an unknown field 'shoe_size'",
    ),
    (
        question(QuestionType.PEOPLE, "Children"),
        [{"name": "Anna", "birth_date": "03.05.2012"}],
        "entry 1, date of birth: 03.05.2012 is not a date",
    ),
    (question(QuestionType.PEOPLE, "Children"), [{"name": "A", "age": 131}], "out of range"),
    (question(QuestionType.PEOPLE, "Children"), [{"name": "A", "age": -1}], "out of range"),
    (question(QuestionType.PEOPLE, "Children"), [{"name": "A", "age": "six"}], "not a number"),
    (question(QuestionType.PEOPLE, "Children"), [{"name": "A", "age": 6.5}], "whole number"),
    (question(QuestionType.PEOPLE, "Children"), [{"name": "A", "age": True}], "whole number"),
    (question(QuestionType.PEOPLE, "Children"), [{"name": 3}], "name must be text"),
]


@pytest.mark.parametrize(("q", "raw", "expected"), BAD)
def test_bad_answers_are_refused_in_plain_words(
    q: ProfileQuestion, raw: object, expected: str
) -> None:
    with pytest.raises(AnswerError) as caught:
        normalise_answer(q, raw)
    assert expected in str(caught.value)
    assert str(caught.value).startswith(f"{q.label}: ")
    assert caught.value.question_id == q.id


def test_errors_never_repeat_a_sensitive_answer() -> None:
    health = question(QuestionType.YES_NO, "Drinks alcohol", sensitive=True)
    with pytest.raises(AnswerError) as caught:
        normalise_answer(health, "only at weekends")
    assert "weekends" not in str(caught.value)
    faith = question(QuestionType.DATE, "Conversion date", sensitive=True)
    with pytest.raises(AnswerError) as caught:
        normalise_answer(faith, "Easter 1999")
    assert "Easter" not in str(caught.value)


def test_every_packaged_question_accepts_none(mackay: ProfileDefinition) -> None:
    for q in mackay.questions:
        assert normalise_answer(q, None) is None


@pytest.mark.parametrize(
    ("value", "answered"),
    [
        (None, False),
        ("", False),
        ("  ", False),
        ([], False),
        ({}, False),
        (False, True),
        (True, True),
        ("x", True),
        (["x"], True),
        ([{"name": "Anna"}], True),
        (0, True),
    ],
)
def test_is_answered(value: object, answered: bool) -> None:
    assert is_answered(value) is answered


def test_completeness_counts_per_section_and_ignores_unknown_ids(
    mackay: ProfileDefinition,
) -> None:
    answers = {
        "name": "Petra Lang",
        "nickname": "",
        "birth_date": "1971-04-12",
        "smokes": False,
        "children": [{"name": "Anna"}],
        "hobbies": [],
        "added_in_version_9": "something",
    }
    result = completeness(mackay, answers)
    # "name" is the contact record's to answer (db.profiles.tiers.FROM_CONTACT): neither
    # it nor job title and company are counted.
    assert (result.answered, result.total) == (3, 63)
    assert [s.section_id for s in result.sections] == SECTION_IDS
    by_section = {s.section_id: (s.answered, s.total) for s in result.sections}
    assert by_section == {
        "customer": (1, 5),
        "education": (0, 6),
        "family": (1, 7),
        "business": (0, 12),
        "interests": (0, 7),
        "lifestyle": (1, 18),
        "relationship": (0, 8),
    }
    assert result.sections[0].title == "The customer"
    assert result.fraction == pytest.approx(3 / 63)
    assert completeness(mackay, {}).answered == 0


def test_recurring_dates_include_children_with_birth_dates(mackay: ProfileDefinition) -> None:
    answers = {
        "birth_date": "1971-04-12",
        "spouse_birth_date": "1973-09-30",
        "anniversary": "1999-06-19",
        "children": [
            {"name": "Anna", "birth_date": "2005-02-28", "interests": "riding"},
            {"name": "Ben", "age": 12},
            {"name": "Cleo", "birth_date": "2012-11-02"},
        ],
        "hometown": "1971-04-12",  # not a recurring question
        "future_question": "2000-01-01",
    }
    assert recurring_dates(mackay, answers) == [
        RecurringDate("birth_date", "Birthday", Recurrence.BIRTHDAY, dt.date(1971, 4, 12)),
        RecurringDate(
            "spouse_birth_date", "Partner's birthday", Recurrence.BIRTHDAY, dt.date(1973, 9, 30)
        ),
        RecurringDate(
            "anniversary", "Wedding anniversary", Recurrence.ANNIVERSARY, dt.date(1999, 6, 19)
        ),
        RecurringDate(
            "children",
            "Birthday of Anna (child)",
            Recurrence.BIRTHDAY,
            dt.date(2005, 2, 28),
            "Anna",
        ),
        RecurringDate(
            "children",
            "Birthday of Cleo (child)",
            Recurrence.BIRTHDAY,
            dt.date(2012, 11, 2),
            "Cleo",
        ),
    ]


def test_recurring_dates_skip_what_is_not_a_date(mackay: ProfileDefinition) -> None:
    answers = {
        "birth_date": "12.04.1971",
        "anniversary": 1999,
        "children": [{"name": "Anna", "birth_date": "soon"}, "Ben", {"birth_date": "2005-01-01"}],
    }
    assert recurring_dates(mackay, answers) == []
    assert recurring_dates(mackay, {}) == []


def test_recurring_date_label_falls_back_to_the_question_label(tmp_path: Path) -> None:
    text = MINIMAL.replace('type = "text"', 'type = "people"\nrecurs = "birthday"')
    text += '\n[[sections.questions]]\nid = "joined"\nlabel = "Joined the board"\n'
    text += 'type = "date"\nrecurs = "anniversary"\n'
    definition = load_definition(write(tmp_path, text))
    answers = {"first": [{"name": "Eva", "birth_date": "1990-03-01"}], "joined": "2015-07-01"}
    assert [(d.label, d.person) for d in recurring_dates(definition, answers)] == [
        ("First: Eva", "Eva"),
        ("Joined the board", None),
    ]


# --- properties ------------------------------------------------------------------------

LIST_Q = question(QuestionType.LIST)
TEXT_Q = question(QuestionType.TEXT)
LONG_Q = question(QuestionType.LONG_TEXT)
PEOPLE_Q = question(QuestionType.PEOPLE)


@given(st.text(max_size=600))
def test_text_normalising_is_idempotent(raw: str) -> None:
    for q in (TEXT_Q, LONG_Q):
        try:
            once = normalise_answer(q, raw)
        except AnswerError:
            continue
        assert normalise_answer(q, once) == once
        assert once is None or (isinstance(once, str) and once == once.strip() and once)


@given(st.lists(st.text(max_size=40), max_size=30))
def test_list_normalising_is_idempotent(raw: list[str]) -> None:
    once = normalise_answer(LIST_Q, raw)
    assert normalise_answer(LIST_Q, once) == once
    assert once is None or (
        isinstance(once, list) and all(isinstance(i, str) and i and i == i.strip() for i in once)
    )


@given(
    st.lists(
        st.fixed_dictionaries(
            {"name": st.text(max_size=20)},
            optional={
                "birth_date": st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
                "age": st.integers(0, 130),
                "interests": st.text(max_size=30),
            },
        ),
        max_size=5,
    )
)
def test_people_normalising_is_idempotent(raw: list[dict[str, Any]]) -> None:
    try:
        once = normalise_answer(PEOPLE_Q, raw)
    except AnswerError as exc:
        assert "has no name" in str(exc)
        return
    assert normalise_answer(PEOPLE_Q, once) == once

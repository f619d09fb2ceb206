"""Which profile questions count, which of them are key, and the tier a profile is in.

A profile is measured by what the rep has learnt about the person, so the questions the
contact record already answers (see FROM_CONTACT) are shown but never counted: counting
them would start every one of a territory's contacts at 3 answers, and "empty" would mean
nothing. The key questions are the definition's `briefing` ones: what is worth a line in
the pre-call briefing is what matters most before a visit.

The tiers' thresholds are here and nowhere else; every screen explains them with
TierRule.explanation().
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from sync.enums import DealRole
from sync.profile_definition import ProfileDefinition, ProfileQuestion, QuestionType

# Questions the contact record answers, by question id: what the record gives each one.
# The contact's e-mail and phones are not here: "Other ways to reach them" asks for what
# is *not* on the contact card.
FROM_CONTACT: Mapping[str, str] = {
    "name": "the contact's name",
    "job_title": "the contact's title",
    "company": "the account's name",
}

# The tiers' thresholds, as shares of the key questions and of all counted questions
# (rounded up, and at least one question): a profile is useful with a third of the key
# questions answered (6 of Mackay's 16), rich with half of them and a quarter of the whole
# profile besides (8 key and 16 in all). A quarter of the profile was the old "thin" line.
USEFUL_KEY_SHARE = 1 / 3
RICH_KEY_SHARE = 1 / 2
RICH_ALL_SHARE = 1 / 4

_TEXT_TYPES = frozenset({QuestionType.TEXT, QuestionType.LONG_TEXT})

# Key contacts: the people who decide, pay or push the deal inside the account.
KEY_DEAL_ROLES = frozenset({DealRole.DECISION_MAKER, DealRole.ECONOMIC_BUYER, DealRole.CHAMPION})


def is_key_contact(role: DealRole | None) -> bool:
    """Whether a contact with this role in the deal is a key contact."""
    return role in KEY_DEAL_ROLES


def key_contacts_explained() -> str:
    """What a key contact is, in a sentence for a tooltip."""
    roles = sorted(role.label.lower() for role in KEY_DEAL_ROLES)
    return (
        f"Key contacts are those whose role in the deal is {', '.join(roles[:-1])} or "
        f"{roles[-1]} (set on the contact)."
    )


def from_contact(definition: ProfileDefinition) -> tuple[ProfileQuestion, ...]:
    """The definition's questions the contact record answers, in the definition's order
    (text questions only: a copy of the definition may have given an id another type)."""
    return tuple(q for q in definition.questions if q.id in FROM_CONTACT and q.type in _TEXT_TYPES)


def contact_values(
    definition: ProfileDefinition, *, name: str, title: str | None, account_name: str
) -> dict[str, str]:
    """What the contact record says to each of the definition's FROM_CONTACT questions
    ("" where the record says nothing, such as a contact without a title)."""
    record = {"name": name, "job_title": title or "", "company": account_name}
    return {q.id: record[q.id] for q in from_contact(definition)}


def counted(definition: ProfileDefinition) -> tuple[ProfileQuestion, ...]:
    """The questions a profile's completeness is counted on: all but from_contact()'s."""
    shown = set(from_contact(definition))
    return tuple(q for q in definition.questions if q not in shown)


def key(definition: ProfileDefinition) -> tuple[ProfileQuestion, ...]:
    """The counted questions that matter most before a visit: the briefing ones, or every
    counted question in a definition that marks none."""
    questions = counted(definition)
    return tuple(q for q in questions if q.briefing) or questions


class ProfileTier(StrEnum):
    """How far a profile has come, from nothing known to knowing the person well."""

    EMPTY = "empty"
    STARTED = "started"
    USEFUL = "useful"
    RICH = "rich"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def rank(self) -> int:
        """0 for empty up to 3 for rich, for sorting."""
        return list(ProfileTier).index(self)


class CompletenessSort(StrEnum):
    """What the territory's profile list is sorted by (ProfileBook.completeness_page)."""

    ACCOUNT = "account"
    CONTACT = "contact"
    ROLE = "role"
    TIER = "tier"  # then key answers, then answers: emptiest first
    KEY_ANSWERED = "key_answered"
    ANSWERED = "answered"


@dataclass(frozen=True, slots=True)
class TierRule:
    """The tiers' thresholds for one definition, in questions."""

    total: int  # counted questions
    key_total: int
    useful_key: int  # key answers that make a profile useful
    rich_key: int  # key answers, and
    rich_all: int  # answers in all, that make it rich
    not_counted: tuple[str, ...] = ()  # labels of the questions the contact record answers

    @classmethod
    def of(cls, definition: ProfileDefinition) -> TierRule:
        total, key_total = len(counted(definition)), len(key(definition))
        return cls(
            total=total,
            key_total=key_total,
            useful_key=_share(key_total, USEFUL_KEY_SHARE),
            rich_key=_share(key_total, RICH_KEY_SHARE),
            rich_all=_share(total, RICH_ALL_SHARE),
            not_counted=tuple(q.label for q in from_contact(definition)),
        )

    def tier(self, answered: int, key_answered: int) -> ProfileTier:
        """The tier of a profile with `answered` counted answers, `key_answered` of them to
        key questions."""
        if answered <= 0:
            return ProfileTier.EMPTY
        if key_answered >= self.rich_key and answered >= self.rich_all:
            return ProfileTier.RICH
        if key_answered >= self.useful_key:
            return ProfileTier.USEFUL
        return ProfileTier.STARTED

    def explanation(self) -> str:
        """The tiers in plain words, one line each, for a tooltip."""
        lines = [
            f"Key questions: the {self.key_total} worth knowing before a visit "
            "(those that go into the pre-call briefing).",
            "Empty: nothing answered yet.",
            f"Started: some answers, fewer than {self.useful_key} of them to key questions.",
            f"Useful: at least {self.useful_key} key questions answered.",
            f"Rich: at least {self.rich_key} key questions and {self.rich_all} of all "
            f"{self.total} answered.",
        ]
        if self.not_counted:
            quoted = [f"“{label}”" for label in self.not_counted]
            if len(quoted) == 1:
                lines.append(f"{quoted[0]} comes from the contact record and is not counted.")
            else:
                listed = f"{', '.join(quoted[:-1])} and {quoted[-1]}"
                lines.append(f"{listed} come from the contact record and are not counted.")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class TerritoryProfileRow:
    """One contact on the territory's profile list: their counted answers (`answered` of
    `total`), their key answers, and the tier that puts them in."""

    contact_id: uuid.UUID
    contact_name: str
    title: str | None
    deal_role: DealRole | None
    account_name: str
    answered: int
    total: int
    key_answered: int
    key_total: int
    tier: ProfileTier

    @property
    def key_contact(self) -> bool:
        """Whether their role in the deal makes them a key contact."""
        return is_key_contact(self.deal_role)


def _share(count: int, share: float) -> int:
    return max(1, math.ceil(count * share)) if count else 0

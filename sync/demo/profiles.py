"""Customer-profile answers for the demo territory: what a rep who got to know some key
contacts would have written down (birthdays, family, interests, what troubles them)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

# Share of accounts whose first contact has a profile, and how thoroughly it is filled.
PROFILED_SHARE = 0.4
UNIVERSITIES = (
    "TU München", "RWTH Aachen", "Universität Hamburg", "Sorbonne Université", "TU Delft",
    "KU Leuven", "Politecnico di Milano", "Universidad Complutense", "University of Leeds",
    "WU Wien", "ETH Zürich", "Uppsala universitet",
)  # fmt: skip
HOBBIES = (
    "sailing", "road cycling", "chess", "golf", "marathon running", "jazz piano",
    "woodworking", "birdwatching", "photography", "skiing", "gardening", "cooking",
    "tennis", "classic cars", "hiking", "choir singing",
)  # fmt: skip
TEAMS = (
    "HSV", "FC Bayern", "FC St. Pauli", "Ajax", "PSV", "Olympique Lyonnais", "Real Betis",
    "Juventus", "Rapid Wien", "Leeds United", "Club Brugge",
)  # fmt: skip
DISHES = (
    "Wiener Schnitzel", "bouillabaisse", "risotto ai funghi", "sushi", "steak frites",
    "paella", "Labskaus", "vegetarian curry", "grilled sea bass", "ramen",
)  # fmt: skip
RESTAURANTS = (
    "Zum Goldenen Anker", "Brasserie du Port", "Trattoria da Nino", "Casa Lola",
    "De Kas", "Fischereihafen", "Tiger Lilly", "Le Petit Zinc",
)  # fmt: skip
CARS = ("Volvo V90", "Audi A6 Avant", "Tesla Model 3", "BMW 3 Touring", "VW ID.4", "Skoda Superb")
TOPICS = (
    "the 2024 reorganisation", "their former employer", "football on Monday mornings",
    "the failed ERP project",
)  # fmt: skip
CONVERSATION = (
    "their daughter's rowing", "the new plant in Poland", "wine from the Pfalz",
    "electric trucks", "the last trade fair", "mountain huts", "vinyl records",
)  # fmt: skip
PROBLEMS = (
    "Freight costs up 18% this year; the board wants them back down.",
    "Too many suppliers: wants to consolidate to three by next spring.",
    "Lost two planners; the team is overloaded until the new hires start.",
    "Audit found gaps in supplier certificates; must be fixed by Q2.",
    "New ERP goes live in March; worried about cut-over disruption.",
)
COMPETITOR = (
    "Uses a competitor for the southern sites; not happy with their response times.",
    "Had a bad experience with our competitor's billing; open to switching.",
    "Competitor is cheaper but seen as inflexible.",
    "Competitor's account manager is an old friend of theirs: tread carefully.",
)


def profile_answers(
    rng: random.Random, firsts: Sequence[str], last: str, today: date
) -> dict[str, Any]:
    """One key contact's answers, by question id, in stored form (see db.profiles.values)."""
    answers: dict[str, Any] = {}

    def maybe(share: float, question: str, value: Any) -> None:
        if rng.random() < share:
            answers[question] = value

    born = _day(rng, today.year - 62, today.year - 30)
    answers["birth_date"] = born.isoformat()
    maybe(0.5, "university", rng.choice(UNIVERSITIES))
    status = rng.choices(("Married", "Living with a partner", "Single"), weights=(6, 2, 2))[0]
    answers["marital_status"] = status
    if status != "Single":
        answers["spouse_name"] = f"{rng.choice(firsts)} {last}"
        maybe(0.6, "spouse_birth_date", _day(rng, born.year - 4, born.year + 4).isoformat())
        if status == "Married":
            maybe(0.6, "anniversary", _day(rng, born.year + 24, today.year - 1).isoformat())
        children = [
            {
                "name": rng.choice(firsts),
                "birth_date": _day(
                    rng, born.year + 26, min(born.year + 42, today.year)
                ).isoformat(),
                "interests": rng.choice(HOBBIES),
            }
            for _ in range(rng.choices((0, 1, 2, 3), weights=(2, 3, 4, 1))[0])
        ]
        if children:
            answers["children"] = children
    answers["hobbies"] = rng.sample(HOBBIES, rng.randint(1, 3))
    maybe(0.4, "sports_teams", [rng.choice(TEAMS)])
    maybe(0.4, "favourite_restaurants", rng.sample(RESTAURANTS, rng.randint(1, 2)))
    maybe(0.4, "favourite_dishes", rng.sample(DISHES, rng.randint(1, 2)))
    maybe(0.5, "accepts_hospitality", rng.random() < 0.7)
    maybe(0.3, "car", rng.choice(CARS))
    maybe(0.5, "conversation_topics", rng.sample(CONVERSATION, rng.randint(1, 2)))
    maybe(0.2, "topics_to_avoid", [rng.choice(TOPICS)])
    maybe(0.6, "key_problems", rng.choice(PROBLEMS))
    maybe(0.4, "competitor_standing", rng.choice(COMPETITOR))
    return answers


def _day(rng: random.Random, first_year: int, last_year: int) -> date:
    start = date(first_year, 1, 1)
    return start + timedelta(days=rng.randrange((date(last_year, 12, 31) - start).days + 1))


def profile_rng(contact_id: uuid.UUID) -> random.Random:
    """A source of its own per contact: profiles never shift the rest of the territory."""
    return random.Random(contact_id.int)


# Marketing's leads in the demo: a few accounts have one waiting for the rep.
LEAD_SHARE = 0.06
LEAD_CAMPAIGNS = (
    "Webinar: automating your warehouse", "Cold chain guide download", "Pricing page revisit",
    "Trade fair Hamburg 2026", "Winter offer newsletter",
)  # fmt: skip


def lead_fields(rng: random.Random) -> dict[str, Any] | None:
    """A lead for one account (campaign, score, status), or None for most accounts."""
    if rng.random() >= LEAD_SHARE:
        return None
    status = rng.choices(("new", "accepted"), weights=(3, 1))[0]
    return {
        "campaign": rng.choice(LEAD_CAMPAIGNS),
        "source_system": "hubspot",
        "score": rng.randint(35, 95),
        "status": status,
        "days_ago": rng.uniform(0.5, 20),
    }

"""The sales managers' page of the web console: per-rep figures and the ladder."""
# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from server.auth import AuthService
from server.console.moments import ago, iso, utc_minute
from server.console.sessions import ConsoleUser, signed_in
from server.console.team_data import VISIT_DAYS, Scope, TeamFigures, team_figures
from server.console.templates import render
from server.roles import ADMIN, MANAGER
from server.store import ServerStore

# A rep whose laptop has not been in touch for this long is marked on the page: their
# figures may lag behind what they did.
STALE_SYNC = timedelta(days=7)


def scope_of(user: ConsoleUser) -> Scope:
    """The territories a console user's figures cover (None: all of them)."""
    return Scope(None if user.territories is None else frozenset(user.territories))


def add_team_pages(router: APIRouter, store: ServerStore, auth: AuthService) -> None:
    """Adds /console/team to the console's router: managers see the reps of the territories
    given to them, admins every rep."""
    managers = signed_in(store, auth, MANAGER, ADMIN)

    @router.get("/console/team")
    def team_page(request: Request, user: Annotated[ConsoleUser, Depends(managers)]) -> Response:
        """Per rep: key contacts' profiles, visits, overdue follow-ups, waiting leads, last
        sync; and the ladder with this quarter's moves."""
        now = auth.clock()
        with store.session() as session:
            figures = team_figures(session, scope_of(user), now)
        context = _context(figures, user, now)
        return render(request, "team/team.html", context, user)


def _context(figures: TeamFigures, user: ConsoleUser, now: Any) -> dict[str, Any]:
    reps = [
        {
            "name": r.rep,
            "disabled": r.disabled,
            "territories": ", ".join(r.territories) or "none",
            "key_contacts": r.key_contacts,
            "key_profiled": r.key_profiled,
            "completeness": r.completeness,
            "visits": r.visits,
            "overdue": r.overdue,
            "leads_waiting": r.leads_waiting,
            "last_sync": ago(now, r.last_sync),
            "last_sync_at": utc_minute(r.last_sync, ""),
            "last_sync_iso": iso(r.last_sync),
            "stale": r.last_sync is None or now - r.last_sync > STALE_SYNC,
        }
        for r in figures.reps
    ]
    totals = {
        "key_contacts": sum(r.key_contacts for r in figures.reps),
        "key_profiled": sum(r.key_profiled for r in figures.reps),
        "visits": sum(r.visits for r in figures.reps),
        "overdue": sum(r.overdue for r in figures.reps),
        "leads_waiting": sum(r.leads_waiting for r in figures.reps),
    }
    labels = [r.rung.label for r in figures.ladder]
    accounts_chart = {
        "labels": labels,
        "datasets": [{"label": "Accounts", "data": [r.accounts for r in figures.ladder]}],
    }
    moves_chart = {
        "labels": labels,
        "datasets": [
            {"label": "Moved up onto", "data": [r.moved_up for r in figures.ladder]},
            {
                "label": "Moved down onto",
                "data": [r.moved_down for r in figures.ladder],
                "color": "#d55e00",
            },
        ],
    }
    quarter = figures.quarter_start
    return {
        "reps": reps,
        "totals": totals,
        "ladder": figures.ladder,
        "accounts_total": sum(r.accounts for r in figures.ladder),
        "moved_up": figures.moved_up,
        "moved_down": figures.moved_down,
        "accounts_chart": accounts_chart,
        "moves_chart": moves_chart,
        "quarter": f"Q{(quarter.month - 1) // 3 + 1} {quarter.year}",
        "quarter_start": quarter.isoformat(),
        "visit_days": VISIT_DAYS,
        "every_territory": user.territories is None,
        "territories": ", ".join(user.territories or ()),
        "no_territory": user.territories is not None and not user.territories,
    }

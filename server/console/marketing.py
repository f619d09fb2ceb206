"""Marketing's pages of the console: lead feedback per campaign, the leads, the holds."""
# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response

from server.auth import AuthService
from server.console.lead_report import (
    CAMPAIGN_CHARS,
    LeadFilter,
    campaign_feedback,
    campaign_leads,
    feedback_csv,
    leads_csv,
    parse_filter,
    reason_label,
    territory_names,
    total,
)
from server.console.sessions import ConsoleUser, signed_in
from server.console.templates import render
from server.errors import BadRequest
from server.marketing import CampaignFeedback, suppressions
from server.roles import ADMIN, MARKETING
from server.store import ServerStore

FUNNEL_CAMPAIGNS = 15  # the chart's bars; every campaign is in the table
LEADS_SHOWN = 1000  # a campaign's leads on its page; the CSV has them all
Since = Annotated[str | None, Query(alias="from", max_length=40)]
Until = Annotated[str | None, Query(alias="to", max_length=40)]
TerritoryName = Annotated[str | None, Query(max_length=100)]
Campaign = Annotated[str, Query(min_length=1, max_length=CAMPAIGN_CHARS)]


def add_marketing_pages(router: APIRouter, store: ServerStore, auth: AuthService) -> None:
    """Adds /console/leads (its CSV, a campaign's leads and their CSV) and /console/holds."""
    marketing = signed_in(store, auth, MARKETING, ADMIN)
    Marketer = Annotated[ConsoleUser, Depends(marketing)]

    @router.get("/console/leads")
    def leads_page(
        request: Request,
        user: Marketer,
        since: Since = None,
        until: Until = None,
        territory: TerritoryName = None,
    ) -> Response:
        """Per campaign: handed over, accepted, rejected by reason, won, lost, no decision;
        a funnel chart; filters by the day handed over and the territory."""
        form = {"from": since or "", "to": until or "", "territory": territory or ""}
        with store.session() as session:
            territories = territory_names(session)
            try:
                where = parse_filter(session, since, until, territory)
            except BadRequest as bad:
                context = _leads_context([], LeadFilter(), territories, form) | {
                    "error": bad.message
                }
                return render(request, "marketing/leads.html", context, user, status_code=400)
            campaigns = campaign_feedback(session, where)
        context = _leads_context(campaigns, where, territories, form)
        return render(request, "marketing/leads.html", context, user)

    @router.get("/console/leads.csv")
    def leads_csv_download(
        user: Marketer, since: Since = None, until: Until = None, territory: TerritoryName = None
    ) -> Response:
        """The table as CSV: the API's columns, cells a spreadsheet would run defused."""
        with store.session() as session:
            where = parse_filter(session, since, until, territory)
            text = feedback_csv(campaign_feedback(session, where))
        return _csv(text, f"lead-feedback{_suffix(where)}.csv")

    @router.get("/console/leads/campaign")
    def campaign_page(
        request: Request,
        user: Marketer,
        campaign: Campaign,
        since: Since = None,
        until: Until = None,
        territory: TerritoryName = None,
    ) -> Response:
        """One campaign's leads (newest first) with what each rep decided and why."""
        with store.session() as session:
            where = parse_filter(session, since, until, territory)
            feedback, lines = campaign_leads(session, campaign, where)
        query = _query(where)
        context = {
            "campaign": campaign,
            "feedback": feedback,
            "lines": lines[:LEADS_SHOWN],
            "count": len(lines),
            "shown": LEADS_SHOWN,
            "filter_text": _filter_text(where),
            "back_href": "/console/leads" + (f"?{query}" if query else ""),
            "csv_href": "/console/leads/campaign.csv?"
            + urlencode({"campaign": campaign} | _params(where)),
        }
        return render(request, "marketing/campaign.html", context, user)

    @router.get("/console/leads/campaign.csv")
    def campaign_csv(
        user: Marketer,
        campaign: Campaign,
        since: Since = None,
        until: Until = None,
        territory: TerritoryName = None,
    ) -> Response:
        with store.session() as session:
            where = parse_filter(session, since, until, territory)
            text = leads_csv(campaign_leads(session, campaign, where)[1])
        return _csv(text, f"leads{_suffix(where)}.csv")

    @router.get("/console/holds")
    def holds_page(request: Request, user: Marketer) -> Response:
        """Contacts reps asked marketing to leave alone, still running today: who asked,
        until when, for which campaign (the API's suppression list)."""
        today = auth.clock().date()
        with store.session() as session:
            listed = suppressions(session, today)
        context = {"today": today, "holds": listed.suppressions}
        return render(request, "marketing/holds.html", context, user)


def _leads_context(
    campaigns: list[CampaignFeedback],
    where: LeadFilter,
    territories: list[str],
    form: dict[str, str],
) -> dict[str, Any]:
    summed = total(campaigns)
    busiest = campaigns[:FUNNEL_CAMPAIGNS]
    funnel = {
        "horizontal": True,
        "labels": [c.campaign for c in busiest],
        "datasets": [
            {"label": "Handed over", "data": [c.handed_over for c in busiest]},
            {"label": "Accepted", "data": [c.accepted for c in busiest]},
            {"label": "Won", "data": [c.won for c in busiest]},
        ],
    }
    reasons = [(reason_label(r), n) for r, n in summed.reject_reasons.most_common()]
    reason_chart = {
        "horizontal": True,
        "stacked": True,
        "labels": [label for label, _n in reasons],
        "datasets": [
            {"label": "Leads rejected", "data": [n for _l, n in reasons], "color": "#d55e00"}
        ],
    }
    query = _query(where)
    return {
        "campaigns": [
            {
                "feedback": c,
                "reasons": [(reason_label(r), n) for r, n in c.reject_reasons.most_common()],
                "href": "/console/leads/campaign?"
                + urlencode({"campaign": c.campaign} | _params(where)),
            }
            for c in campaigns
        ],
        "summed": summed,
        "funnel": funnel,
        "funnel_cut": len(campaigns) > FUNNEL_CAMPAIGNS,
        "funnel_size": FUNNEL_CAMPAIGNS,
        "reasons": reasons,
        "reason_chart": reason_chart,
        "territories": territories,
        "form": form,
        "filter_text": _filter_text(where),
        "csv_href": "/console/leads.csv" + (f"?{query}" if query else ""),
        "error": None,
    }


def _params(where: LeadFilter) -> dict[str, str]:
    params = {}
    if where.since is not None:
        params["from"] = where.since.isoformat()
    if where.until is not None:
        params["to"] = where.until.isoformat()
    if where.territory is not None:
        params["territory"] = where.territory
    return params


def _query(where: LeadFilter) -> str:
    return urlencode(_params(where))


def _filter_text(where: LeadFilter) -> str:
    """The filter in words, for the page's heading."""
    parts = []
    if where.since and where.until:
        parts.append(f"handed over {_day(where.since)} to {_day(where.until)}")
    elif where.since:
        parts.append(f"handed over from {_day(where.since)}")
    elif where.until:
        parts.append(f"handed over until {_day(where.until)}")
    parts.append(f"territory {where.territory}" if where.territory else "every territory")
    return ", ".join(parts)


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _suffix(where: LeadFilter) -> str:
    parts = [value for value in _params(where).values()]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in "_".join(parts))
    return f"-{safe[:80]}" if safe else ""


def _csv(text: str, filename: str) -> Response:
    return Response(
        content=text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )

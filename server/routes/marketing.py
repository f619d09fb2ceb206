"""Marketing reads back with its API key: the reps' lead feedback and their holds."""
# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from server.auth import Clock
from server.ingest import ApiKeys
from server.marketing import (
    LeadFeedbackReport,
    SuppressionList,
    feedback_csv,
    feedback_report,
    suppressions,
)
from server.routes.deps import api_key_source
from server.store import ServerStore
from sync.protocol import PREFIX


def add_marketing_routes(
    router: APIRouter, store: ServerStore, keys: ApiKeys, clock: Clock
) -> None:
    """Adds the routes marketing reads by to `router`, over the store and the API keys."""
    calling_system = api_key_source(keys)

    @router.get(f"{PREFIX}/marketing/lead-feedback", response_model=LeadFeedbackReport)
    def lead_feedback(_source: Annotated[str, Depends(calling_system)]) -> LeadFeedbackReport:
        """Per campaign: leads handed over, accepted and rejected (with the reasons), and
        how the accepted ones ended."""
        with store.session() as session:
            return feedback_report(session)

    @router.get(
        f"{PREFIX}/marketing/lead-feedback.csv",
        response_class=Response,
        responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    )
    def lead_feedback_csv(_source: Annotated[str, Depends(calling_system)]) -> Response:
        """The same as CSV, a row per campaign."""
        with store.session() as session:
            text = feedback_csv(session)
        return Response(content=text, media_type="text/csv; charset=utf-8")

    @router.get(f"{PREFIX}/marketing/suppressions", response_model=SuppressionList)
    def suppression_list(_source: Annotated[str, Depends(calling_system)]) -> SuppressionList:
        """Contacts reps asked marketing to leave alone (a campaign or all), until when."""
        with store.session() as session:
            return suppressions(session, clock().date())

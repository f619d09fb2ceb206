"""Fixed vocabularies of synced records (ladder rungs, channels, roles), shared by both sides."""

from __future__ import annotations

from enum import StrEnum


class LadderRung(StrEnum):
    """Where a customer stands on the relationship ladder, lowest first."""

    PROSPECT = "prospect"
    CUSTOMER = "customer"
    CLIENT = "client"
    SUPPORTER = "supporter"
    ADVOCATE = "advocate"
    PARTNER = "partner"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def step(self) -> int:
        """1 for prospect up to 6 for partner."""
        return list(LadderRung).index(self) + 1


class Channel(StrEnum):
    """Which part of the company an activity comes from."""

    MARKETING = "marketing"
    SERVICE = "service"
    BILLING = "billing"
    SALES = "sales"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ActivityType(StrEnum):
    """Activity types the app knows; the store keeps unknown types from newer sources as text."""

    WEBINAR_REGISTERED = "webinar_registered"
    WEBINAR_ATTENDED = "webinar_attended"
    EMAIL_SENT = "email_sent"
    EMAIL_OPENED = "email_opened"
    EMAIL_CLICKED = "email_clicked"
    PAGE_VISIT = "page_visit"
    CONTENT_DOWNLOAD = "content_download"
    FORM_FILL = "form_fill"
    TICKET_OPENED = "ticket_opened"
    TICKET_CLOSED = "ticket_closed"
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_RESOLVED = "dispute_resolved"
    NPS_RESPONSE = "nps_response"
    INVOICE_ISSUED = "invoice_issued"
    INVOICE_PAID = "invoice_paid"
    INVOICE_OVERDUE = "invoice_overdue"
    CREDIT_HOLD = "credit_hold"
    MEETING_HELD = "meeting_held"
    CALL_LOGGED = "call_logged"


class DealRole(StrEnum):
    """A contact's part in the buying decision."""

    DECISION_MAKER = "decision_maker"
    ECONOMIC_BUYER = "economic_buyer"
    CHAMPION = "champion"
    INFLUENCER = "influencer"
    TECHNICAL_EVALUATOR = "technical_evaluator"
    USER = "user"
    GATEKEEPER = "gatekeeper"
    BLOCKER = "blocker"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class TeamRole(StrEnum):
    """How a colleague in our company touches an account."""

    MARKETING_OWNER = "marketing_owner"
    SERVICE_REP = "service_rep"
    BILLING_CONTACT = "billing_contact"
    PARTNER_MANAGER = "partner_manager"
    SOLUTIONS_ENGINEER = "solutions_engineer"
    EXECUTIVE_SPONSOR = "executive_sponsor"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class LeadStatus(StrEnum):
    """Where a lead from marketing stands with the rep."""

    NEW = "new"
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class RejectReason(StrEnum):
    """Why a rep turns a lead down: a fixed list, so marketing can count them."""

    NOT_DECISION_MAKER = "not_decision_maker"
    NO_BUDGET = "no_budget"
    NO_NEED = "no_need"
    BAD_TIMING = "bad_timing"
    EXISTING_CUSTOMER = "existing_customer"
    COMPETITOR_CUSTOMER = "competitor_customer"
    WRONG_CONTACT_DATA = "wrong_contact_data"
    DUPLICATE = "duplicate"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "not_decision_maker": "Not a decision maker",
            "no_budget": "No budget",
            "no_need": "No need",
            "bad_timing": "Bad timing",
            "existing_customer": "Already a customer",
            "competitor_customer": "Tied to a competitor",
            "wrong_contact_data": "Wrong contact details",
            "duplicate": "Duplicate lead",
            "other": "Other",
        }[self.value]


class LeadOutcome(StrEnum):
    """How an accepted lead ended."""

    WON = "won"
    LOST = "lost"
    NO_DECISION = "no_decision"

    @property
    def label(self) -> str:
        return {"won": "Won", "lost": "Lost", "no_decision": "No decision"}[self.value]

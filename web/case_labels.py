"""Names of the case codes (dispute types, channels, case states, party roles, audit actions,
deadlines) in the page's language, with template filters for them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from web.labels import name_of

DISPUTE_TYPE_NAMES: Mapping[str, Any] = {
    "neighbour": _l("Neighbour dispute"),
    "family": _l("Marriage and family"),
    "medical": _l("Medical dispute"),
    "labour": _l("Labour dispute"),
    "property_management": _l("Property management"),
    "traffic": _l("Road traffic"),
    "consumer": _l("Consumer dispute"),
    "debt": _l("Debt"),
    "land": _l("Land / homestead"),
    "construction": _l("Construction"),
    "tenancy": _l("Tenancy"),
    "financial": _l("Financial dispute"),
    "marriage": _l("Marriage (personal status)"),
    "adoption": _l("Adoption (personal status)"),
    "parentage": _l("Parentage (personal status)"),
    "other": _l("Other dispute"),
}

CHANNEL_NAMES: Mapping[str, Any] = {
    "online": _l("Online application"),
    "walk_in": _l("Walk-in visit"),
    "grid_worker": _l("Reported by a grid worker"),
    "court": _l("Delegated by the court"),
    "petition": _l("Referred by the petitions office"),
    "human_resources": _l("Referred by human resources"),
    "housing": _l("Referred by housing"),
    "police": _l("Referred by the police"),
    "re_mediation": _l("Mediated again after a rejected confirmation"),
}

STATE_NAMES: Mapping[str, Any] = {
    "reported": _l("Waiting for registration"),
    "not_accepted": _l("Not accepted"),
    "consent_pending": _l("Asking the other party"),
    "dispatched": _l("Dispatched"),
    "in_mediation": _l("In mediation"),
    "suspended": _l("Mediation suspended"),
    "agreement_reached": _l("Agreement reached"),
    "judicial_confirmation": _l("Judicial confirmation"),
    "performing": _l("Being performed"),
    "failed": _l("Mediation failed"),
    "guided_to_litigation": _l("Guided to litigation"),
    "closing": _l("Being closed"),
    "closed": _l("Closed and archived"),
    "terminated": _l("Mediation ended"),
    "withdrawn": _l("Withdrawn"),
    "not_mediated": _l("Not mediated"),
    "not_performed": _l("Agreement not performed"),
    "error": _l("Process error"),
}

PARTY_ROLE_NAMES: Mapping[str, Any] = {
    "applicant": _l("Applicant"),
    "respondent": _l("Respondent"),
    "agent": _l("Agent"),
}

OUTCOME_NAMES: Mapping[str, Any] = {
    "resolved": _l("Resolved by agreement"),
    "failed": _l("Mediation failed"),
    "refused": _l("A party refused or withdrew"),
    "confirmed": _l("Agreement confirmed by the court"),
    "guided_to_litigation": _l("Guided to litigation"),
    "withdrawn": _l("A party withdrew"),
    "not_mediated": _l("Not mediated: the other side never answered"),
    "guided_to_arbitration": _l("Guided to labour arbitration"),
    "re_mediated": _l("Mediated again after the court's rejection"),
}

# Messages a case's process receives, by name.
MESSAGE_NAMES: Mapping[str, Any] = {
    "party_withdrew": _l("A party withdrew"),
}

# How the court sent a case to the office.
COURT_REFERRAL_NAMES: Mapping[str, Any] = {
    "delegated": _l("Delegated before filing (委派)"),
    "entrusted": _l("Entrusted after filing (委托)"),
}

# Deadlines the processes record (process data ``*_due``), by key.
DEADLINE_NAMES: Mapping[str, Any] = {
    "choice_due": _l("Parties choose a mediator"),
    "acceptance_due": _l("Mediator confirms acceptance"),
    "consent_due": _l("Other party answers"),
    "mediation_due": _l("Mediation period ends"),
    "jc_apply_due": _l("Joint application for judicial confirmation"),
    "jc_acceptance_due": _l("Court decides on acceptance (3 days)"),
    "jc_ruling_due": _l("Court rules (15 days)"),
    "performance_due": _l("Agreement performed"),
    "suit_registration_due": _l("Court registers the suit (7 days)"),
    "drafting_due": _l("Mediator drafts the agreement"),
    "signing_due": _l("Parties sign the agreement"),
    "rejection_choice_due": _l("Parties choose after the rejection: mediate again or sue"),
    "enforcement_due": _l("Apply for enforcement of the confirmed agreement (2 years)"),
}
# Periods a party acts in, not the process: they run until they end.
OPEN_PERIODS = frozenset({"enforcement_due"})


def init_app(app: Flask) -> None:
    """Template filters for the case codes."""
    app.add_template_filter(lambda c: name_of(DISPUTE_TYPE_NAMES, c), "dispute_type_name")
    app.add_template_filter(lambda c: name_of(CHANNEL_NAMES, c), "channel_name")
    app.add_template_filter(lambda c: name_of(STATE_NAMES, c), "case_state_name")
    app.add_template_filter(lambda c: name_of(PARTY_ROLE_NAMES, c), "party_role_name")
    app.add_template_filter(lambda c: name_of(OUTCOME_NAMES, c), "outcome_name")
    app.add_template_filter(lambda c: name_of(DEADLINE_NAMES, c), "deadline_name")
    app.add_template_filter(lambda c: name_of(COURT_REFERRAL_NAMES, c), "court_referral_name")

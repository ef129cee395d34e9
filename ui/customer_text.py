"""How the Customers page words its facts: recommended actions and their reasons, timeline
events, and the codes of the records (ticket categories, priorities), in the user's language.
"""

from __future__ import annotations

import math

import pandas as pd

from analytics.next_action import ACTIONS, NO_ACTION
from i18n import N_, _, ngettext
from i18n.formatting import format_percent
from ui.deal_panel import VALUE_LABELS
from ui.format import format_value
from ui.segment_charts import segment_labels

__all__ = [
    "ACTION_LABELS",
    "EVENT_LABELS",
    "action_label",
    "code_label",
    "days_ago",
    "event_label",
    "reason",
]

#: What each recommended action asks the user to do.
ACTION_LABELS: dict[str, str] = {
    "resolve_complaint": N_("Resolve the open complaint"),
    "overdue_followup": N_("Do the overdue follow-up"),
    "save_at_risk": N_("Offer a review meeting"),
    "call_forgotten": N_("Call: forgotten client"),
    "offer_reorder": N_("Call to offer a re-order"),
    "welcome": N_("Welcome call"),
    "grow": N_("Ask for a referral or offer more"),
    NO_ACTION: N_("No action needed"),
}
assert set(ACTION_LABELS) == {*ACTIONS, NO_ACTION}

#: Timeline events as shown.
EVENT_LABELS: dict[str, str] = {
    "deal_created": N_("Deal opened"),
    "stage": N_("Deal moved to a stage"),
    "deal_won": N_("Deal won"),
    "deal_lost": N_("Deal lost"),
    "order": N_("Order"),
    "activity_done": N_("Activity done"),
    "activity_planned": N_("Activity planned"),
    "ticket_opened": N_("Ticket opened"),
    "ticket_resolved": N_("Ticket resolved"),
    "campaign_sent": N_("Campaign sent"),
    "campaign_response": N_("Campaign response"),
}

#: Codes of the records (the database keeps English codes) as shown: the deal panel's, and
#: ticket categories and priorities and account kinds.
CODE_LABELS: dict[str, str] = {
    **VALUE_LABELS, "complaint": N_("complaint"), "question": N_("question"),
    "repair": N_("repair"), "billing": N_("billing"), "low": N_("low"), "medium": N_("medium"),
    "high": N_("high"), "urgent": N_("urgent"), "company": N_("company"), "person": N_("person"),
}  # fmt: skip


def action_label(action: str) -> str:
    """The recommended action in the user's language."""
    return _(ACTION_LABELS.get(action, ACTION_LABELS[NO_ACTION]))


def event_label(event: str) -> str:
    """A timeline event in the user's language."""
    return _(EVENT_LABELS[event]) if event in EVENT_LABELS else event


def code_label(value: object) -> object:
    """A record's code (status, type, category, priority) translated; other values as they are."""
    return _(CODE_LABELS[value]) if isinstance(value, str) and value in CODE_LABELS else value


def _days(value: float) -> str:
    """Whole days, with their noun ("120 days")."""
    n = round(value)
    return ngettext("{n} day", "{n} days", n).format(n=format_value(n, "count"))


def days_ago(value: float) -> str:
    """How long ago, in whole days ("today", "3 days ago")."""
    n = round(value)
    if n <= 0:
        return _("today")
    return ngettext("{n} day ago", "{n} days ago", n).format(n=format_value(n, "count"))


def _known(value: float) -> bool:
    """A number that is neither missing nor infinite."""
    return not pd.isna(value) and not math.isinf(value)


def reason(row: pd.Series, currency: str | None) -> str:
    """Why ``row`` (a row of :func:`reports.customers.day_list`) got its action, in one clause
    quoting the facts ("no contact for 120 days, usual gap 30 days").
    """
    action = row["action"]
    if action == "resolve_complaint":
        return ngettext(
            "{n} complaint open, the oldest for {days}",
            "{n} complaints open, the oldest for {days}",
            int(row["open_complaints"]),
        ).format(n=int(row["open_complaints"]), days=_days(row["oldest_complaint_days"]))
    if action == "overdue_followup":
        return ngettext(
            "{n} planned activity overdue, the latest due {when}",
            "{n} planned activities overdue, the latest due {when}",
            int(row["overdue_activities"]),
        ).format(n=int(row["overdue_activities"]), when=days_ago(row["latest_overdue_days"]))
    if action == "save_at_risk":
        return _("churn risk {risk}, an A-class customer with {revenue} of revenue").format(
            risk=format_percent(float(row["churn_risk"]), 0),
            revenue=format_value(float(row["revenue"]), "money", currency),
        )
    if action in ("call_forgotten", "offer_reorder"):
        if action == "call_forgotten":
            text = _("no contact for {days}").format(days=_days(row["days_since_contact"]))
        else:
            text = _("last order {when}").format(when=days_ago(row["days_since_purchase"]))
        if _known(row["usual_gap_days"]):
            text += ", " + _("usual gap {days}").format(days=_days(row["usual_gap_days"]))
        return text
    if action == "welcome":
        return _("first purchase {when}").format(when=days_ago(row["days_since_first_purchase"]))
    if action == "grow":
        return ngettext(
            "{segment}: {n} order day, the last {when}",
            "{segment}: {n} order days, the last {when}",
            int(row["orders"]),
        ).format(
            segment=segment_labels().get(str(row["segment"]), str(row["segment"])),
            n=int(row["orders"]),
            when=days_ago(row["days_since_purchase"]),
        )  # fmt: skip
    return _("nothing open, bought recently or not yet worth a call")

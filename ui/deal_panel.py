"""The drill-through of one deal: summary, stage history and activity timeline."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from crm_data.filters import Scope
from i18n import N_, _
from i18n.formatting import date_pattern, format_day
from reports.deal_detail import deal_detail
from ui.cache import cached_report
from ui.format import MISSING, escape_markdown, format_value, money_pattern

__all__ = ["deal_panel"]

#: The columns shown, with their headings (ids and stage positions are left out).
HISTORY_LABELS = {"entered_at": N_("Entered"), "stage": N_("Stage"), "amount": N_("Amount"),
                  "changed_by": N_("Changed by")}  # fmt: skip
ACTIVITY_LABELS = {"type": N_("Type"), "status": N_("Status"), "due_at": N_("Due"),
                   "done_at": N_("Done"), "employee": N_("By"), "outcome": N_("Outcome"),
                   "duration_min": N_("Minutes")}  # fmt: skip
#: Deal statuses and activity types and statuses as shown (the database keeps English codes).
VALUE_LABELS = {"open": N_("open"), "won": N_("won"), "lost": N_("lost"), "call": N_("call"),
                "meeting": N_("meeting"), "email": N_("email"), "task": N_("task"),
                "planned": N_("planned"), "done": N_("done"),
                "cancelled": N_("cancelled")}  # fmt: skip


def _shown(value: object) -> object:
    """A status or type code translated, any other value as it is."""
    return _(VALUE_LABELS[value]) if isinstance(value, str) and value in VALUE_LABELS else value


def _headings(labels: dict[str, str]) -> dict[str, str]:
    return {column: _(label) for column, label in labels.items()}


def deal_panel(engine: Engine, scope: Scope, deal_id: int, currency: str | None) -> None:
    """Draw deal ``deal_id`` as ``scope`` may see it (a notice when it may not)."""
    detail = cached_report(deal_detail, engine, scope, deal_id)
    if not detail.found:
        st.warning(
            _("Deal {deal_id} does not exist or is not yours to see.").format(deal_id=deal_id),
            icon=":material/block:",
        )
        return
    deal = detail.summary.iloc[0]
    when = st.column_config.DatetimeColumn(format=f"{date_pattern()} HH:mm")
    money = money_pattern(currency)
    with st.container(border=True):
        title, account, owner, stage = (
            escape_markdown(str(deal[c])) for c in ("title", "account", "owner", "stage")
        )
        st.markdown(f"**{title}** · {account} · " + _("owner {owner}").format(owner=owner))
        st.caption(
            _("Deal {deal_id} · {status} · stage {stage} · {amount} · created {created}").format(
                deal_id=deal_id, status=_shown(deal["status"]), stage=stage,
                amount=format_value(float(deal["amount"]), "money", currency),
                created=format_day(deal["created_at"]),
            )
        )  # fmt: skip
        # one above the other, so that no column is cut off; "—" where a value is missing
        st.markdown("**" + _("Stage history") + "**")
        history = _headings(HISTORY_LABELS)
        st.dataframe(
            detail.history[list(HISTORY_LABELS)].rename(columns=history),
            hide_index=True, width="stretch", placeholder=MISSING,
            column_config={history["entered_at"]: when,
                           history["amount"]: st.column_config.NumberColumn(format=money)},
        )  # fmt: skip
        st.markdown("**" + _("Activities") + "**")
        if detail.activities.empty:
            st.caption(_("No activity is linked to this deal."))
        else:
            activity = _headings(ACTIVITY_LABELS)
            shown = detail.activities[list(ACTIVITY_LABELS)].assign(
                type=detail.activities["type"].map(_shown),
                status=detail.activities["status"].map(_shown),
            )
            st.dataframe(
                shown.rename(columns=activity),
                hide_index=True, width="stretch", placeholder=MISSING,
                column_config={activity["due_at"]: when, activity["done_at"]: when},
            )  # fmt: skip

"""The drill-through of one deal: summary, stage history and activity timeline."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from crm_data.filters import Scope
from reports.deal_detail import deal_detail
from ui.cache import cached_report
from ui.format import MISSING, currency_symbol, escape_markdown, format_value

__all__ = ["deal_panel"]

#: The columns shown, with their headings (ids and stage positions are left out).
HISTORY_LABELS = {"entered_at": "Entered", "stage": "Stage", "amount": "Amount",
                  "changed_by": "Changed by"}  # fmt: skip
ACTIVITY_LABELS = {"type": "Type", "status": "Status", "due_at": "Due", "done_at": "Done",
                   "employee": "By", "outcome": "Outcome", "duration_min": "Minutes"}  # fmt: skip


def deal_panel(engine: Engine, scope: Scope, deal_id: int, currency: str | None) -> None:
    """Draw deal ``deal_id`` as ``scope`` may see it (a notice when it may not)."""
    detail = cached_report(deal_detail, engine, scope, deal_id)
    if not detail.found:
        st.warning(
            f"Deal {deal_id} does not exist or is not yours to see.", icon=":material/block:"
        )
        return
    deal = detail.summary.iloc[0]
    when = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")
    money = f"{currency_symbol(currency)}%,.0f"
    with st.container(border=True):
        title, account, owner, stage = (
            escape_markdown(str(deal[c])) for c in ("title", "account", "owner", "stage")
        )
        st.markdown(f"**{title}** · {account} · owner {owner}")
        st.caption(
            f"Deal {deal_id} · {deal['status']} · stage {stage} · "
            f"{format_value(float(deal['amount']), 'money', currency)} · created "
            f"{deal['created_at']:%Y-%m-%d}"
        )
        # one above the other, so that no column is cut off; "—" where a value is missing
        st.markdown("**Stage history**")
        st.dataframe(
            detail.history[list(HISTORY_LABELS)].rename(columns=HISTORY_LABELS),
            hide_index=True, width="stretch", placeholder=MISSING,
            column_config={"Entered": when, "Amount": st.column_config.NumberColumn(format=money)},
        )  # fmt: skip
        st.markdown("**Activities**")
        if detail.activities.empty:
            st.caption("No activity is linked to this deal.")
        else:
            st.dataframe(
                detail.activities[list(ACTIVITY_LABELS)].rename(columns=ACTIVITY_LABELS),
                hide_index=True, width="stretch", placeholder=MISSING,
                column_config={"Due": when, "Done": when},
            )  # fmt: skip

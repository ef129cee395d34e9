"""Customers: find a customer and see its whole story (the 360 view) with the recommended next
action and its reason, or the day's list of customers by recommended action."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm_data.queries.customer_record import MAX_SEARCH_LENGTH, find_customers
from i18n import _
from i18n.formatting import format_day
from reports.clv import customer_values
from reports.customers import (
    CustomerView,
    action_facts,
    customer_standing,
    customer_view,
    day_list,
)
from reports.segments import segments_report
from ui.cache import cached_report
from ui.customer_text import action_label, code_label, event_label, reason
from ui.deal_panel import deal_panel
from ui.empty import empty_state
from ui.engine import get_engine
from ui.format import MISSING, escape_markdown, format_value
from ui.labels import labelled
from ui.page import filtered_page_start, page_header
from ui.page_options import seed_from_url, write_to_url
from ui.segment_charts import group_name, shown_groups
from ui.tables import data_table

context = filtered_page_start("customers")
engine = get_engine()
filters, scope = context.filters, context.scope
page_header(_("Customers"), context, _("One customer's whole story, and who to call today"))

#: Rows the day's list shows (and exports), the most urgent first.
DAY_ROWS = 1000
VIEWS = {"customer": _("Customer 360"), "today": _("Today's list")}
#: Session key of a customer picked in the day's list, opened on the next run.
OPEN = "cust_open"
picked_row = st.session_state.pop(OPEN, None)
if picked_row is not None:  # before the widgets: their state may still be set
    st.session_state.pop("cust_day", None)  # the list's selection, or it would reopen it
    st.session_state["cust_view"] = "customer"
    st.session_state["cust_id"] = picked_row
    st.query_params["customer"] = str(picked_row)
    st.query_params.pop("view", None)
seed_from_url("view", "cust_view", list(VIEWS), "customer")
view = st.segmented_control(
    _("Show"), list(VIEWS), key="cust_view", format_func=VIEWS.__getitem__, required=True,
)  # fmt: skip
write_to_url("view", view, "customer")


def standing() -> pd.DataFrame:
    """Every customer of the scope with its segment, value and next action (cached)."""
    with st.spinner(_("Scoring the customers…"), show_time=True):
        report = cached_report(segments_report, engine, filters, scope)
        values = cached_report(customer_values, engine, filters, scope)
        facts = cached_report(action_facts, engine, filters, scope)
    return day_list(facts, report, values.table)


def open_customer(account_id: int) -> None:
    """Show ``account_id``'s 360 view (from a row of the day's list) on the next run."""
    st.session_state[OPEN] = account_id
    st.rerun()


def linked_customer() -> int | None:
    """The customer the link (``?customer=``) or an earlier pick names, if a valid id."""
    text = st.query_params.get("customer")
    if text is not None and text.isdigit() and len(text) <= 18:
        st.session_state.setdefault("cust_id", int(text))
    value = st.session_state.get("cust_id")
    return int(value) if value is not None else None


def search_box() -> None:
    """Search by name, id or e-mail; picking a result opens it."""
    text = st.text_input(
        _("Find a customer"), key="cust_q", max_chars=MAX_SEARCH_LENGTH,
        placeholder=_("Name, account id or contact e-mail"),
    )  # fmt: skip
    if not text.strip():
        return
    found = cached_report(find_customers, engine, scope, text.strip())
    if found.empty:
        st.caption(_("No customer you may see matches “{text}”.").format(text=text.strip()))
        return
    labels = {
        int(row["account_id"]): " · ".join(
            str(row[c]) for c in ("name", "region", "owner", "email") if not pd.isna(row[c])
        )
        for row in found.to_dict("records")
    }
    picked = st.selectbox(
        _("Matching customers"), list(labels), format_func=labels.__getitem__, index=None,
        placeholder=_("{n} found: pick one").format(n=format_value(len(labels), "count")),
    )  # fmt: skip
    if picked is not None and picked != st.session_state.get("cust_id"):
        st.session_state["cust_id"] = picked
        st.query_params["customer"] = str(picked)
        st.rerun()


def cards(items: list[tuple[str, str, str]]) -> None:
    """KPI cards in one row: (label, value, help)."""
    for column, (label, value, help_text) in zip(st.columns(len(items)), items, strict=True):
        with column, st.container(border=True, height="stretch"):
            st.metric(label, value, help=help_text)


def counts(*values: int) -> str:
    """Counts side by side ("3 · 4 · 2"), each written in the user's language."""
    return " · ".join(format_value(v, "count") for v in values)


def coded(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with its code ``columns`` (status, type, category, ...) translated."""
    return frame.assign(**{c: frame[c].map(code_label) for c in columns if c in frame})


def records(customer: CustomerView) -> None:
    """The customer's timeline and records, one tab each, with exports."""
    currency = customer.currency
    name = str(customer.profile["name"])
    export = {**context.export_context(_("Customers — 360 view")), _("Customer"): name}
    tabs = st.tabs([
        _("Timeline ({n})").format(n=format_value(len(customer.timeline), "count")),
        _("Orders ({n})").format(n=format_value(customer.kpis.orders, "count")),
        _("Deals ({n})").format(n=format_value(len(customer.deals), "count")),
        _("Activities ({n})").format(n=format_value(len(customer.activities), "count")),
        _("Tickets ({n})").format(n=format_value(customer.kpis.tickets, "count")),
        _("Campaigns ({n})").format(n=format_value(customer.kpis.campaigns, "count")),
    ])  # fmt: skip
    tables = [
        ("timeline", coded(customer.timeline.assign(event=customer.timeline["event"]
                                                    .map(event_label)), ["subject", "status"]),
         ["at", "event", "subject", "amount", "status"]),
        ("orders", customer.orders,
         ["ordered_at", "amount", "items", "channel", "payment_method", "order_id"]),
        ("deals", coded(customer.deals, ["status"]),
         ["title", "stage", "status", "amount", "product_line", "owner", "created_at",
          "closed_at", "stage_entered_at", "deal_id"]),
        ("activities", coded(customer.activities, ["type", "status"]),
         ["at", "type", "status", "employee", "outcome", "duration_min", "deal_id"]),
        ("tickets", coded(customer.tickets, ["category", "priority"]),
         ["opened_at", "category", "priority", "first_response_at", "resolved_at",
          "satisfaction", "assignee", "ticket_id"]),
        ("campaigns", customer.campaigns,
         ["sent_at", "campaign", "channel", "responded_at", "response", "campaign_id"]),
    ]  # fmt: skip
    for tab, (key, frame, columns) in zip(tabs, tables, strict=True):
        with tab:
            if frame.empty:
                st.caption(_("Nothing before {day}.").format(day=format_day(customer.as_of)))
                continue
            shown, config = labelled(frame, columns, currency=currency,
                                     labels={"amount": _("Amount")})  # fmt: skip
            picked = data_table(
                shown, key=f"cust_{key}", file_stem=f"customer_{key}", column_config=config,
                context=export, selectable=key == "deals",
            )  # fmt: skip
            if key == "deals":
                st.caption(_("Select a deal to see its stage history and activities."))
                if picked is not None:
                    deal_panel(engine, scope, int(frame["deal_id"].iloc[picked]), currency)


def customer_360(account_id: int) -> None:
    """The 360 view of ``account_id`` (a notice when the scope may not see it)."""
    customer = cached_report(customer_view, engine, filters, scope, account_id)
    if customer is None:
        st.warning(
            _("Customer {id} is not one of the customers you may see, or does not exist. "
              "Search for one of yours above.").format(id=account_id),
            icon=":material/block:",
        )  # fmt: skip
        return
    p, k, currency = customer.profile, customer.kpis, customer.currency
    st.subheader(escape_markdown(str(p["name"])), anchor=False)
    facts = [code_label(p["kind"]), p["industry"], p["region"], p["city"], p["size_band"],
             _("owner {owner}").format(owner=p["owner"]) if not pd.isna(p["owner"]) else None,
             p["email"],
             _("in the CRM since {day}").format(day=format_day(p["created_at"]))]  # fmt: skip
    shown = [escape_markdown(str(f)) for f in facts if f is not None and not pd.isna(f)]
    st.caption(" · ".join(shown))
    row = customer_standing(standing(), account_id)
    if row is None:
        st.info(
            _("**Not a customer yet**: no order or won deal before {day}, so no segment, value "
              "or recommended action.").format(day=format_day(customer.as_of)),
            icon=":material/person_search:",
        )  # fmt: skip
    else:
        st.info(f"**{action_label(row['action'])}**: {reason(row, currency)}",
                icon=":material/assignment_turned_in:")  # fmt: skip
    last = customer.last_order_at
    since = (
        MISSING
        if pd.isna(last)
        else format_value((pd.Timestamp(filters.as_of_ts) - last).days, "count")
    )
    cards([
        (_("Revenue"), format_value(k.revenue, "money", currency),
         _("Orders before {day}.").format(day=format_day(customer.as_of))),
        (_("Orders"), format_value(k.orders, "count"), _("Orders placed.")),
        (_("Average order"), format_value(k.average_order, "money", currency),
         _("Revenue ÷ orders.")),
        (_("Days since last order"), since,
         _("Whole days from the latest order ({day}) to the evaluation day.").format(
             day=MISSING if pd.isna(last) else format_day(last))),
        (_("Deals won · lost · open"), counts(k.won_deals, k.lost_deals, k.open_deals),
         _("Deals by their status at the evaluation day.")),
    ])  # fmt: skip

    def known(column: str) -> object:
        return None if row is None or pd.isna(row[column]) else row[column]

    segment, abc, cluster = known("segment"), known("abc_class"), known("cluster")
    cards([
        (_("RFM segment"), group_name("segment", segment) if segment is not None else MISSING,
         _("From recency, order days and revenue per order day, scored among the customers "
           "you see.")),
        (_("ABC class · cluster"), f"{abc or MISSING} · {cluster or MISSING}",
         _("A: the customers making 80% of revenue. Clusters as on the Segments page.")),
        (_("CLV, 12 months"), format_value(known("clv"), "money", currency),  # type: ignore[arg-type]
         _("Expected revenue of the next 12 months, discounted 1% a month")),
        (_("P(active)"), format_value(known("p_alive"), "ratio"),  # type: ignore[arg-type]
         _("Probability the customer still buys (modified BG/NBD).")),
        (_("Tickets · open · complaints"), counts(k.tickets, k.open_tickets, k.complaints),
         _("Service tickets opened, those unresolved, and complaints among them.")),
    ])  # fmt: skip
    records(customer)


def todays_list() -> None:
    """Every customer with a recommended action, the most urgent first, filterable by action."""
    day = standing()
    if day.empty:
        empty_state(
            _("No customer before {day}.").format(day=format_day(filters.as_of or filters.end)),
            _("Customers are accounts with an order or a won deal: widen the filters."),
        )  # fmt: skip
        return
    counts = day["action"].value_counts()
    actions = [a for a in dict.fromkeys(day["action"]) if a != "none"]
    seed_from_url("action", "cust_actions", actions, actions, many=True)
    picked = st.multiselect(
        _("Recommended actions"), actions, key="cust_actions",
        format_func=lambda a: f"{action_label(a)} ({format_value(int(counts[a]), 'count')})",
    )  # fmt: skip
    write_to_url("action", picked, actions)
    rows = day.loc[day["action"].isin(picked)]
    if rows.empty:
        st.caption(_("Pick at least one action to list its customers."))
        return
    shown_rows = rows.head(DAY_ROWS)
    listed = (
        _("{n} customers, by action and then by value.").format(n=format_value(len(rows), "count"))
        if len(rows) <= DAY_ROWS
        else _("{n} customers; the {shown} most urgent are listed, by action and then by "
               "value.").format(n=format_value(len(rows), "count"),
                                shown=format_value(len(shown_rows), "count"))
    )  # fmt: skip
    st.caption(listed + " " + _("Select one to open its 360 view."))
    currency = cached_report(segments_report, engine, filters, scope).currency
    table = shown_groups(shown_rows, ["segment"]).assign(
        action=shown_rows["action"].map(action_label),
        reasons=[reason(row, currency) for _i, row in shown_rows.iterrows()],
        account=shown_rows["account"],
    )
    shown, config = labelled(
        table,
        ["account", "owner", "action", "reasons", "segment", "abc_class", "revenue", "clv",
         "churn_risk", "days_since_contact", "usual_gap_days", "account_id"],
        currency=currency, labels={"revenue": _("Revenue")},
    )  # fmt: skip
    selected = data_table(
        shown, key="cust_day", file_stem="customers_to_contact", column_config=config,
        context=context.export_context(_("Customers — today's list")), selectable=True,
    )  # fmt: skip
    if selected is not None:
        open_customer(int(shown_rows["account_id"].iloc[selected]))


if view == "today":
    todays_list()
else:
    search_box()
    account_id = linked_customer()
    if account_id is None:
        st.caption(_("Search for a customer, or open one from today's list."))
    else:
        customer_360(account_id)

"""Data: connection status, row counts and date ranges per table, data-quality checks, demo
seeding (admins only) and caches."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import streamlit as st

from access.roles import can_seed
from crm_data.demo import SIZES
from crm_data.demo.seed import KEPT_TEXT, confirmation_word
from crm_data.errors import NotDemoDatabase, SeedingInProgress
from ui.database_info import info_frame, load_database_info, load_quality_checks, quality_frame
from ui.engine import get_engine, invalidate_data
from ui.filter_bar import reference_date
from ui.first_run import demo_size
from ui.page import page_header, page_start
from ui.seeding import load_reseed_check, seed_with_progress, size_label
from ui.tables import data_table, export_buttons

context = page_start("data")
engine = get_engine()
info = load_database_info(engine)

page_header(
    "Data", context, "What the dashboard reads: the connection, rows and date range per CRM "
    "table, and the data's quality",
)  # fmt: skip

if message := st.session_state.pop("data_flash", None):
    st.success(message, icon=":material/check_circle:")

# ---- connection ------------------------------------------------------------------------------
with st.container(border=True):
    st.markdown(
        f"**Dialect** {info.dialect} &nbsp;·&nbsp; **Server** {info.server_version} "
        f"&nbsp;·&nbsp; **Demo data** {info.demo_label}"
    )
    st.markdown(f"**URL** `{info.masked_url}`")

# ---- row counts and date ranges --------------------------------------------------------------
if not info.has_crm_tables:
    st.info(
        "**This database has no CRM tables yet.** Seed the demo company below, or point "
        "`CRM_DATABASE_URL` at a database with the CRM schema.",
        icon=":material/inbox:",
    )
else:
    present = sum(t.present for t in info.tables)
    cards = st.columns(5, border=True)
    cards[0].metric("Tables", f"{present} / {len(info.tables)}")
    for card, (label, name) in zip(
        cards[1:],
        [
            ("Accounts", "accounts"),
            ("Deals", "deals"),
            ("Activities", "activities"),
            ("Orders", "orders"),
        ],
        strict=True,
    ):
        table = info.table(name)
        card.metric(label, f"{table.rows:,}" if table.present else "absent")

    frame = info_frame(info)
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        height="content",
        placeholder="—",
        column_config={
            "Rows": st.column_config.NumberColumn("Rows", format="localized"),
            "First date": st.column_config.DateColumn("First date", format="YYYY-MM-DD"),
            "Last date": st.column_config.DateColumn("Last date", format="YYYY-MM-DD"),
            "Date column": st.column_config.TextColumn(
                "Date column", help="The timestamp the date range is taken from"
            ),
        },
        key="data_tables",
    )
    export_buttons(
        frame, key="data_tables_export", file_stem="crm_tables",
        context=context.export_context("Data — tables"),
    )  # fmt: skip

# ---- data quality ----------------------------------------------------------------------------
if info.has_crm_tables:
    st.subheader("Data quality", anchor=False)
    now = datetime.combine(reference_date() + timedelta(days=1), time.min)
    checks = load_quality_checks(engine, now)
    found = [c for c in checks if c.status == "warning"]
    st.caption(
        f"{len(checks)} checks, {len(found)} with findings. Dates count as in the future "
        f"after {now - timedelta(days=1):%-d %b %Y}. Select a check to see example rows."
    )
    for check in found:  # what to do, in full (a table cell would cut the sentence)
        st.warning(f"**{check.title}** ({check.count:,} rows): {check.fix}",
                   icon=":material/rule:")  # fmt: skip
    row = data_table(
        quality_frame(checks), key="data_quality", file_stem="data_quality",
        context=context.export_context("Data — quality checks"), selectable=True,
        column_config={
            "Rows": st.column_config.NumberColumn(format="localized", width="small"),
            "Status": st.column_config.TextColumn(width="small"),
            "What to do": None,  # above the table, and in the export
            "Tables": st.column_config.TextColumn(width="large"),
        },
    )  # fmt: skip
    if row is not None:
        check = checks[row]
        with st.container(border=True):
            st.markdown(f"**{check.title}** — {check.description}")
            if check.status == "warning":
                st.markdown(f"**What to do:** {check.fix}")
                st.dataframe(check.examples, hide_index=True, width="stretch")
            else:
                st.caption("Nothing found." if check.status == "ok" else "A table is missing.")

# ---- demo seeding ----------------------------------------------------------------------------
if can_seed(context.scope.role):
    with st.expander("Seed demo data", icon=":material/factory:", expanded=not info.has_crm_tables):
        st.write(
            "Replaces every CRM table with a deterministic demo company: the same size and seed "
            "give the same data, and saves the demo's incentive plans for its last quarter."
        )
        left, right = st.columns(2)
        size = left.selectbox(
            "Size",
            list(SIZES),
            index=list(SIZES).index(demo_size()),
            format_func=size_label,
            key="data_seed_size",
        )
        seed = int(
            right.number_input(
                "Random seed", min_value=0, max_value=2**31 - 1, value=42, step=1,
                key="data_seed_seed",
            )
        )  # fmt: skip
        reseed = load_reseed_check(engine)
        if reseed.running is not None:
            st.info(reseed.running.message(), icon=":material/hourglass_top:")
        if losses := reseed.losses():
            st.warning(f"**Lost for good if you seed:** {losses}", icon=":material/warning:")
        st.caption(KEPT_TEXT)
        word = confirmation_word(engine.url)
        typed = word  # an empty database: nothing to confirm
        if reseed.crm_rows or reseed.loses_data:
            typed = st.text_input(
                f"To replace the CRM data in `{info.masked_url}`, type **{word}**",
                max_chars=200,
                key="data_seed_word",
            )
        if st.button(
            "Seed demo data",
            type="primary",
            icon=":material/play_arrow:",
            disabled=typed.strip() != word or reseed.running is not None,
            key="data_seed_run",
        ):
            try:
                report, plans = seed_with_progress(
                    size, seed=seed, force=reseed.loses_data,
                    by=f"{context.identity.email} (Data page)",
                )  # fmt: skip
            except (NotDemoDatabase, SeedingInProgress) as exc:
                st.error(str(exc), icon=":material/block:")
            else:
                st.session_state.pop("data_seed_word", None)  # the next seeding asks again
                st.session_state["data_flash"] = (
                    f"Seeded demo company size {size} (seed {seed}) in {report.seconds:.1f} s"
                    + (f" and saved {plans} demo incentive plan{'s' if plans != 1 else ''}."
                       if plans else ".")
                )  # fmt: skip
                st.rerun()
else:
    st.caption("Only admins can seed demo data.")

# ---- caches ----------------------------------------------------------------------------------
if st.button(
    "Clear caches",
    icon=":material/cached:",
    key="data_clear_caches",
    help="Forget cached query results, e.g. after loading data from outside the app",
):
    invalidate_data()
    st.toast("Caches cleared; pages read fresh data.", icon=":material/cached:")
    st.rerun()

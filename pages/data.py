"""Data: connection status, row counts and date ranges per table, data-quality checks, demo
seeding (admins only) and caches."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import streamlit as st

from access.roles import can_import, can_seed
from crm_data.demo import SIZES
from crm_data.demo.seed import KEPT_TEXT, confirmation_word
from crm_data.errors import NotDemoDatabase, SeedingInProgress
from i18n import N_, _, ngettext
from i18n.formatting import date_pattern, format_count, format_day, format_number
from ui.database_info import info_frame, load_database_info, load_quality_checks, quality_frame
from ui.engine import get_engine, invalidate_data
from ui.filter_bar import reference_date
from ui.first_run import demo_size
from ui.imports import LISTED, load_imports
from ui.labels import labelled
from ui.page import page_header, page_start
from ui.seeding import load_reseed_check, seed_with_progress, size_label
from ui.tables import data_table, export_buttons

context = page_start("data")
engine = get_engine()
info = load_database_info(engine)

page_header(
    _("Data"), context, _("What the dashboard reads: the connection, rows and date range per "
    "CRM table, and the data's quality"),
)  # fmt: skip

if message := st.session_state.pop("data_flash", None):
    st.success(message, icon=":material/check_circle:")

# ---- connection ------------------------------------------------------------------------------
with st.container(border=True):
    st.markdown(
        f"**{_('Dialect')}** {info.dialect} &nbsp;·&nbsp; **{_('Server')}** "
        f"{info.server_version} &nbsp;·&nbsp; **{_('Demo data')}** {info.demo_label}"
    )
    st.markdown(f"**{_('URL')}** `{info.masked_url}`")

# ---- row counts and date ranges --------------------------------------------------------------
if not info.has_crm_tables:
    st.info(
        "**{}** {}".format(
            _("This database has no CRM tables yet."),
            _(
                "Seed the demo company below, or point `CRM_DATABASE_URL` at a database with "
                "the CRM schema."
            ),
        ),
        icon=":material/inbox:",
    )
else:
    present = sum(t.present for t in info.tables)
    cards = st.columns(5, border=True)
    cards[0].metric(_("Tables"), f"{format_count(present)} / {format_count(len(info.tables))}")
    for card, (label, name) in zip(
        cards[1:],
        [
            (N_("Accounts"), "accounts"),
            (N_("Deals"), "deals"),
            (N_("Activities"), "activities"),
            (N_("Orders"), "orders"),
        ],
        strict=True,
    ):
        table = info.table(name)
        card.metric(_(label), format_count(table.rows) if table.present else _("absent"))

    frame = info_frame(info)
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        height="content",
        placeholder="—",
        column_config={
            _("Rows"): st.column_config.NumberColumn(format="localized"),
            _("First date"): st.column_config.DateColumn(format=date_pattern()),
            _("Last date"): st.column_config.DateColumn(format=date_pattern()),
            _("Date column"): st.column_config.TextColumn(
                help=_("The timestamp the date range is taken from")
            ),
        },
        key="data_tables",
    )
    export_buttons(
        frame, key="data_tables_export", file_stem="crm_tables",
        context=context.export_context(_("Data — tables")),
    )  # fmt: skip

# ---- data quality ----------------------------------------------------------------------------
if info.has_crm_tables:
    st.subheader(_("Data quality"), anchor=False)
    now = datetime.combine(reference_date() + timedelta(days=1), time.min)
    checks = load_quality_checks(engine, now)
    found = [c for c in checks if c.status == "warning"]
    st.caption(
        " ".join(
            [
                ngettext(
                    "{n} check, {found} with findings.",
                    "{n} checks, {found} with findings.",
                    len(checks),
                ).format(n=format_count(len(checks)), found=format_count(len(found))),
                _("Dates count as in the future after {day}.").format(
                    day=format_day(now - timedelta(days=1))
                ),
                _("Select a check to see example rows."),
            ]
        )
    )
    for check in found:  # what to do, in full (a table cell would cut the sentence)
        rows = ngettext("{n} row", "{n} rows", check.count or 0).format(n=format_count(check.count))
        st.warning(f"**{check.title}** ({rows}): {check.fix}", icon=":material/rule:")
    row = data_table(
        quality_frame(checks), key="data_quality", file_stem="data_quality",
        context=context.export_context(_("Data — quality checks")), selectable=True,
        column_config={
            _("Rows"): st.column_config.NumberColumn(format="localized", width="small"),
            _("Status"): st.column_config.TextColumn(width="small"),
            _("What to do"): None,  # above the table, and in the export
            _("Tables"): st.column_config.TextColumn(width="large"),
        },
    )  # fmt: skip
    if row is not None:
        check = checks[row]
        with st.container(border=True):
            st.markdown(f"**{check.title}** — {check.description}")
            if check.status == "warning":
                st.markdown(f"**{_('What to do:')}** {check.fix}")
                st.dataframe(check.examples, hide_index=True, width="stretch")
            else:
                st.caption(
                    _("Nothing found.") if check.status == "ok" else _("A table is missing.")
                )

# ---- imports ---------------------------------------------------------------------------------
if can_import(context.scope.role):  # the log names files and who imported them
    st.subheader(_("Imports"), anchor=False)
    imports = load_imports()
    if imports is None:
        st.warning(
            _("The import log could not be read: the app database did not answer."),
            icon=":material/cloud_off:",
        )
    elif imports.empty:
        st.caption(_(
            "No import yet. Import a CSV or XLSX export of deals with `python -m crm_data "
            "import FILE --mapping MAPPING.yaml` (see the README, \"Bring your own data\")."
        ))  # fmt: skip
    else:
        st.caption(
            _("The imports, the newest first (up to {n}): rows added, updated and rejected over "
              "every table an import wrote.").format(n=format_count(LISTED))
        )  # fmt: skip
        shown, config = labelled(imports)
        data_table(
            shown, key="data_imports", file_stem="imports", column_config=config,
            context=context.export_context(_("Data — imports")),
        )  # fmt: skip

# ---- demo seeding ----------------------------------------------------------------------------
if can_seed(context.scope.role):
    with st.expander(
        _("Seed demo data"), icon=":material/factory:", expanded=not info.has_crm_tables
    ):
        st.write(
            _(
                "Replaces every CRM table with a deterministic demo company: the same size and "
                "seed give the same data, and saves the demo's incentive plans for its last "
                "quarter."
            )
        )
        left, right = st.columns(2)
        size = left.selectbox(
            _("Size"),
            list(SIZES),
            index=list(SIZES).index(demo_size()),
            format_func=size_label,
            key="data_seed_size",
        )
        seed = int(
            right.number_input(
                _("Random seed"), min_value=0, max_value=2**31 - 1, value=42, step=1,
                key="data_seed_seed",
            )
        )  # fmt: skip
        reseed = load_reseed_check(engine)
        if reseed.running is not None:
            st.info(reseed.running.message(), icon=":material/hourglass_top:")
        if losses := reseed.losses():
            st.warning(f"**{_('Lost for good if you seed:')}** {losses}", icon=":material/warning:")
        st.caption(_(KEPT_TEXT))
        word = confirmation_word(engine.url)
        typed = word  # an empty database: nothing to confirm
        if reseed.crm_rows or reseed.loses_data:
            typed = st.text_input(
                _("To replace the CRM data in `{url}`, type **{word}**").format(
                    url=info.masked_url, word=word
                ),
                max_chars=200,
                key="data_seed_word",
            )
        if st.button(
            _("Seed demo data"),
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
                seconds = format_number(report.seconds, 1)
                st.session_state["data_flash"] = (
                    ngettext(
                        "Seeded demo company size {size} (seed {seed}) in {seconds} s and "
                        "saved {n} demo incentive plan.",
                        "Seeded demo company size {size} (seed {seed}) in {seconds} s and "
                        "saved {n} demo incentive plans.",
                        plans,
                    ).format(size=size, seed=seed, seconds=seconds, n=format_count(plans))
                    if plans
                    else _("Seeded demo company size {size} (seed {seed}) in {seconds} s.").format(
                        size=size, seed=seed, seconds=seconds
                    )
                )
                st.rerun()
else:
    st.caption(_("Only admins can seed demo data."))

# ---- caches ----------------------------------------------------------------------------------
if st.button(
    _("Clear caches"),
    icon=":material/cached:",
    key="data_clear_caches",
    help=_("Forget cached query results, e.g. after loading data from outside the app"),
):
    invalidate_data()
    st.toast(_("Caches cleared; pages read fresh data."), icon=":material/cached:")
    st.rerun()

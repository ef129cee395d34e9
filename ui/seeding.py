"""Seed the demo company from the app, with a progress bar, then invalidate caches.

Seeding writes the CRM database, which the app otherwise only reads: it runs through
:func:`ui.engine.crm_writer`, and the demo's incentive plans are then saved in the app database
(:func:`appdb.demo_plans.make_plans`).
"""

from __future__ import annotations

import sqlalchemy as sa
import streamlit as st
from sqlalchemy.engine import Engine

from appdb.databases import Databases
from appdb.demo_plans import make_plans
from crm_data.config import statement_failed
from crm_data.demo import SIZES, SeedReport, seed_demo
from crm_data.demo.seed import ReseedCheck, reseed_check, running_seed
from i18n import N_, _, ngettext
from i18n.formatting import format_number
from ui.engine import crm_writer, data_version, get_app_engine, get_engine, invalidate_data

__all__ = [
    "STEP_LABELS",
    "load_reseed_check",
    "seed_with_progress",
    "size_label",
    "step_label",
]

#: What the generator's progress messages mean, in words for the progress bar (the messages
#: are steps such as "generating deals" and the names of the tables being written).
STEP_LABELS = {
    "checking database": N_("Checking the database"),
    "creating schema": N_("Creating the tables"),
    "generating people": N_("Inventing the sales teams and their customers"),
    "generating deals": N_("Inventing deals"),
    "generating orders": N_("Inventing orders"),
    "generating tickets": N_("Inventing service tickets"),
    "statistics": N_("Updating the database's statistics"),
    "done": N_("Done"),
    "teams": N_("Saving the teams"),
    "employees": N_("Saving the employees"),
    "accounts": N_("Saving the customer accounts"),
    "contacts": N_("Saving the contacts"),
    "products": N_("Saving the products"),
    "stages": N_("Saving the pipeline stages"),
    "lost_reasons": N_("Saving the lost reasons"),
    "campaigns": N_("Saving the campaigns"),
    "campaign_members": N_("Saving who each campaign reached"),
    "deals": N_("Saving the deals"),
    "deal_stage_history": N_("Saving every deal's stage history"),
    "activities": N_("Saving calls, meetings, e-mails and tasks"),
    "orders": N_("Saving the orders"),
    "order_items": N_("Saving the order lines"),
    "tickets": N_("Saving the service tickets"),
    "quotas": N_("Saving the sales quotas"),
    "demo_truth": N_("Saving the facts the demo was built with (for its tests)"),
    "incentive plans": N_("Saving the incentive plans"),
}


def _compact(count: int) -> str:
    """``1500 -> '1.5 k'``, ``10_000_000 -> '10 M'`` (Russian ``1,5 тыс.``, ``10 млн``)."""
    for unit, size in ((N_("{n} M"), 1_000_000), (N_("{n} k"), 1_000)):
        if count >= size:
            value = float(f"{count / size:.3g}")
            return _(unit).format(n=format_number(value, 0 if value.is_integer() else 1))
    return format_number(count)


def size_label(name: str) -> str:
    """What demo size ``name`` holds, for the size selector: ``S: 2 k accounts, 10 k deals, …``."""
    spec = SIZES[name]

    def form(count: int) -> int:
        # "2 k" counts thousands: the form of "5 deals" (Russian "2 тыс. сделок")
        return count if count < 1_000 else 5

    listed = ", ".join(
        [
            ngettext("{n} account", "{n} accounts", form(spec.accounts)).format(
                n=_compact(spec.accounts)
            ),
            ngettext("{n} deal", "{n} deals", form(spec.deals)).format(n=_compact(spec.deals)),
            ngettext("{n} activity", "{n} activities", form(spec.activities)).format(
                n=_compact(spec.activities)
            ),
        ]
    )
    return f"{name}: {listed}"


def step_label(message: str) -> str:
    """The progress bar's words for a generator message: :data:`STEP_LABELS`, else the
    message as a sentence (``"order_items"`` → ``"Order items"``), never a raw table name.

    Examples
    --------
    >>> step_label("deal_stage_history")
    "Saving every deal's stage history"
    >>> step_label("kpi_plan_items")
    'Kpi plan items'
    """
    if message in STEP_LABELS:
        return _(STEP_LABELS[message])
    text = message.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@st.cache_data(ttl="1m", max_entries=8, show_spinner=False)
def _reseed_check(url: str, version: int, _engine: Engine) -> ReseedCheck:
    return reseed_check(_engine)


def load_reseed_check(engine: Engine) -> ReseedCheck:
    """What seeding would lose and keep (counted at most once a minute per data version), and
    the seeding running now (read on every call; while one runs nothing else is counted, as
    its tables may be locked).
    """
    running = running_seed(engine)
    if running is not None:
        return ReseedCheck(is_demo=False, crm_rows=0, running=running)
    with st.spinner(_("Checking what a reseed would replace…")):
        return _reseed_check(str(engine.url), data_version(), engine)


def seed_with_progress(
    size: str, seed: int = 42, force: bool = False, by: str | None = None
) -> tuple[SeedReport, int]:
    """Run ``crm_data.demo.seed_demo`` on the configured CRM database showing its messages in
    ``st.progress``, then save the demo's incentive plans in the app database.

    Afterwards the data version is bumped and ``st.cache_data`` cleared, so every page reads
    the new data.  ``by`` names who seeds (shown to anyone trying to seed meanwhile).  Returns
    the generator's ``SeedReport`` and the number of demo plans saved (a team that has the
    demo's plan for the quarter already gets no second one).

    Raises
    ------
    crm_data.errors.NotDemoDatabase
        If the database holds rows the generator did not make and ``force`` is false.
    crm_data.errors.SeedingInProgress
        If another seeding of the database is running.
    crm_data.errors.DatabaseUnavailable
        If the database cannot be written (e.g. a DuckDB file locked by another process).
    """
    bar = st.progress(0.0, text=_("Seeding demo company size {size}…").format(size=size))

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=f"{step_label(message)}…")

    try:
        with crm_writer() as engine:
            try:
                report = seed_demo(
                    engine, size=size, seed=seed, force=force, progress=progress, by=by
                )
            except sa.exc.SQLAlchemyError as exc:
                raise statement_failed(exc, engine) from None
        progress(0.995, "incentive plans")
        plans = make_plans(Databases(app=get_app_engine(), crm=get_engine()), report.end)
    finally:
        invalidate_data()
    seconds = format_number(report.seconds, 1)
    text = _("Demo company size {size} ready in {seconds} s").format(size=size, seconds=seconds)
    bar.progress(1.0, text=text)
    return report, plans

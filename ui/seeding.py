"""Seed the demo company from the app, with a progress bar, then invalidate caches."""

from __future__ import annotations

import sqlalchemy as sa
import streamlit as st
from sqlalchemy.engine import Engine

from crm_data.config import statement_failed
from crm_data.demo import SIZES, SeedReport, seed_demo
from ui.engine import invalidate_data

__all__ = ["seed_with_progress", "size_label"]


def _compact(count: int) -> str:
    """``1500 -> '1.5 k'``, ``10_000_000 -> '10 M'``."""
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return str(count)


def size_label(name: str) -> str:
    """What demo size ``name`` holds, for the size selector: ``S: 2 k accounts, 10 k deals, …``."""
    spec = SIZES[name]
    counts = (spec.accounts, "accounts"), (spec.deals, "deals"), (spec.activities, "activities")
    listed = ", ".join(f"{_compact(n)} {what}" for n, what in counts)
    return f"{name}: {listed}"


def seed_with_progress(
    engine: Engine, size: str, seed: int = 42, force: bool = False
) -> SeedReport:
    """Run ``crm_data.demo.seed_demo`` showing its messages in ``st.progress``.

    Afterwards the data version is bumped and ``st.cache_data`` cleared, so every page reads
    the new data.  Returns the generator's ``SeedReport``.

    Raises
    ------
    crm_data.errors.NotDemoDatabase
        If the database holds non-demo data and ``force`` is false.
    crm_data.errors.DatabaseUnavailable
        If the database cannot be written (e.g. a DuckDB file locked by another process).
    """
    bar = st.progress(0.0, text=f"Seeding demo company size {size}…")

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

    try:
        report = seed_demo(engine, size=size, seed=seed, force=force, progress=progress)
    except sa.exc.SQLAlchemyError as exc:
        raise statement_failed(exc, engine) from None
    finally:
        invalidate_data()
    bar.progress(1.0, text=f"Demo company size {size} ready in {report.seconds:.1f} s")
    return report

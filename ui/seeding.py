"""Seed the demo company from the app, with a progress bar, then invalidate caches."""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlalchemy.engine import Engine

from crm_data.demo import SIZES, seed_demo
from ui.engine import bump_data_version

__all__ = ["demo_sizes", "seed_with_progress", "size_label"]


def _compact(count: int) -> str:
    """``1500 -> '1.5 k'``, ``10_000_000 -> '10 M'``."""
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return str(count)


def size_label(name: str) -> str:
    """What a demo size holds, for the size selector, e.g. ``S: 2 k accounts, 10 k deals, …``."""
    spec = SIZES.get(name)
    if spec is None:
        return name
    parts = [
        f"{_compact(getattr(spec, field))} {field}"
        for field in ("accounts", "deals", "activities")
        if isinstance(getattr(spec, field, None), int)
    ]
    return f"{name}: {', '.join(parts)}" if parts else name


def demo_sizes() -> list[str]:
    """The sizes the demo generator offers, smallest first."""
    return list(SIZES)


def seed_with_progress(engine: Engine, size: str, seed: int = 42, force: bool = False) -> Any:
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
    finally:
        st.cache_data.clear()
        bump_data_version()
    bar.progress(1.0, text=f"Demo company size {size} ready in {report.seconds:.1f} s")
    return report

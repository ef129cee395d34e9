"""The ``demo_truth`` table: planted truths as JSON documents, and demo detection."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crm_data.schema import DemoTruth

__all__ = ["GENERATOR_KEY", "is_demo_database", "load_truth", "truth_frame"]

#: The key whose presence marks a database as made by the demo generator.
GENERATOR_KEY = "generator"
_table: sa.Table = DemoTruth.__table__  # type: ignore[assignment]


def _plain(value: Any) -> Any:
    """Numpy scalars/arrays → Python values for ``json.dumps``."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def truth_frame(truth: dict[str, Any]) -> pd.DataFrame:
    """Truths as ``demo_truth`` rows (key, JSON text)."""
    return pd.DataFrame(
        {
            "key": list(truth),
            "value": [json.dumps(v, default=_plain, sort_keys=True) for v in truth.values()],
        }
    )


def is_demo_database(engine: sa.Engine) -> bool:
    """Whether the database was filled by the demo generator.

    Parameters
    ----------
    engine : sa.Engine
        The CRM database.

    Returns
    -------
    bool
        True when a ``demo_truth`` table exists and holds the ``generator`` key.
    """
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(_table.name):
            return False
        found = conn.execute(sa.select(_table.c.key).where(_table.c.key == GENERATOR_KEY)).first()
    return found is not None


def load_truth(engine: sa.Engine) -> dict[str, Any]:
    """All planted truths of a demo database, key → decoded JSON value.

    Keys include ``generator`` (size, seed, start, end, version), ``reps`` (per rep: id,
    team_id, skill = win-logit shift, base_win_prob, mean_planted_win_prob, diligence = share
    of planned activities done on time, activity_level), ``seasonality`` (12 monthly
    multipliers), ``trend`` (annual_growth), ``new_line``, ``regions``, ``win_model``,
    ``lost_reasons_by_stage``, ``campaign_response``, ``customers``, ``tickets``, ``quotas``
    (uplift, annual_growth), ``stages`` and ``activities``.

    Returns
    -------
    dict[str, Any]
        Empty when the database holds no truths.
    """
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(_table.name):
            return {}
        rows = conn.execute(sa.select(_table.c.key, _table.c.value)).all()
    return {key: json.loads(value) for key, value in rows}

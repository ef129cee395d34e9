"""The state shared by the generator steps: random generator, size, clock and arrays.

Each step reads what earlier steps left on the :class:`World` and adds its own arrays; tables
are pandas DataFrames keyed by table name in :attr:`World.tables`.  Entity arrays are indexed
by position (``id - 1``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crm_data.demo.clock import Clock
from crm_data.demo.sizes import SizeSpec

__all__ = ["World", "REGIONS", "cat"]

#: Regions with planted effects: win-probability logit shift, deal-amount multiplier,
#: market weight (share of new accounts) and cities.
REGIONS: dict[str, dict[str, Any]] = {
    "North": {
        "win_logit": 0.15,
        "amount": 1.10,
        "market": 1.0,
        "cities": ["Northport", "Frostville", "Hillcrest"],
    },
    "South": {
        "win_logit": -0.10,
        "amount": 0.90,
        "market": 1.2,
        "cities": ["Southbay", "Palmdale", "Sunridge"],
    },
    "East": {
        "win_logit": 0.00,
        "amount": 1.00,
        "market": 0.9,
        "cities": ["Eastbrook", "Harborview", "Lakeside"],
    },
    "West": {
        "win_logit": 0.30,
        "amount": 1.20,
        "market": 1.1,
        "cities": ["Westfield", "Canyon City", "Redwood"],
    },
    "Central": {
        "win_logit": -0.25,
        "amount": 0.85,
        "market": 1.3,
        "cities": ["Midtown", "Centerville", "Plainsboro"],
    },
    "Northwest": {
        "win_logit": 0.05,
        "amount": 1.00,
        "market": 0.7,
        "cities": ["Pinegrove", "Cedar Falls", "Mistport"],
    },
    "Southeast": {
        "win_logit": -0.05,
        "amount": 0.95,
        "market": 0.8,
        "cities": ["Bayside", "Magnolia", "Coral Point"],
    },
    "International": {
        "win_logit": 0.10,
        "amount": 1.50,
        "market": 0.6,
        "cities": ["Berlin", "Toronto", "Singapore"],
    },
}


def cat(codes: np.ndarray, categories: list[str] | np.ndarray) -> pd.Categorical:
    """A categorical from integer codes (``-1`` = missing)."""
    return pd.Categorical.from_codes(
        np.asarray(codes, dtype="int64"), categories=pd.Index(list(categories))
    )


@dataclass
class World:
    """Everything the generator steps share (see the module docstring)."""

    rng: np.random.Generator
    spec: SizeSpec
    clock: Clock
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    truth: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]

    def __setitem__(self, key: str, value: np.ndarray) -> None:
        self.arrays[key] = value

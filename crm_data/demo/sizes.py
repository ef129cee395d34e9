"""Demo company sizes: how many rows of each kind a seed produces."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SizeSpec", "SIZES"]


@dataclass(frozen=True)
class SizeSpec:
    """Target row counts of one demo size (generated counts land within ±20 %).

    Attributes
    ----------
    name : str
        ``XS``, ``S``, ``M`` or ``L``.
    accounts, deals, stage_changes, activities, orders, tickets : int
        Target counts of accounts, deals, ``deal_stage_history`` rows, activities, orders and
        service tickets over the 36 months of history.
    teams : int
        Sales teams (one region each).
    reps_per_team : int
        Sales reps per team at any time (some leave and are replaced).
    service_agents : int
        Service agents who handle tickets.
    campaigns : int
        Marketing campaigns over the history.
    """

    name: str
    accounts: int
    deals: int
    stage_changes: int
    activities: int
    orders: int
    tickets: int
    teams: int
    reps_per_team: int
    service_agents: int
    campaigns: int


#: The sizes ``seed_demo`` knows; XS is for tests.
SIZES: dict[str, SizeSpec] = {
    "XS": SizeSpec("XS", 300, 1_500, 6_000, 15_000, 3_000, 300, 4, 3, 2, 6),
    "S": SizeSpec("S", 2_000, 10_000, 40_000, 100_000, 20_000, 2_000, 4, 5, 4, 12),
    "M": SizeSpec("M", 20_000, 100_000, 400_000, 1_000_000, 200_000, 20_000, 6, 15, 10, 24),
    "L": SizeSpec(
        "L", 100_000, 1_000_000, 4_000_000, 10_000_000, 2_000_000, 150_000, 8, 40, 30, 36
    ),
}

"""Deterministic demo company generator (DESIGN.md §3 "Demo data").

>>> from crm_data.demo import seed_demo, SIZES          # doctest: +SKIP
>>> report = seed_demo(engine, size="S", seed=42)       # doctest: +SKIP

The same size, seed and ``end`` give identical data.  The planted truths (each rep's skill and
diligence, the seasonal profile, the trend, regional effects, lost reasons by stage, campaign
response rates, ...) are stored in ``demo_truth`` and read back with :func:`load_truth`.
"""

from crm_data.demo.seed import SeedReport, seed_demo
from crm_data.demo.sizes import SIZES, SizeSpec
from crm_data.demo.truth import is_demo_database, load_truth

__all__ = ["SIZES", "SizeSpec", "SeedReport", "seed_demo", "is_demo_database", "load_truth"]

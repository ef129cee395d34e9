"""Segment profiles (``analytics.segment_profiles``) by hand: groups over one and two
attributes, missing values as their own group, shares that add up, and age bands."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics.segment_profiles import MISSING, age_band, segment_profile

CUSTOMERS = pd.DataFrame(
    {
        "industry": ["Retail", "Retail", "Tech", "Tech", None, "Retail"],
        "gender": ["f", "m", "f", "f", "m", "f"],
        "revenue": [300.0, 100.0, 900.0, 0.0, 50.0, 200.0],
        "orders": [3, 1, 3, 0, 1, 2],
        "recency_days": [10.0, 200.0, 5.0, 900.0, 60.0, 30.0],
    }
)


def test_profile_over_one_attribute() -> None:
    profile = segment_profile(CUSTOMERS, "industry").set_index("industry")
    assert profile.index.tolist() == ["Tech", "Retail", MISSING]  # largest revenue first
    tech, retail, none = (profile.loc[k] for k in ("Tech", "Retail", MISSING))
    assert (tech["customers"], tech["revenue"], tech["average_order"]) == (2, 900.0, 300.0)
    assert retail["revenue_per_customer"] == pytest.approx(200.0)
    assert retail["orders_per_customer"] == pytest.approx(2.0)
    assert retail["median_recency_days"] == 30.0
    assert none["customers"] == 1 and none["revenue_share"] == pytest.approx(50 / 1550)
    assert profile["customer_share"].sum() == pytest.approx(1.0)
    assert profile["revenue_share"].sum() == pytest.approx(1.0)


def test_profile_over_two_attributes() -> None:
    profile = segment_profile(CUSTOMERS, ["industry", "gender"], recency=None)
    rows = {(i, g): c for i, g, c in profile[["industry", "gender", "customers"]].values}
    assert rows == {("Tech", "f"): 2, ("Retail", "f"): 2, ("Retail", "m"): 1, (MISSING, "m"): 1}
    assert "median_recency_days" not in profile.columns


def test_unknown_column_is_named() -> None:
    with pytest.raises(ValueError, match="No column 'channel'"):
        segment_profile(CUSTOMERS, "channel")


def test_age_bands_at_the_edges() -> None:
    years = pd.Series([2002, 2001, 1992, 1991, 1961, 1900, 2027])
    assert age_band(years, date(2026, 1, 1)).tolist()[:5] == [
        "<25", "25–34", "25–34", "35–44", "65+"
    ]  # fmt: skip
    assert age_band(years, date(2026, 1, 1)).isna().tolist()[5:] == [True, True]

"""The real public datasets beside the checkout (``../shared/datasets``), and the mark that
skips a test, saying where to put the files, when one is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

__all__ = [
    "CDNOW",
    "DATASETS",
    "MAVEN",
    "UCI_RETAIL",
    "needs_cdnow",
    "needs_maven",
    "needs_uci",
]

#: ``../shared/datasets`` beside the project's checkout.
DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
#: Maven's "CRM + Sales + Opportunities" CSVs.
MAVEN = DATASETS / "maven_crm_sales_opportunities"
#: Skips a test without Maven's CSVs, saying where they go.
needs_maven = pytest.mark.skipif(
    not (MAVEN / "sales_pipeline.csv").is_file(),
    reason=f"Maven dataset not found at {MAVEN} (copy the CSVs of Maven's "
    "'CRM+Sales+Opportunities.zip' there to run these tests)",
)

#: CDNOW transactions and the BTYD summaries (``lifetimes`` datasets).
CDNOW = DATASETS / "cdnow"
#: Skips a test without the CDNOW files, saying where they go.
needs_cdnow = pytest.mark.skipif(
    not (CDNOW / "CDNOW_sample.txt").is_file(),
    reason=f"CDNOW dataset not found at {CDNOW} (copy lifetimes' datasets/ folder there)",
)
#: UCI "Online Retail" (dataset #352), one gzipped CSV.
UCI_RETAIL = DATASETS / "uci_online_retail" / "online_retail.csv.gz"
#: Skips a test without the UCI Online Retail file, saying where it goes.
needs_uci = pytest.mark.skipif(
    not UCI_RETAIL.is_file(),
    reason=f"UCI Online Retail not found at {UCI_RETAIL} (gzip the dataset's CSV there)",
)

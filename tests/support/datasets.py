"""The real public datasets beside the checkout (``../shared/datasets``), and the mark that
skips a test, saying where to put the files, when one is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

__all__ = ["DATASETS", "MAVEN", "needs_maven"]

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

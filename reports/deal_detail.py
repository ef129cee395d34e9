"""The drill-through of a deal: its summary row, stage history and activity timeline."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from crm_data.filters import Scope
from crm_data.queries.deal_detail import deal_activities, deal_history
from crm_data.queries.deal_lists import deal_labels
from crm_data.queries.frames import Bind

__all__ = ["DealDetail", "deal_detail"]


@dataclass(frozen=True)
class DealDetail:
    """``summary`` is one row of ``deal_labels`` (empty when the deal is not visible)."""

    summary: pd.DataFrame
    history: pd.DataFrame
    activities: pd.DataFrame

    @property
    def found(self) -> bool:
        """Whether the deal exists and the scope may see it."""
        return not self.summary.empty


def deal_detail(bind: Bind, scope: Scope, deal_id: int) -> DealDetail:
    """Summary, stage history and activities of ``deal_id`` as ``scope`` may see them."""
    return DealDetail(
        summary=deal_labels(bind, scope, [deal_id]),
        history=deal_history(bind, scope, deal_id),
        activities=deal_activities(bind, scope, deal_id),
    )

"""Query layer: SQLAlchemy Core queries returning small, typed DataFrames (DESIGN.md §2, §7).

Every function takes ``(bind, filters, scope, ...)``: an engine or connection, the user's
:class:`~crm_data.filters.Filters` and :class:`~crm_data.filters.Scope`.  Scope is enforced in
SQL by :mod:`crm_data.queries.where`; the database does the scanning and grouping and returns
already-reduced frames with identical dtypes on every dialect (:mod:`crm_data.queries.frames`).

Nothing at or after ``as_of`` counts (METRICS.md "Conventions"): events of the period go through
:func:`crm_data.queries.where.in_period` (``start <= t < min(end, as_of)``), snapshots read the
state at ``as_of`` (:mod:`crm_data.queries.history`), a snapshot asked for later is taken at
``as_of`` (:meth:`~crm_data.filters.Filters.capped`), and a deal counts with its stage and amount
at ``as_of``.  ``tests/test_as_of.py`` checks every function that takes ``Filters``.  The few
that take none describe the data as it is now and count nothing: one deal's whole record
(:mod:`~crm_data.queries.deal_detail`), deal labels, currencies, employees and filter choices,
pipelines and stages.
"""

from crm_data.queries.activity import activities_by_rep_type_period
from crm_data.queries.activity_kpis import (
    employment_spans,
    followup_stats,
    lead_response_times,
    new_line_clients,
)
from crm_data.queries.customer_contacts import customer_contacts, customer_contacts_at
from crm_data.queries.customers import customer_summary
from crm_data.queries.deal_flow import deal_flow_by_month
from crm_data.queries.deal_lists import deal_labels, largest_deals
from crm_data.queries.frames import read_frame
from crm_data.queries.funnel import deals_closed, stage_high_water_marks, stage_visits
from crm_data.queries.funnel_stats import (
    closed_deal_stats,
    funnel_facts,
    funnel_stages,
    lost_deal_reasons,
    open_deal_counts,
    pipeline_names,
    pipeline_pairs,
    quota_total,
    stage_durations,
    stage_transitions,
)
from crm_data.queries.grouping import GROUPINGS
from crm_data.queries.orders import orders_by_month
from crm_data.queries.overdue import count_overdue_activities, overdue_activities
from crm_data.queries.people import FilterOptions, filter_options, people
from crm_data.queries.pipeline import (
    open_pipeline_by_stage,
    pipeline_snapshots,
    stuck_deal_candidates,
)

__all__ = [
    "GROUPINGS",
    "FilterOptions",
    "activities_by_rep_type_period",
    "closed_deal_stats",
    "count_overdue_activities",
    "customer_contacts",
    "customer_contacts_at",
    "customer_summary",
    "deal_flow_by_month",
    "deal_labels",
    "deals_closed",
    "employment_spans",
    "filter_options",
    "followup_stats",
    "funnel_facts",
    "funnel_stages",
    "largest_deals",
    "lead_response_times",
    "lost_deal_reasons",
    "new_line_clients",
    "open_deal_counts",
    "open_pipeline_by_stage",
    "orders_by_month",
    "overdue_activities",
    "people",
    "pipeline_names",
    "pipeline_pairs",
    "pipeline_snapshots",
    "quota_total",
    "read_frame",
    "stage_durations",
    "stage_high_water_marks",
    "stage_transitions",
    "stage_visits",
    "stuck_deal_candidates",
]

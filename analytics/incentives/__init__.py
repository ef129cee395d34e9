"""Incentive scorecards (METRICS.md "Incentive scorecards"), one concept per module:

* :mod:`~analytics.incentives.plan`: the plan (:class:`~analytics.incentives.plan.PlanItem`,
  :class:`~analytics.incentives.plan.Plan`) and the period it may cover
  (:func:`~analytics.incentives.plan.check_period`);
* :mod:`~analytics.incentives.targets`: each rep's target, resolved and prorated;
* :mod:`~analytics.incentives.scoring`: attainment, credited attainment, an item's next step,
  the scorecard (points, score, bonus);
* :mod:`~analytics.incentives.pacing`: on track, at risk or off track;
* :mod:`~analytics.incentives.what_if`: two plans on the same actuals;
* :mod:`~analytics.incentives.plan_warnings`: plan sanity warnings;
* :mod:`~analytics.incentives.gaming_signals`: signs that an activity KPI is being gamed.

Import each name from its module (``from analytics.incentives.scoring import scorecard``): the
package itself exports nothing, so every name has one path.  **Weights, thresholds and caps are
fractions** throughout: 0.3 = 30 %, 1.5 = 150 %.
"""

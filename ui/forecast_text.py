"""How the Forecast page names its models, methods, categories and quarters, and words the
guards' fallbacks, in the user's language.
"""

from __future__ import annotations

from datetime import date

from analytics.forecast_models import Rejection
from i18n import N_, _

__all__ = ["method_label", "model_label", "quarter_name", "rejection_text"]

#: The time-series models (``analytics.forecast_models.MODELS``) as shown.
MODEL_LABELS: dict[str, str] = {
    "seasonal_naive": N_("Seasonal naive"), "ets": N_("ETS"), "theta": N_("Theta"),
    "sarimax": N_("SARIMAX"), "none": N_("no model: too little history"),
}  # fmt: skip
#: The forecast methods and the pipeline's forecast categories as shown.
METHOD_LABELS: dict[str, str] = {
    "combined": N_("Combined"), "time_series": N_("Time series"), "pipeline": N_("Pipeline"),
    "commit": N_("Commit"), "best case": N_("Best case"),
}  # fmt: skip
#: Why the guards set a model's forecast aside (``Rejection.reason``).
REJECTIONS: dict[str, str] = {
    "nan": N_("{model} was set aside: its forecast was not a number."),
    "negative": N_("{model} was set aside: it forecast negative revenue."),
    "explodes": N_("{model} was set aside: it forecast more than 3 times the largest month."),
    "fit_error": N_("{model} was set aside: it could not be fitted to this history."),
}


def model_label(model: str) -> str:
    """A time-series model's name in the user's language."""
    return _(MODEL_LABELS[model]) if model in MODEL_LABELS else model


def method_label(method: str) -> str:
    """A forecast method or category in the user's language."""
    return _(METHOD_LABELS[method]) if method in METHOD_LABELS else method


def quarter_name(start: date) -> str:
    """``Q4 2026`` for the quarter starting on ``start``, in the user's language."""
    return _("Q{quarter} {year}").format(quarter=(start.month - 1) // 3 + 1, year=start.year)


def rejection_text(rejection: Rejection) -> str:
    """One sentence on a model the guards set aside."""
    text = REJECTIONS.get(rejection.reason, REJECTIONS["fit_error"])
    return _(text).format(model=model_label(rejection.model))

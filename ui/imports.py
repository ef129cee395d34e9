"""The import log as the Data page lists it (``python -m crm_data import`` writes it)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from crm_data.importer.log import recent_imports
from i18n import N_, _
from i18n.formatting import format_day
from ui.engine import get_app_engine

__all__ = ["IMPORT_COLUMNS", "load_imports"]

#: The columns the Data page shows, in order (``ui.labels.COLUMNS`` names them).
IMPORT_COLUMNS = ["imported", "file_name", "source", "mapping_name", "rows_added",
                  "rows_updated", "rows_rejected", "outcome", "user_email", "message"]  # fmt: skip
#: An import's outcome as the table reads it.
OUTCOMES = {
    "ok": N_("imported"),
    "invalid": N_("refused: invalid rows"),
    "failed": N_("failed"),
}
#: A dry run that found nothing wrong.
CHECKED = N_("checked, nothing written (dry run)")
#: How many imports are listed, the newest first.
LISTED = 100


def _outcome(code: str, dry_run: bool) -> str:
    """How an import's outcome reads: ``ok`` is "imported", or "checked" for a dry run."""
    if dry_run and code == "ok":
        return _(CHECKED)
    said = _(OUTCOMES.get(code, code))
    return _("{outcome} (dry run)").format(outcome=said) if dry_run else said


def load_imports() -> pd.DataFrame | None:
    """The last :data:`LISTED` imports with :data:`IMPORT_COLUMNS`, the time, the outcome (a
    dry run says so) and who imported ("command line" for the CLI) as they read; None when
    the app database does not answer.
    """
    try:
        log = recent_imports(get_app_engine(), LISTED)
    except sa.exc.SQLAlchemyError:
        return None
    when = pd.to_datetime(log["imported_at"])
    imported = [f"{format_day(t)} {t:%H:%M}" for t in when]
    outcome = [_outcome(str(o), bool(dry)) for o, dry in zip(log["outcome"], log["dry_run"],
                                                             strict=True)]  # fmt: skip
    by = log["user_email"].astype(object).where(log["user_email"].notna(), _("command line"))
    return log.assign(imported=imported, outcome=outcome, user_email=by)[IMPORT_COLUMNS]

"""``Filters`` (what the user asked to see) and ``Scope`` (what the user may see), DESIGN.md §4.

Both are frozen, hashable values so they can key caches.  Every query function in
``crm_data.queries`` takes one of each; the scope is enforced there, in SQL, and filters can only
narrow it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from access.roles import ROLES, Role, sees_all_rows

__all__ = ["Filters", "Scope"]

Moment = TypeVar("Moment", date, datetime)


def _ids(values: object) -> tuple[int, ...]:
    return tuple(sorted({int(v) for v in values}))  # type: ignore[attr-defined]


def _names(values: object) -> tuple[str, ...]:
    return tuple(sorted({str(v) for v in values}))  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Filters:
    """The user's selection: a half-open period ``[start, end)`` and optional narrowing lists.

    Empty tuples mean "no restriction".  ``as_of`` (default: ``end``) is the moment the
    snapshot-style metrics are evaluated at; nothing reads the clock, and nothing at or after
    ``as_of`` counts: event counts of the period stop at :attr:`until` (the earlier of ``end``
    and ``as_of``), snapshots are taken at ``as_of`` at the latest (:meth:`capped`).

    Parameters
    ----------
    start, end : date
        The period, ``start`` included and ``end`` excluded.
    compare_start, compare_end : date, optional
        The comparison period; defaults to the previous period of equal length.
    teams, reps : tuple of int
        Team and employee ids.
    regions, product_lines, segments : tuple of str
        Account regions, deal/product lines and account size bands.
    pipeline : str, optional
        Restrict deals to the stages of one pipeline.
    as_of : date, optional
        Evaluation date; defaults to ``end``.

    Examples
    --------
    >>> f = Filters(date(2025, 1, 1), date(2025, 4, 1))
    >>> f.compare_period()
    (datetime.date(2024, 10, 3), datetime.date(2025, 1, 1))
    """

    start: date
    end: date
    compare_start: date | None = None
    compare_end: date | None = None
    teams: tuple[int, ...] = ()
    reps: tuple[int, ...] = ()
    regions: tuple[str, ...] = ()
    product_lines: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    pipeline: str | None = None
    as_of: date | None = field(default=None)

    def __post_init__(self) -> None:
        if not isinstance(self.start, date) or not isinstance(self.end, date):
            raise TypeError("Filters.start and Filters.end must be dates")
        if self.end <= self.start:
            raise ValueError(
                f"The period is empty: end {self.end} is not after start {self.start}."
            )
        if (self.compare_start is None) != (self.compare_end is None):
            raise ValueError("Give both compare_start and compare_end, or neither.")
        object.__setattr__(self, "teams", _ids(self.teams))
        object.__setattr__(self, "reps", _ids(self.reps))
        object.__setattr__(self, "regions", _names(self.regions))
        object.__setattr__(self, "product_lines", _names(self.product_lines))
        object.__setattr__(self, "segments", _names(self.segments))

    @property
    def start_ts(self) -> datetime:
        """Period start as a timestamp (midnight)."""
        return datetime.combine(self.start, time.min)

    @property
    def end_ts(self) -> datetime:
        """Period end (exclusive) as a timestamp (midnight)."""
        return datetime.combine(self.end, time.min)

    @property
    def as_of_ts(self) -> datetime:
        """The evaluation moment: midnight at the start of ``as_of`` (default ``end``)."""
        return datetime.combine(self.as_of or self.end, time.min)

    @property
    def until(self) -> date:
        """Where what counts of the period stops (excluded): the earlier of ``end`` and
        ``as_of``; nothing at or after ``as_of`` counts (METRICS.md "Conventions").

        Examples
        --------
        >>> Filters(date(2026, 7, 1), date(2026, 10, 1), as_of=date(2026, 8, 15)).until
        datetime.date(2026, 8, 15)
        >>> Filters(date(2026, 7, 1), date(2026, 10, 1), as_of=date(2027, 1, 1)).until
        datetime.date(2026, 10, 1)
        """
        return min(self.end, self.as_of or self.end)

    @property
    def until_ts(self) -> datetime:
        """:attr:`until` as a timestamp (midnight)."""
        return datetime.combine(self.until, time.min)

    def capped(self, moment: Moment) -> Moment:
        """``moment``, or ``as_of`` when that is earlier (a date stays a date, a datetime a
        datetime): a snapshot asked for after ``as_of`` is taken at ``as_of``, since nothing
        later is known.

        Examples
        --------
        >>> f = Filters(date(2026, 7, 1), date(2026, 10, 1), as_of=date(2026, 8, 15))
        >>> f.capped(date(2026, 9, 1)), f.capped(date(2026, 7, 1))
        (datetime.date(2026, 8, 15), datetime.date(2026, 7, 1))
        >>> f.capped(datetime(2026, 8, 15, 9, 30))
        datetime.datetime(2026, 8, 15, 0, 0)
        """
        if isinstance(moment, datetime):
            return min(moment, self.as_of_ts)
        return min(moment, self.as_of or self.end)

    def compare_period(self) -> tuple[date, date]:
        """The comparison period: as given, else the previous period of equal length."""
        if self.compare_start is not None and self.compare_end is not None:
            return self.compare_start, self.compare_end
        length = self.end - self.start
        return self.start - length, self.start

    def shifted(self, start: date, end: date) -> Filters:
        """The same narrowing lists over another period (as_of follows the new end)."""
        return Filters(
            start,
            end,
            teams=self.teams,
            reps=self.reps,
            regions=self.regions,
            product_lines=self.product_lines,
            segments=self.segments,
            pipeline=self.pipeline,
        )

    def comparison(self) -> Filters:
        """Filters for the comparison period."""
        start, end = self.compare_period()
        return self.shifted(start, end)

    @classmethod
    def last_days(cls, as_of: date, days: int, **kwargs: object) -> Filters:
        """Filters for the ``days`` days before ``as_of`` (``as_of`` excluded)."""
        return cls(as_of - timedelta(days=days), as_of, **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Scope:
    """Who is asking, and so which rows they may see.

    ``exec``, ``analyst`` and ``admin`` see everything; a ``head`` sees the rows of the reps of
    ``team_id``; a ``rep`` sees only rows owned by ``employee_id``
    (:func:`access.roles.sees_all_rows`).  A role given as text becomes its :class:`Role`.

    Raises
    ------
    ValueError
        On an unknown role, if a rep has no ``employee_id`` or a head no ``team_id``.
    """

    role: Role = Role.ADMIN
    employee_id: int | None = None
    team_id: int | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"Unknown role {self.role!r}; expected one of {ROLES}.")
        object.__setattr__(self, "role", Role(self.role))
        if self.role == Role.REP and self.employee_id is None:
            raise ValueError("A rep scope needs the rep's employee_id.")
        if self.role == Role.HEAD and self.team_id is None:
            raise ValueError("A head scope needs the head's team_id.")

    @property
    def sees_all(self) -> bool:
        """True for roles that see every row (:func:`access.roles.sees_all_rows`)."""
        return sees_all_rows(self.role)

    @classmethod
    def everyone(cls) -> Scope:
        """The unrestricted scope of an admin (local single-user mode)."""
        return cls(Role.ADMIN)

    @classmethod
    def rep(cls, employee_id: int) -> Scope:
        """The scope of one rep."""
        return cls(Role.REP, employee_id=employee_id)

    @classmethod
    def head(cls, team_id: int, employee_id: int | None = None) -> Scope:
        """The scope of the head of ``team_id``."""
        return cls(Role.HEAD, employee_id=employee_id, team_id=team_id)

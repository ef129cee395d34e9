"""People and teams named for display: a name that several ids share gets its id."""

from __future__ import annotations

from collections import Counter

import pandas as pd

__all__ = ["names_by_id"]


def names_by_id(frame: pd.DataFrame, id_column: str, name_column: str = "name") -> dict[int, str]:
    """``{id: name}`` of a frame of people or teams, in the frame's order (for pickers and labels).

    A name that several ids share gets its id, ``"Ann Lee (#12)"``, as the ``rep`` grouping
    writes it, so that a picker never offers two options that read the same.

    Examples
    --------
    >>> names_by_id(pd.DataFrame({"team_id": [2, 1], "name": ["South", "North"]}), "team_id")
    {2: 'South', 1: 'North'}
    >>> names_by_id(pd.DataFrame({"rep_id": [7, 9, 4], "name": ["Ann", "Bo", "Ann"]}), "rep_id")
    {7: 'Ann (#7)', 9: 'Bo', 4: 'Ann (#4)'}
    """
    ids = frame[id_column].astype(int).tolist()
    names = frame[name_column].tolist()
    shared = {name for name, count in Counter(names).items() if count > 1}
    return {
        id_: f"{name} (#{id_})" if name in shared else name
        for id_, name in zip(ids, names, strict=True)
    }

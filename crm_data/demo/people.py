"""Teams, employees, accounts and contacts of the demo company."""

from __future__ import annotations

import numpy as np
import pandas as pd

from access.roles import EmployeeRole
from crm_data.demo.names import company_names, join, person_names, phones
from crm_data.demo.world import REGIONS, World, cat

__all__ = ["make_people", "make_accounts", "pick_rep", "active", "SIZE_AMOUNT"]

INDUSTRIES = [
    "Retail",
    "Manufacturing",
    "IT",
    "Finance",
    "Healthcare",
    "Construction",
    "Logistics",
    "Education",
    "Hospitality",
]
SIZE_BANDS = ["1-10", "11-50", "51-200", "201-1000", "1000+"]
SIZE_P = np.array([0.30, 0.30, 0.20, 0.13, 0.07])
#: Deal-amount multiplier per size band, then for persons.
SIZE_AMOUNT = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 0.3])
SOURCES = ["web", "referral", "cold call", "event", "partner"]
SOURCE_P = np.array([0.35, 0.2, 0.2, 0.13, 0.12])
POSITIONS = ["CEO", "Buyer", "Procurement manager", "IT manager", "CFO", "Office manager"]
INCOME = ["low", "middle", "high", "very high"]
#: Share of reps per team who leave during the history (and are replaced).
LEAVER_SHARE = 0.25


def make_people(w: World) -> None:
    """Teams and employees; leaves rep arrays (``rep_*``) on the world."""
    rng, spec, clock = w.rng, w.spec, w.clock
    regions = list(REGIONS)[: spec.teams]
    n_teams = len(regions)
    rows: list[dict] = []

    def add(role: EmployeeRole, team: int | None, hired: float, left: float = np.inf) -> int:
        rows.append({"role": role, "team": team, "hired": float(hired), "left": float(left)})
        return len(rows)

    add(EmployeeRole.EXEC, None, -2000)
    add(EmployeeRole.ANALYST, None, -900)
    add(EmployeeRole.ANALYST, None, round(rng.uniform(100, 400)))
    heads, rep_rows = [], []
    for t in range(n_teams):
        heads.append(add(EmployeeRole.HEAD, t, -round(rng.uniform(400, 3000))))
        for slot in range(spec.reps_per_team):
            # the first rep of a team is there from before the start to the end, so every
            # team has someone to own its accounts and deals at any time
            senior = slot == 0
            hired = (
                -rng.uniform(30, 1500) if senior or rng.random() < 0.85 else rng.uniform(30, 300)
            )
            hired = round(hired)
            if not senior and rng.random() < LEAVER_SHARE:
                # the replacement is hired 5-45 days later, still before the end
                quit_day = round(rng.uniform(max(hired, 0) + 150, clock.horizon - 50))
                rep_rows.append(add(EmployeeRole.REP, t, hired, quit_day))
                rep_rows.append(add(EmployeeRole.REP, t, quit_day + round(rng.uniform(5, 45))))
            else:
                rep_rows.append(add(EmployeeRole.REP, t, hired))
    for _ in range(spec.service_agents):
        add(EmployeeRole.SERVICE, None, -round(rng.uniform(30, 1500)))
    emp = pd.DataFrame(rows)
    n = len(emp)
    first, last = person_names(rng, n)
    ids = np.arange(1, n + 1)
    left = emp["left"].to_numpy()
    w.tables["teams"] = pd.DataFrame(
        {
            "id": np.arange(1, n_teams + 1),
            "name": [f"{r} Sales" for r in regions],
            "region": regions,
            "head_id": heads,
        }
    )
    w.tables["employees"] = pd.DataFrame(
        {
            "id": ids,
            "name": join(first, " ", last),
            "email": join(
                np.char.lower(first.astype(str)),
                ".",
                np.char.lower(last.astype(str)),
                ids.astype(str),
                "@demo-crm.example",
            ),
            "role": emp["role"].to_numpy(),
            "team_id": pd.array(emp["team"].to_numpy(dtype=float) + 1, dtype="Int64"),
            "hired_at": clock.dates(emp["hired"].to_numpy()),
            "left_at": clock.dates(np.where(np.isinf(left), np.nan, left)),
        }
    )
    reps = np.array(rep_rows) - 1
    nr = len(reps)
    w["rep_id"] = reps + 1
    w["rep_team"] = emp["team"].to_numpy()[reps].astype(int)
    w["rep_hired"] = emp["hired"].to_numpy()[reps]
    w["rep_left"] = left[reps]
    w["rep_skill"] = np.round(rng.normal(0, 0.45, nr), 3)
    w["rep_diligence"] = np.round(np.clip(rng.beta(6, 2, nr), 0.35, 0.98), 3)
    w["rep_activity"] = np.round(np.clip(rng.lognormal(0, 0.3, nr), 0.5, 2.2), 3)
    w["emp_hired"], w["emp_left"] = emp["hired"].to_numpy(), left
    w["team_head"] = np.array(heads)
    w["service_id"] = ids[emp["role"].to_numpy() == EmployeeRole.SERVICE]
    w["team_rep_start"] = np.searchsorted(w["rep_team"], np.arange(n_teams))
    w["team_rep_count"] = np.bincount(w["rep_team"], minlength=n_teams)
    w.truth["reps"] = [
        {
            "id": int(w["rep_id"][i]),
            "team_id": int(w["rep_team"][i] + 1),
            "skill": float(w["rep_skill"][i]),
            "diligence": float(w["rep_diligence"][i]),
            "activity_level": float(w["rep_activity"][i]),
        }
        for i in range(nr)
    ]


def active(w: World, rep: np.ndarray, t: np.ndarray, until: np.ndarray | None = None) -> np.ndarray:
    """Whether each rep (index) is employed at time ``t``: hired by then and not yet left.

    With ``until`` (at or after ``t``), employed over all of ``[t, until]``: hired by ``t`` and
    not left by ``until``.
    """
    return (w["rep_hired"][rep] <= t) & (w["rep_left"][rep] > (t if until is None else until))


def pick_rep(
    w: World,
    team: np.ndarray,
    t: np.ndarray,
    preferred: np.ndarray | None = None,
    until: np.ndarray | None = None,
) -> np.ndarray:
    """A rep index of each ``team`` employed at time ``t`` (with ``until``: up to ``until``).

    ``preferred`` reps (indexes) are kept where they are employed at ``t``; the others (all,
    without ``preferred``) get a rep drawn uniformly among those of the team employed at ``t``.
    ``until`` (times at or after ``t``) asks for a rep employed over all of ``[t, until]``, e.g.
    one who takes a deal over and keeps it to its close.

    Raises
    ------
    AssertionError
        If a team has nobody employed at some ``t`` (cannot happen: every team keeps its
        first rep from before the start to the end).
    """
    rng = w.rng
    team = np.asarray(team)
    t = np.broadcast_to(np.asarray(t, dtype=float), team.shape)
    end = t if until is None else np.broadcast_to(np.asarray(until, dtype=float), team.shape)
    start, count = w["team_rep_start"][team], w["team_rep_count"][team]
    if preferred is None:
        out = start + (rng.random(len(team)) * count).astype(int)
    else:
        out = np.array(preferred, dtype=int, copy=True)
    todo = np.flatnonzero(~active(w, out, t, end))
    # rejection sampling settles almost everything; the exact draw below takes the rest
    for _ in range(8):
        if not todo.size:
            return out
        out[todo] = start[todo] + (rng.random(len(todo)) * count[todo]).astype(int)
        todo = todo[~active(w, out[todo], t[todo], end[todo])]
    if todo.size:
        slots = np.arange(count.max())
        cand = start[todo, None] + np.minimum(slots, count[todo, None] - 1)
        ok = (slots < count[todo, None]) & active(w, cand, t[todo, None], end[todo, None])
        n_ok = ok.sum(1)
        assert (n_ok > 0).all(), "a team has no rep employed at some time"
        k = (rng.random(len(todo)) * n_ok).astype(int)
        out[todo] = cand[np.arange(len(todo)), (np.cumsum(ok, 1) > k[:, None]).argmax(1)]
    return out


def make_accounts(w: World) -> None:
    """Accounts and their contacts; leaves ``acc_*`` and ``contact_*`` arrays."""
    rng, clock, n = w.rng, w.clock, w.spec.accounts
    n_teams = len(w["team_head"])
    backlog = rng.random(n) < 0.2
    created = np.where(
        backlog,
        rng.uniform(0, 30, n),
        clock.business_time(np.zeros(n), clock.horizon - 7, rng.random(n)),
    )
    order = np.argsort(created, kind="stable")
    created, backlog = created[order], backlog[order]
    market = np.array([REGIONS[r]["market"] for r in list(REGIONS)[:n_teams]])
    team = rng.choice(n_teams, n, p=market / market.sum())
    owner = pick_rep(w, team, created)
    company = rng.random(n) < 0.75
    size = np.where(company, rng.choice(5, n, p=SIZE_P), 5)
    regions = list(REGIONS)[:n_teams]
    city_idx = team * 3 + rng.integers(0, 3, n)
    cities = [c for r in regions for c in REGIONS[r]["cities"]]
    first, last = person_names(rng, n)
    names = np.where(company, company_names(rng, n), join(first, " ", last))
    w.tables["accounts"] = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "name": names,
            "kind": cat(np.where(company, 0, 1), ["company", "person"]),
            "industry": cat(np.where(company, rng.integers(0, len(INDUSTRIES), n), -1), INDUSTRIES),
            "region": cat(team, regions),
            "city": cat(city_idx, cities),
            "size_band": cat(np.where(company, size, -1), SIZE_BANDS),
            "source": cat(rng.choice(len(SOURCES), n, p=SOURCE_P), SOURCES),
            "owner_id": w["rep_id"][owner],
            "created_at": clock.stamps(created),
            "gender": cat(np.where(company, -1, rng.integers(0, 2, n)), ["female", "male"]),
            "birth_year": pd.array(
                np.where(company, np.nan, rng.integers(1950, 2003, n)), dtype="Int64"
            ),
            "income_band": cat(
                np.where(company, -1, rng.choice(4, n, p=[0.3, 0.4, 0.22, 0.08])), INCOME
            ),
        }
    )
    w["acc_created"] = created
    w["acc_backlog"] = backlog
    w["acc_name"] = np.asarray(names, dtype=object)
    w["acc_team"] = team
    w["acc_owner"] = owner
    w["acc_size"] = size
    w["acc_source"] = w.tables["accounts"]["source"].cat.codes.to_numpy()
    # contacts: one for a person, 1-5 for a company, contiguous ids per account
    n_contacts = np.where(company, 1 + np.minimum(rng.poisson(1.2, n), 4), 1)
    first_contact = np.concatenate([[0], np.cumsum(n_contacts)[:-1]])
    acc = np.repeat(np.arange(n), n_contacts)
    nc = len(acc)
    cf, cl = person_names(rng, nc)
    is_first = np.arange(nc) == first_contact[acc]
    cf = np.where(is_first & ~company[acc], first[acc], cf)
    cl = np.where(is_first & ~company[acc], last[acc], cl)
    w.tables["contacts"] = pd.DataFrame(
        {
            "id": np.arange(1, nc + 1),
            "account_id": acc + 1,
            "name": join(cf, " ", cl),
            "email": join(
                np.char.lower(cf.astype(str)),
                ".",
                np.char.lower(cl.astype(str)),
                (acc + 1).astype(str),
                "@example.com",
            ),
            "phone": phones(rng, nc),
            "position": cat(
                np.where(company[acc], rng.integers(0, len(POSITIONS), nc), -1), POSITIONS
            ),
            "created_at": clock.stamps(clock.clip(created[acc] + rng.uniform(0, 0.05, nc))),
        }
    )
    w["acc_first_contact"] = first_contact
    w["acc_n_contacts"] = n_contacts

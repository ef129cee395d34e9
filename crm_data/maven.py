"""Load the Maven Analytics "CRM + Sales + Opportunities" dataset into the canonical schema.

The dataset (``shared/datasets/maven_crm_sales_opportunities``, see its README) is the synthetic
B2B pipeline of a fictitious hardware seller: 8,800 opportunities, 85 accounts, 7 products and
35 sales agents under 6 managers in 3 regional offices.  :func:`load_maven` validates the CSVs,
maps them onto the tables of :mod:`crm_data.schema` and bulk-loads them into an empty database.

Mapping
-------
=====================  ======================================================================
table                  from
=====================  ======================================================================
teams                  one team per manager (``sales_teams.manager``): name
                       ``"<office> (<manager>)"``, ``region`` = the regional office
                       (Central/East/West), ``head_id`` = the manager
employees              managers (role ``head``, ids 1..6 in team order) then agents (role
                       ``rep``, in ``sales_teams.csv`` order, agents without deals included);
                       e-mail ``first.last@maventech.example`` made from the name;
                       ``hired_at`` = :data:`EARLY` (the dataset has no hire dates)
accounts               ``accounts.csv`` in file order, ``kind`` company, ``industry`` = sector
                       (typo ``technolgy`` → ``technology``), ``region`` = ``office_location``
                       (the account's country: an account buys from two or three regional
                       offices, so the office is the *team's* region, not the account's),
                       ``size_band`` from ``employees`` in the demo's bands (1-10, 11-50,
                       51-200, 201-1000, 1000+), no owner, ``created_at`` = :data:`EARLY`;
                       plus one placeholder account :data:`NO_ACCOUNT` (last id, no
                       attributes) for the 1,425 opportunities without an account
products               ``products.csv``: ``product_line`` = series, ``price`` = sales_price
stages                 pipeline :data:`PIPELINE`: Prospecting (1, p 0.1), Engaging (2, p 0.5),
                       Won (3, terminal, p 1), Lost (4, terminal, p 0); ``rot_days`` NULL
lost_reasons           none (the dataset has no loss reasons; ``lost_reason_id`` is NULL)
deals                  one per opportunity in file order; ``title`` = opportunity_id;
                       ``product_line`` = the product's series (``GTXPro`` → ``GTX Pro``);
                       ``amount`` = close_value for Won, else the product's sales_price (Lost
                       deals have close_value 0 and open ones none: methods.md §1.4);
                       ``created_at`` = engage_date, for Prospecting deals (no engage_date)
                       the last engage_date of the file; ``closed_at`` = close_date of Won and
                       Lost deals; ``status`` won/lost/open; ``stage_id`` = the current
                       stage; currency USD
deal_stage_history     Prospecting deals: one Prospecting row at ``created_at``; the others an
                       Engaging row at engage_date and, for Won/Lost, a Won/Lost row at
                       close_date.  Open-stage rows carry the list price (sales_price), the
                       terminal row the deal's amount; ``changed_by`` = the deal owner
=====================  ======================================================================

Not loaded: ``accounts.year_established``, ``revenue`` and ``subsidiary_of`` (no columns in the
schema) and ``data_dictionary.csv``.  All times are midnights (the files have dates only).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from access.roles import EmployeeRole
from crm_data.bulk import analyze_tables, bulk_insert, sync_sequences
from crm_data.schema import CRM_TABLES, Base

__all__ = [
    "EARLY",
    "MAVEN_COLUMNS",
    "NO_ACCOUNT",
    "PIPELINE",
    "load_maven",
    "maven_tables",
    "read_maven",
]

#: Required columns of each file (other columns are ignored).
MAVEN_COLUMNS: dict[str, tuple[str, ...]] = {
    "sales_pipeline.csv": (
        "opportunity_id",
        "sales_agent",
        "product",
        "account",
        "deal_stage",
        "engage_date",
        "close_date",
        "close_value",
    ),
    "accounts.csv": ("account", "sector", "employees", "office_location"),
    "products.csv": ("product", "series", "sales_price"),
    "sales_teams.csv": ("sales_agent", "manager", "regional_office"),
}
#: The pipeline (``stages.pipeline``) the deals are loaded into.
PIPELINE = "Maven"
#: Name of the placeholder account of the opportunities without one.
NO_ACCOUNT = "(no account)"
#: Hire date of every employee and creation date of every account (the files have neither).
EARLY = date(2016, 1, 1)
EMAIL_DOMAIN = "maventech.example"
#: Product names of ``sales_pipeline.csv`` that ``products.csv`` spells differently.
PRODUCT_FIXES = {"GTXPro": "GTX Pro"}
#: Typos in ``accounts.sector``.
SECTOR_FIXES = {"technolgy": "technology"}
#: (name, position, probability, is_won, is_lost); ids are 1..4 in this order.
STAGES = (
    ("Prospecting", 1, 0.1, False, False),
    ("Engaging", 2, 0.5, False, False),
    ("Won", 3, 1.0, True, False),
    ("Lost", 4, 0.0, False, True),
)
STAGE_IDS = {name: i for i, (name, *_rest) in enumerate(STAGES, start=1)}
STATUS = {"Prospecting": "open", "Engaging": "open", "Won": "won", "Lost": "lost"}
#: Upper bounds (employees) of the size bands, as in the demo generator.
SIZE_BINS = (0, 10, 50, 200, 1000, np.inf)
SIZE_BANDS = ("1-10", "11-50", "51-200", "201-1000", "1000+")
GET_IT = (
    "Use the five CSVs of Maven's 'CRM+Sales+Opportunities.zip' unchanged "
    "(see the dataset's README.md)."
)


# ---- reading and validation -----------------------------------------------------------------


def _fail(file: str, column: str | None, problem: str) -> ValueError:
    where = f"{file}, column {column!r}" if column else file
    return ValueError(f"Maven dataset: {where}: {problem}. {GET_IT}")


def read_maven(folder: Path) -> dict[str, pd.DataFrame]:
    """Read and validate the four CSV files of the Maven dataset.

    Every column is read as text (empty cells → missing); values are checked and converted
    later by :func:`maven_tables`.

    Parameters
    ----------
    folder : Path
        The folder holding ``sales_pipeline.csv``, ``accounts.csv``, ``products.csv`` and
        ``sales_teams.csv``.

    Returns
    -------
    dict[str, DataFrame]
        File name → its rows, with (at least) the columns of :data:`MAVEN_COLUMNS`.

    Raises
    ------
    ValueError
        If the folder or a file is missing or a file lacks a required column; the message
        names the file and the column and says what to do.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(
            f"Maven dataset: folder {folder} not found. Point to the folder holding "
            f"{', '.join(MAVEN_COLUMNS)}. {GET_IT}"
        )
    raw: dict[str, pd.DataFrame] = {}
    for name, columns in MAVEN_COLUMNS.items():
        path = folder / name
        if not path.is_file():
            raise _fail(name, None, f"file not found in {folder}")
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        frame.columns = [str(c).strip() for c in frame.columns]
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise _fail(
                name,
                missing[0],
                f"required column(s) {', '.join(missing)} missing "
                f"(the header has {', '.join(frame.columns)})",
            )
        raw[name] = frame
    return raw


def _require(frame: pd.DataFrame, file: str, column: str, mask: pd.Series, problem: str) -> None:
    """Raise naming ``file``/``column`` and the first offending value where ``mask`` is true."""
    if mask.any():
        first = frame.loc[mask, column].iloc[0]
        raise _fail(file, column, f"{int(mask.sum())} row(s) {problem} (first: {first!r})")


def _numbers(frame: pd.DataFrame, file: str, column: str) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce")
    _require(frame, file, column, values.isna() & frame[column].notna(), "are not numbers")
    return values


def _dates(frame: pd.DataFrame, file: str, column: str) -> pd.Series:
    values = pd.to_datetime(frame[column], format="%Y-%m-%d", errors="coerce")
    bad = values.isna() & frame[column].notna()
    _require(frame, file, column, bad, "are not ISO dates (YYYY-MM-DD)")
    return values.astype("datetime64[us]")


def _unique(frame: pd.DataFrame, file: str, column: str) -> None:
    _require(frame, file, column, frame[column].duplicated(), "are duplicates")
    _require(frame, file, column, frame[column].isna(), "are empty")


def _emails(names: pd.Series) -> pd.Series:
    """``first.last@maventech.example`` from each name; a repeated address gets its row number."""
    local = names.str.lower().map(lambda s: re.sub(r"[^a-z0-9-]+", ".", s).strip("."))
    repeated = local.duplicated(keep="first")
    local = local.where(~repeated, local + (np.arange(len(local)) + 1).astype(str))
    return local + "@" + EMAIL_DOMAIN


# ---- mapping --------------------------------------------------------------------------------


def _people(teams_csv: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Teams and employees; returns also agent name → employee id."""
    file = "sales_teams.csv"
    _unique(teams_csv, file, "sales_agent")
    for column in ("manager", "regional_office"):
        _require(teams_csv, file, column, teams_csv[column].isna(), "are empty")
    offices = teams_csv.groupby("manager")["regional_office"].nunique()
    _require(
        teams_csv,
        file,
        "manager",
        teams_csv["manager"].isin(offices[offices > 1].index),
        "are managers of more than one regional office",
    )
    managers = (
        teams_csv[["manager", "regional_office"]]
        .drop_duplicates()
        .sort_values(["regional_office", "manager"], ignore_index=True)
    )
    n_teams = len(managers)
    team_ids = np.arange(1, n_teams + 1)
    team_of = dict(zip(managers["manager"], team_ids, strict=True))
    teams = pd.DataFrame(
        {
            "id": team_ids,
            "name": managers["regional_office"] + " (" + managers["manager"] + ")",
            "region": managers["regional_office"],
            "head_id": team_ids,  # managers are employees 1..n_teams
        }
    )
    names = pd.concat([managers["manager"], teams_csv["sales_agent"]], ignore_index=True)
    rep_team = teams_csv["manager"].map(team_of).to_numpy()
    employees = pd.DataFrame(
        {
            "id": np.arange(1, len(names) + 1),
            "name": names,
            "email": _emails(names),
            "role": [EmployeeRole.HEAD] * n_teams + [EmployeeRole.REP] * len(teams_csv),
            "team_id": np.concatenate([team_ids, rep_team]),
            "hired_at": pd.Timestamp(EARLY),
        }
    )
    agent_ids = dict(zip(teams_csv["sales_agent"], employees["id"].iloc[n_teams:], strict=True))
    return teams, employees, agent_ids


def _accounts(accounts_csv: pd.DataFrame) -> pd.DataFrame:
    file = "accounts.csv"
    _unique(accounts_csv, file, "account")
    _require(
        accounts_csv,
        file,
        "account",
        accounts_csv["account"] == NO_ACCOUNT,
        "use the reserved placeholder name",
    )
    staff = _numbers(accounts_csv, file, "employees")
    band = pd.cut(staff, SIZE_BINS, labels=SIZE_BANDS).astype(object)
    n = len(accounts_csv)
    accounts = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "name": accounts_csv["account"],
            "kind": "company",
            "industry": accounts_csv["sector"].replace(SECTOR_FIXES),
            "region": accounts_csv["office_location"],
            "size_band": band,
            "created_at": pd.Timestamp(EARLY),
        }
    )
    placeholder = pd.DataFrame(
        {"id": [n + 1], "name": [NO_ACCOUNT], "kind": ["company"], "created_at": [EARLY]}
    ).astype({"created_at": "datetime64[us]"})
    return pd.concat([accounts, placeholder], ignore_index=True)


def _products(products_csv: pd.DataFrame) -> pd.DataFrame:
    file = "products.csv"
    _unique(products_csv, file, "product")
    _require(products_csv, file, "series", products_csv["series"].isna(), "are empty")
    price = _numbers(products_csv, file, "sales_price")
    _require(products_csv, file, "sales_price", price.isna(), "are empty")
    return pd.DataFrame(
        {
            "id": np.arange(1, len(products_csv) + 1),
            "name": products_csv["product"],
            "product_line": products_csv["series"],
            "price": price.astype("float64"),
            "is_new_line": False,
        }
    )


def _stages() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": list(STAGE_IDS.values()),
            "pipeline": PIPELINE,
            "name": [s[0] for s in STAGES],
            "position": [s[1] for s in STAGES],
            "probability": [s[2] for s in STAGES],
            "is_won": [s[3] for s in STAGES],
            "is_lost": [s[4] for s in STAGES],
            "rot_days": pd.array([None] * len(STAGES), dtype="Int64"),
        }
    )


def _deals(
    pipeline: pd.DataFrame,
    agent_ids: dict[str, int],
    accounts: pd.DataFrame,
    products: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deals and their stage history from ``sales_pipeline.csv``."""
    file = "sales_pipeline.csv"
    p = pipeline
    _unique(p, file, "opportunity_id")
    stage = p["deal_stage"]
    _require(
        p, file, "deal_stage", ~stage.isin(list(STAGE_IDS)), f"are not one of {list(STAGE_IDS)}"
    )
    _require(
        p,
        file,
        "sales_agent",
        ~p["sales_agent"].isin(list(agent_ids)),
        "name agents missing from sales_teams.csv (add them there)",
    )
    product = p["product"].replace(PRODUCT_FIXES)
    by_name = products.set_index("name")
    _require(
        p, file, "product", ~product.isin(by_name.index), "name products missing from products.csv"
    )
    account_id = p["account"].map(accounts.set_index("name")["id"])
    _require(
        p,
        file,
        "account",
        account_id.isna() & p["account"].notna(),
        "name accounts missing from accounts.csv",
    )
    engage = _dates(p, file, "engage_date")
    close = _dates(p, file, "close_date")
    value = _numbers(p, file, "close_value")
    prospecting = (stage == "Prospecting").to_numpy()
    closed = stage.isin(["Won", "Lost"]).to_numpy()
    won = (stage == "Won").to_numpy()
    _require(
        p, file, "engage_date", engage.isna() & ~prospecting, "of non-Prospecting deals are empty"
    )
    _require(p, file, "close_date", close.isna() & closed, "of Won/Lost deals are empty")
    _require(p, file, "close_date", close.notna() & ~closed, "of open deals are set")
    _require(p, file, "close_date", close < engage, "are before engage_date")
    _require(p, file, "close_value", value.isna() & won, "of Won deals are empty")
    if engage.isna().all():
        raise _fail(file, "engage_date", "no row has an engage_date")

    n = len(p)
    ids = np.arange(1, n + 1)
    list_price = product.map(by_name["price"]).astype("float64")
    amount = value.astype("float64").where(won, list_price)
    created = engage.where(~prospecting, engage.max())
    owner = p["sales_agent"].map(agent_ids).astype("int64")
    stage_id = stage.map(STAGE_IDS).astype("int64")
    deals = pd.DataFrame(
        {
            "id": ids,
            "account_id": account_id.fillna(accounts["id"].iloc[-1]).astype("int64"),
            "owner_id": owner,
            "title": p["opportunity_id"],
            "product_line": product.map(by_name["product_line"]),
            "amount": amount,
            "currency": "USD",
            "created_at": created,
            "closed_at": close.where(closed),
            "status": stage.map(STATUS),
            "stage_id": stage_id,
        }
    )
    first_stage = np.where(prospecting, STAGE_IDS["Prospecting"], STAGE_IDS["Engaging"])
    first = pd.DataFrame(
        {
            "deal_id": ids,
            "stage_id": first_stage,
            "entered_at": created,
            "amount": list_price,
            "changed_by": owner,
            "seq": 0,
        }
    )
    last = pd.DataFrame(
        {
            "deal_id": ids[closed],
            "stage_id": stage_id.to_numpy()[closed],
            "entered_at": close.to_numpy()[closed],
            "amount": amount.to_numpy()[closed],
            "changed_by": owner.to_numpy()[closed],
            "seq": 1,
        }
    )
    history = pd.concat([first, last], ignore_index=True).sort_values(
        ["deal_id", "seq"], ignore_index=True
    )
    history = history.drop(columns="seq")
    history.insert(0, "id", np.arange(1, len(history) + 1))
    return deals, history


def maven_tables(raw: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Map the Maven files onto the canonical tables (see the module docstring).

    Parameters
    ----------
    raw : dict[str, DataFrame]
        The files as returned by :func:`read_maven`.

    Returns
    -------
    dict[str, DataFrame]
        Table name → rows with explicit ids, in load order: ``teams``, ``employees``,
        ``accounts``, ``products``, ``stages``, ``lost_reasons`` (empty), ``deals``,
        ``deal_stage_history``.

    Raises
    ------
    ValueError
        If a value is unusable (unknown stage, agent, product or account; a date that is not
        ISO; a Won/Lost deal without close date; ...): the message names file and column.
    """
    teams, employees, agent_ids = _people(raw["sales_teams.csv"])
    accounts = _accounts(raw["accounts.csv"])
    products = _products(raw["products.csv"])
    deals, history = _deals(raw["sales_pipeline.csv"], agent_ids, accounts, products)
    return {
        "teams": teams,
        "employees": employees,
        "accounts": accounts,
        "products": products,
        "stages": _stages(),
        "lost_reasons": pd.DataFrame({"id": pd.Series([], dtype="int64"), "name": []}),
        "deals": deals,
        "deal_stage_history": history,
    }


# ---- loading --------------------------------------------------------------------------------


def _non_empty_table(engine: sa.Engine) -> str | None:
    """Name of a CRM table that already holds rows, if any."""
    with engine.connect() as conn:
        for table in CRM_TABLES:
            if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                return table.name
    return None


def load_maven(engine: sa.Engine, folder: Path) -> dict[str, int]:
    """Load the Maven "CRM + Sales + Opportunities" dataset into an empty database.

    The files are read and validated first (nothing is written if they are unusable); then
    the CRM schema is created (``Base.metadata.create_all``: existing tables are kept) and the
    tables are bulk-loaded (:func:`crm_data.bulk.bulk_insert`) in one transaction, id
    sequences moved past the loaded ids and planner statistics refreshed, as
    ``crm_data.demo.seed_demo`` does.  The mapping is described in the module docstring.

    Parameters
    ----------
    engine : sa.Engine
        An empty database (DuckDB, SQLite, PostgreSQL, MySQL/MariaDB).
    folder : Path
        The dataset folder (``shared/datasets/maven_crm_sales_opportunities``).

    Returns
    -------
    dict[str, int]
        Rows loaded per table, in load order (``lost_reasons`` is 0).

    Raises
    ------
    ValueError
        If a file or a required column is missing or a value is unusable (the message names
        the file and column and what to do), or if the database already holds CRM rows.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "nowhere"
    >>> load_maven(sa.create_engine("sqlite://"), folder)
    Traceback (most recent call last):
    ...
    ValueError: Maven dataset: folder ... not found. ...
    """
    tables = maven_tables(read_maven(folder))
    Base.metadata.create_all(engine)
    busy = _non_empty_table(engine)
    if busy is not None:
        raise ValueError(
            f"The database {engine.url.render_as_string(hide_password=True)} already holds CRM "
            f"data (table {busy} has rows). Load the Maven dataset into an empty database."
        )
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        for name, frame in tables.items():
            counts[name] = bulk_insert(conn, Base.metadata.tables[name], frame)
    sync_sequences(engine)
    analyze_tables(engine, CRM_TABLES)
    return counts

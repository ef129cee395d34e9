"""The mapping file: how the columns of an export fill the canonical CRM tables.

A mapping is a YAML document (see ``crm_data/mappings/deals_sheet.yaml``)::

    name: deals_sheet            # shown in the import log (default: the file's stem)
    source: spreadsheet          # the system the file came from; external ids are per source
    table: deals                 # the table one row of the file fills
    file: {encoding: auto, delimiter: auto, sheet: null}
    dates: ["%d.%m.%Y", "%Y-%m-%d"]   # strptime formats, the first that fits wins
    decimal: auto                # "," or "." (then the other one groups thousands) or auto
    pipeline: Sales              # stages.pipeline of the stages below
    stages:                      # the pipeline in order; found by name or created
      - {name: New, probability: 0.1}
      - {name: Won, probability: 1.0, won: true}
      - {name: Lost, probability: 0.0, lost: true}
    columns:                     # target column -> the export's header, or alternatives
      external_id: [Deal ID, ID сделки]
      amount: [Amount, Сумма]
    constants: {currency: RUB}   # target column -> one value for every row
    values:                      # target column -> the export's words -> canonical value
      status: {Выиграна: won}

Phase 1 imports ``deals`` sheets (one row per deal): the targets are :data:`DEAL_TARGETS`;
accounts, owners, teams, stages and lost reasons are given by name and found or created.
:func:`load_mapping` checks the document and raises :class:`MappingError` naming the key and
what to do; :func:`propose_mapping` drafts the ``columns`` of a mapping from header names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from crm_data.errors import CrmDataError
from crm_data.importer.sources import DELIMITERS
from crm_data.schema import ImportKey

__all__ = [
    "DEAL_TARGETS",
    "STATUSES",
    "ImportMapping",
    "MappingError",
    "StageSpec",
    "Target",
    "load_mapping",
    "parse_mapping",
    "propose_mapping",
]

#: The deal statuses (``deals.status``).
STATUSES = ("open", "won", "lost")
#: The longest ``source`` name (``import_keys.source``).
SOURCE_LENGTH: int = ImportKey.__table__.c.source.type.length  # type: ignore[attr-defined]
#: The tables a mapping may fill (phase 1 of issue #20: one row per deal).
TABLES = ("deals",)


class MappingError(CrmDataError):
    """A mapping file that cannot be used; the message names the key and what to do."""


@dataclass(frozen=True)
class Target:
    """A column a mapping can fill.

    Parameters
    ----------
    kind : str
        How its cells are read: ``text``, ``number``, ``date``, ``status`` or ``stage``.
    required : bool
        Whether every row needs a value (from a column or a constant).
    synonyms : tuple of str
        Header names (English and Russian) :func:`propose_mapping` recognises.
    """

    kind: str
    required: bool = False
    synonyms: tuple[str, ...] = ()


#: What a deals sheet can fill: deals columns, plus the names of the rows deals refer to
#: (``account``, ``owner``, ``team``, ``stage``, ``lost_reason``) and ``stage_changed_at``
#: (when the current stage was entered; see :mod:`crm_data.importer.write`).
DEAL_TARGETS: dict[str, Target] = {
    "external_id": Target(
        "text", True, ("id", "deal id", "external id", "record id", "id сделки", "номер сделки")
    ),
    "title": Target("text", False, ("title", "deal name", "deal", "name", "название", "сделка")),
    "account": Target(
        "text",
        True,
        ("account", "company", "account name", "client", "customer", "компания", "клиент"),
    ),
    "owner": Target(
        "text",
        True,
        ("owner", "deal owner", "sales rep", "responsible", "ответственный", "менеджер"),
    ),
    "team": Target("text", False, ("team", "sales team", "команда", "отдел")),
    "stage": Target("stage", True, ("stage", "deal stage", "стадия", "этап")),
    "status": Target("status", False, ("status", "state", "статус", "состояние")),
    "amount": Target("number", True, ("amount", "deal value", "value", "sum", "сумма", "бюджет")),
    "currency": Target("text", True, ("currency", "валюта")),
    "created_at": Target(
        "date", True, ("created", "created at", "create date", "дата создания", "создана")
    ),
    "closed_at": Target(
        "date", False, ("closed", "closed at", "close date", "дата закрытия", "закрыта")
    ),
    "expected_close_at": Target(
        "date",
        False,
        ("expected close", "expected close date", "планируемая дата закрытия"),
    ),
    "stage_changed_at": Target(
        "date", False, ("stage changed", "last stage change", "дата смены стадии")
    ),
    "product_line": Target(
        "text", False, ("product line", "product", "направление", "продуктовая линия")
    ),
    "source": Target("text", False, ("source", "lead source", "источник")),
    "lost_reason": Target(
        "text", False, ("lost reason", "loss reason", "причина отказа", "причина проигрыша")
    ),
}
KEYS = (
    "name",
    "source",
    "table",
    "file",
    "dates",
    "decimal",
    "pipeline",
    "stages",
    "columns",
    "constants",
    "values",
)
FILE_KEYS = ("encoding", "delimiter", "sheet")


@dataclass(frozen=True)
class StageSpec:
    """A stage of the mapping's pipeline (``stages`` row; ``position`` is its place, from 1)."""

    name: str
    position: int
    probability: float
    won: bool = False
    lost: bool = False


@dataclass(frozen=True)
class ImportMapping:
    """A checked mapping (see the module docstring for the meaning of each field)."""

    name: str
    source: str
    table: str
    columns: dict[str, tuple[str, ...]]
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    dates: tuple[str, ...] = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S")
    decimal: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    pipeline: str = "Imported"
    stages: tuple[StageSpec, ...] = ()

    def resolve(self, headers: Sequence[str]) -> dict[str, str]:
        """Target column → the header of the file that fills it (the first alternative present).

        Parameters
        ----------
        headers : sequence of str
            The file's header row.

        Raises
        ------
        MappingError
            If a required target has neither a constant nor any of its headers in the file.
        """
        present = set(headers)
        found = {
            target: next(h for h in names if h in present)
            for target, names in self.columns.items()
            if any(h in present for h in names)
        }
        for target, spec in DEAL_TARGETS.items():
            if spec.required and target not in found and target not in self.constants:
                names = self.columns.get(target, ())
                wanted = ", ".join(repr(n) for n in names) or "(none given)"
                raise MappingError(
                    f"mapping {self.name!r}: columns.{target}: the file has none of the "
                    f"headers {wanted} (it has {', '.join(repr(h) for h in headers)}); "
                    f"name the file's column under columns.{target} or give constants.{target}"
                )
        return found


def _fail(where: str, key: str, problem: str, fix: str) -> MappingError:
    return MappingError(f"mapping {where}: {key}: {problem}; {fix}")


def _text(where: str, key: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float) or value == "":
        raise _fail(where, key, f"expected a text, got {value!r}", "write a plain value")
    return str(value)


def _texts(where: str, key: str, value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise _fail(where, key, "empty list", "give at least one header")
    return tuple(_text(where, f"{key}[{i}]", v) for i, v in enumerate(items))


def _table(where: str, key: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(where, key, f"expected a mapping of keys to values, got {value!r}", "fix it")
    return value


def _unknown(where: str, prefix: str, keys: Iterable[Any], known: Sequence[str]) -> None:
    for key in keys:
        if key not in known:
            raise _fail(
                where,
                f"{prefix}{key}",
                "unknown key",
                f"use one of {', '.join(known)} (or remove it)",
            )


def _date_formats(where: str, value: Any) -> tuple[str, ...]:
    formats = _texts(where, "dates", value)
    sample = datetime(2026, 12, 31, 9, 30, 15)
    for i, fmt in enumerate(formats):
        try:
            ok = "%" in fmt and datetime.strptime(sample.strftime(fmt), fmt).year == 2026
        except ValueError:
            ok = False
        if not ok:
            raise _fail(
                where,
                f"dates[{i}]",
                f"{fmt!r} is not a date format",
                "write a strptime format such as %d.%m.%Y or %Y-%m-%d",
            )
    return formats


def _stages(where: str, value: Any) -> tuple[StageSpec, ...]:
    if not isinstance(value, list) or not value:
        raise _fail(where, "stages", "expected a list of stages", "list the pipeline's stages")
    stages = []
    for i, item in enumerate(value, start=1):
        key = f"stages[{i - 1}]"
        row = _table(where, key, item)
        _unknown(where, f"{key}.", row, ("name", "probability", "won", "lost"))
        probability = row.get("probability", 0.0)
        if isinstance(probability, bool) or not isinstance(probability, int | float):
            raise _fail(where, f"{key}.probability", "not a number", "write e.g. 0.5")
        if not 0 <= probability <= 1:
            raise _fail(where, f"{key}.probability", "outside 0..1", "write e.g. 0.5")
        name = _text(where, f"{key}.name", row.get("name"))
        won, lost = bool(row.get("won", False)), bool(row.get("lost", False))
        if won and lost:
            raise _fail(where, key, "a stage cannot be both won and lost", "keep one")
        stages.append(StageSpec(name, i, float(probability), won, lost))
    names = [s.name.casefold() for s in stages]
    if len(set(names)) < len(names):
        raise _fail(where, "stages", "a stage name is repeated", "name each stage once")
    if stages[0].won or stages[0].lost:
        raise _fail(where, "stages[0]", "the first stage is terminal", "start with an open one")
    return tuple(stages)


def _values(where: str, value: Any, stages: tuple[StageSpec, ...]) -> dict[str, dict[str, str]]:
    result: dict[str, dict[str, str]] = {}
    for target, words in _table(where, "values", value).items():
        _unknown(where, "values.", [target], list(DEAL_TARGETS))
        allowed = {
            "status": STATUSES,
            "stage": tuple(s.name for s in stages),
        }.get(DEAL_TARGETS[target].kind)
        pairs = {
            _text(where, f"values.{target}", k): _text(where, f"values.{target}.{k}", v)
            for k, v in _table(where, f"values.{target}", words).items()
        }
        for word, canonical in pairs.items():
            if allowed is not None and canonical not in allowed:
                raise _fail(
                    where,
                    f"values.{target}.{word}",
                    f"{canonical!r} is not one of {', '.join(allowed)}",
                    "map the word to one of them",
                )
        result[target] = pairs
    return result


def parse_mapping(document: Any, name: str = "mapping") -> ImportMapping:
    """Check a mapping document (the parsed YAML) and make it an :class:`ImportMapping`.

    Parameters
    ----------
    document : Any
        The parsed YAML.
    name : str
        The mapping's name when the document has no ``name`` (e.g. the file's stem).

    Returns
    -------
    ImportMapping
        The checked mapping.

    Raises
    ------
    MappingError
        Naming the first wrong key and what to do (unknown table, unknown canonical column,
        missing required column, bad date format, unknown stage in a value map, ...).

    Examples
    --------
    >>> m = parse_mapping({"table": "deals", "source": "sheet", "stages": [{"name": "New"}],
    ...     "columns": {"external_id": "ID", "account": "Company", "owner": "Owner",
    ...                 "stage": "Stage", "amount": "Amount", "created_at": "Created"},
    ...     "constants": {"currency": "USD"}})
    >>> m.columns["amount"]
    ('Amount',)
    """
    where = repr(name)
    doc = _table(where, "(top level)", document)
    _unknown(where, "", doc, KEYS)
    where = repr(_text(where, "name", doc.get("name", name)))
    table = _text(where, "table", doc.get("table", "deals"))
    if table not in TABLES:
        raise _fail(where, "table", f"unknown table {table!r}", f"use one of {', '.join(TABLES)}")
    source = _text(where, "source", doc.get("source"))
    if len(source) > SOURCE_LENGTH:
        raise _fail(where, "source", "too long", f"use at most {SOURCE_LENGTH} characters")
    file = _table(where, "file", doc.get("file"))
    _unknown(where, "file.", file, FILE_KEYS)
    options = {k: None if file.get(k) in (None, "auto") else str(file[k]) for k in FILE_KEYS}
    if options["delimiter"] is not None:
        options["delimiter"] = options["delimiter"].replace("\\t", "\t")
        if options["delimiter"] not in DELIMITERS:
            raise _fail(where, "file.delimiter", "not a delimiter", "use , ; | \\t or auto")
    decimal = doc.get("decimal", "auto")
    if decimal not in (",", ".", "auto"):
        raise _fail(where, "decimal", f"{decimal!r} is not a decimal separator", 'use ",", "."')
    columns = {
        target: _texts(where, f"columns.{target}", headers)
        for target, headers in _table(where, "columns", doc.get("columns")).items()
    }
    _unknown(where, "columns.", columns, list(DEAL_TARGETS))
    constants = {
        target: _text(where, f"constants.{target}", value)
        for target, value in _table(where, "constants", doc.get("constants")).items()
    }
    _unknown(where, "constants.", constants, list(DEAL_TARGETS))
    for target, spec in DEAL_TARGETS.items():
        if spec.required and target not in columns and target not in constants:
            raise _fail(
                where,
                f"columns.{target}",
                f"missing: deals need {target}",
                f"name the file's column under columns.{target} or give constants.{target}",
            )
    stages = _stages(where, doc.get("stages"))
    return ImportMapping(
        name=where.strip("'"),
        source=source,
        table=table,
        columns=columns,
        constants=constants,
        values=_values(where, doc.get("values"), stages),
        dates=_date_formats(where, doc.get("dates", list(ImportMapping.dates))),
        decimal=None if decimal == "auto" else decimal,
        encoding=options["encoding"],
        delimiter=options["delimiter"],
        sheet=options["sheet"],
        pipeline=_text(where, "pipeline", doc.get("pipeline", "Imported")),
        stages=stages,
    )


def load_mapping(path: str | Path) -> ImportMapping:
    """Read and check the mapping file ``path`` (YAML).

    Parameters
    ----------
    path : str or Path
        The mapping file.

    Returns
    -------
    ImportMapping
        The checked mapping (named after the file's stem unless it has a ``name``).

    Raises
    ------
    MappingError
        If the file cannot be read, is not YAML or is not a valid mapping (see
        :func:`parse_mapping`).
    """
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(
            f"cannot read the mapping file {path}: {exc.strerror}; check the path"
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise MappingError(
            f"the mapping file {path} is not valid YAML ({first}); fix its syntax"
        ) from None
    try:
        return parse_mapping(document, name=path.stem)
    except MappingError as exc:
        raise MappingError(f"{path}: {exc}") from None


def _normal(header: str) -> str:
    return re.sub(r"[\s_\-./]+", " ", header.strip().casefold()).strip()


def propose_mapping(headers: Sequence[str], source: str = "spreadsheet") -> dict[str, Any]:
    """Draft a mapping document from the header names of an export (English or Russian).

    Each target takes the first header that is one of its synonyms (compared without case,
    spaces, ``_``, ``-``, ``.``, ``/``); a header is used once.  The draft still needs the
    pipeline's ``stages`` and, where the file has no currency column, ``constants.currency``:
    the user confirms or edits it before importing.

    Parameters
    ----------
    headers : sequence of str
        The file's header row.
    source : str
        The ``source`` of the draft.

    Returns
    -------
    dict
        A mapping document (``name``, ``source``, ``table``, ``columns``) ready for YAML.

    Examples
    --------
    >>> propose_mapping(["Сумма", "Ответственный", "Notes"])["columns"]
    {'owner': 'Ответственный', 'amount': 'Сумма'}
    """
    columns: dict[str, str] = {}
    used: set[str] = set()
    for target, spec in DEAL_TARGETS.items():
        synonyms = {_normal(s) for s in spec.synonyms}
        match = next((h for h in headers if h not in used and _normal(h) in synonyms), None)
        if match is not None:
            columns[target] = match
            used.add(match)
    return {"name": "proposed", "source": source, "table": "deals", "columns": columns}

"""Word lists and vectorised builders of names, e-mails and phone numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["FIRST", "LAST", "person_names", "company_names", "join"]

FIRST = np.array(
    [
        "Anna",
        "Ben",
        "Clara",
        "David",
        "Emma",
        "Felix",
        "Grace",
        "Henry",
        "Ida",
        "Jonas",
        "Kate",
        "Leo",
        "Maria",
        "Nina",
        "Oscar",
        "Paula",
        "Quinn",
        "Rosa",
        "Sam",
        "Tara",
        "Umar",
        "Vera",
        "Walter",
        "Xenia",
        "Yusuf",
        "Zoe",
        "Alex",
        "Bella",
        "Carl",
        "Diana",
        "Erik",
        "Fiona",
        "Gabriel",
        "Hannah",
        "Igor",
        "Julia",
        "Karl",
        "Lena",
        "Mark",
        "Olga",
        "Peter",
        "Sofia",
        "Tom",
        "Ulla",
        "Victor",
        "Wanda",
    ]
)
LAST = np.array(
    [
        "Smith",
        "Jones",
        "Miller",
        "Brown",
        "Davis",
        "Wilson",
        "Moore",
        "Taylor",
        "Clark",
        "Hall",
        "Young",
        "King",
        "Wright",
        "Lopez",
        "Hill",
        "Scott",
        "Green",
        "Adams",
        "Baker",
        "Nelson",
        "Carter",
        "Mitchell",
        "Perez",
        "Roberts",
        "Turner",
        "Phillips",
        "Campbell",
        "Parker",
        "Evans",
        "Edwards",
        "Collins",
        "Stewart",
        "Morris",
        "Rogers",
        "Reed",
        "Cook",
        "Morgan",
        "Bell",
        "Murphy",
        "Bailey",
        "Rivera",
        "Cooper",
        "Richardson",
        "Cox",
        "Howard",
        "Ward",
        "Torres",
        "Peterson",
        "Gray",
        "Ramirez",
    ]
)
_ADJ = np.array(
    [
        "Blue",
        "Red",
        "Green",
        "Silver",
        "Golden",
        "North",
        "South",
        "East",
        "West",
        "Prime",
        "Bright",
        "Swift",
        "Solid",
        "Smart",
        "Royal",
        "Clear",
        "Rapid",
        "Urban",
        "Global",
        "Alpine",
        "Coastal",
        "Metro",
        "Iron",
        "Oak",
        "Pine",
        "Stone",
        "River",
        "Summit",
        "Nova",
        "Apex",
        "Vertex",
    ]
)
_NOUN = np.array(
    [
        "Systems",
        "Logistics",
        "Foods",
        "Works",
        "Tech",
        "Partners",
        "Trading",
        "Labs",
        "Solutions",
        "Industries",
        "Retail",
        "Health",
        "Motors",
        "Energy",
        "Build",
        "Textiles",
        "Media",
        "Finance",
        "Digital",
        "Supply",
        "Design",
        "Farms",
    ]
)
_FORM = np.array(["Ltd", "Inc", "LLC", "GmbH", "Group", "Co", "AG", "plc"])


def join(*parts: np.ndarray | pd.Series | str) -> np.ndarray:
    """Element-wise string concatenation of arrays (and scalar strings) → object array."""
    out: pd.Series | str = ""
    for part in parts:
        out = out + (part if isinstance(part, str) else pd.Series(np.asarray(part, dtype=object)))
    return np.asarray(out, dtype=object)


def person_names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random first and last names."""
    return FIRST[rng.integers(0, len(FIRST), n)], LAST[rng.integers(0, len(LAST), n)]


def company_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` plausible company names such as ``"Swift River Logistics Ltd"``."""
    return join(
        _ADJ[rng.integers(0, len(_ADJ), n)],
        " ",
        _NOUN[rng.integers(0, len(_NOUN), n)],
        " ",
        _FORM[rng.integers(0, len(_FORM), n)],
    )


def phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` fictional phone numbers ``+1-555-0xxxxxx``."""
    return join("+1-555-0", np.char.zfill(rng.integers(0, 1_000_000, n).astype(str), 6))

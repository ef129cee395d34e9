"""The README's performance table, built from the JSON files in ``bench/results``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_ORDER = {"XS": 0, "S": 1, "M": 2, "L": 3}


def _load(folder: Path) -> list[dict[str, Any]]:
    """The page-data results (one per size and dialect); others (``m3.json``) have no size."""
    results = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    results = [r for r in results if "size" in r]
    return sorted(results, key=lambda r: (_ORDER.get(r["size"], 9), r["dialect"]))


def _cell(timing: dict[str, Any] | None) -> str:
    if timing is None:
        return "—"
    return f"{timing['cold_s']:.3f} / {timing['warm_median_s']:.3f}"


def results_table(folder: Path) -> str:
    """Markdown table: one column per result file (size × dialect), one row per case.

    Query cells read ``cold / warm median`` in seconds; the first row is the seeding time.
    """
    results = _load(folder)
    if not results:
        return "(no results in bench/results)"
    header = [f"{r['size']} {r['dialect']}" for r in results]
    lines = [
        "| case | " + " | ".join(header) + " |",
        "|---|" + "---|" * len(results),
    ]
    seeds = [f"{r['seed_demo']['seconds']:.1f} s" if "seed_demo" in r else "—" for r in results]
    lines.append("| seed demo company | " + " | ".join(seeds) + " |")
    names: list[str] = []
    for r in results:
        names += [n for n in r.get("queries", {}) if n not in names]
    for name in names:
        cells = [_cell(r.get("queries", {}).get(name)) for r in results]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)

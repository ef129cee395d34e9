"""The Examples sections of the docstrings run and give what they say.

Collected, not listed: every module of the project's packages (each top-level folder with an
``__init__.py``: ``access``, ``analytics``, ``crm_data``, ``reports``, ``ui``, ...) whose source
holds an example (``>>>``).  An example that needs a database or a Streamlit session says
``# doctest: +SKIP``.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def modules_with_examples(root: Path) -> list[str]:
    """Dotted names of the modules of ``root``'s packages whose source holds ``>>>``."""
    names = []
    for package in sorted(init.parent for init in root.glob("*/__init__.py")):
        for path in sorted(package.rglob("*.py")):
            if ">>>" in path.read_text():
                parts = path.relative_to(root).with_suffix("").parts
                names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_modules_with_examples_finds_package_modules_and_packages(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text('""">>> 1\n1\n"""\n')
    (tmp_path / "pkg" / "sub" / "deep.py").write_text('""">>> 2\n2\n"""\n')
    (tmp_path / "pkg" / "plain.py").write_text('"""No example."""\n')
    (tmp_path / "loose").mkdir()  # not a package: no __init__.py
    (tmp_path / "loose" / "page.py").write_text('""">>> 3\n3\n"""\n')
    assert modules_with_examples(tmp_path) == ["pkg", "pkg.sub.deep"]


@pytest.mark.parametrize("name", modules_with_examples(ROOT))
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"

"""``python -m i18n update`` merges the code's strings into the catalogues; ``python -m i18n
check`` fails (exit 1) on a string that is missing, untranslated or fuzzy, listing each.
"""

from __future__ import annotations

import argparse
import sys

from i18n.catalogue import catalogue_path, languages_to_check, problems, update


def main(argv: list[str] | None = None) -> int:
    """Run the command named in ``argv``; the exit status."""
    parser = argparse.ArgumentParser(prog="python -m i18n", description=__doc__)
    parser.add_argument("command", choices=("update", "check"))
    args = parser.parse_args(argv)
    status = 0
    for language in languages_to_check():
        if args.command == "update":
            left = update(language)
            print(f"{catalogue_path(language)}: {left} to translate")
            status = 0
        else:
            found = problems(language)
            for line in found:
                print(f"{language}: {line}")
            print(f"{language}: {len(found)} problems")
            status = status or int(bool(found))
    return status


if __name__ == "__main__":
    sys.exit(main())

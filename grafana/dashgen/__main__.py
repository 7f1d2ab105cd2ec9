"""`python -m dashgen` writes the generated files; `--check` only reports differences."""

from __future__ import annotations

import argparse
import sys

from dashgen.build import outputs
from dashgen.names import ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dashgen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if a committed file differs")
    args = parser.parse_args(argv)
    stale = []
    for path, content in outputs().items():
        current = path.read_text() if path.exists() else None
        if current == content:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    for path in stale:
        verb = "differs" if args.check else "wrote"
        print(f"dashgen: {verb} {path.relative_to(ROOT)}")
    if not stale:
        print("dashgen: generated files are up to date")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())

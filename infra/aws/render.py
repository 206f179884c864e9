"""``python -m infra.aws.render --stage dev``: write ``infra/aws/build/<stage>/infra.yaml``.

The template is generated on every deploy and package from the models, so it cannot drift
from the code; nothing generated is committed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from infra.aws.naming import StageNames
from infra.aws.template import build_template, to_yaml


def render(names: StageNames, out: Path | None = None) -> Path:
    """Write the stage's infra template; returns its path."""
    path = out or names.build_dir / "infra.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_yaml(build_template(names)))
    return path


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--out", type=Path, help="output file (default: build/<stage>/infra.yaml)")
    args = parser.parse_args(argv)
    print(render(StageNames.load(args.stage), args.out))


if __name__ == "__main__":
    main()

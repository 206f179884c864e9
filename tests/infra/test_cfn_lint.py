"""cfn-lint passes on the rendered infra template of every stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.aws.naming import StageNames
from infra.aws.package import cfn_lint
from infra.aws.render import render

pytest.importorskip("cfnlint", reason="cfn-lint is not installed (requirements-dev.txt)")


def test_cfn_lint_passes_on_every_stage_template(tmp_path: Path) -> None:
    paths = [render(StageNames.load(s), tmp_path / f"{s}.yaml") for s in ("dev", "prod")]
    for path in paths:
        ok, report = cfn_lint(path)
        assert ok, report

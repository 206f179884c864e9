"""The operator CLI calls the same services (same environment as the Lambda functions)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from chalicelib import cli, container
from chalicelib.store.records import GroupRecord
from tests.integration.dashboard_api.conftest import Api, new_bot

pytestmark = pytest.mark.integration


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.main(list(argv), out=out)
    return code, out.getvalue()


def test_a_deployer_adds_lists_shows_and_removes_a_bot(api: Api, tmp_path: Path) -> None:
    bot = new_bot(api.sandbox, "cli")
    token_file = tmp_path / "token"
    token_file.write_text(str(bot["token"]) + "\n")
    owner = str(api.operator_a)

    added = run("bots", "add", "--token-file", str(token_file), "--owner", owner)
    listed = run("bots", "list", "--owner", owner)
    container.stores().groups.save(GroupRecord(bot_id=bot["id"], chat_id=-100901, title="G"))
    shown = run("group", "show", str(bot["id"]), "-100901")
    removed = run("bots", "remove", str(bot["id"]))

    assert added[0] == 0 and json.loads(added[1])["bot_id"] == bot["id"]
    assert bot["id"] in [b["bot_id"] for b in json.loads(listed[1])]
    assert json.loads(shown[1])["ledger"] == {"muted_now": 0}
    assert json.loads(removed[1])["status"] == "removed"


def test_login_link_is_refused_for_someone_who_is_not_an_operator(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("login-link", "--user", "1")[0] == 1
    assert "not in NEZUKO_OPERATOR_IDS" in capsys.readouterr().err
    assert run("login-link", "--user", str(api.operator_a))[0] == 0
    assert "#login=" in capsys.readouterr().out

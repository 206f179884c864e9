"""Operator CLI for deployers: ``python -m chalicelib.cli --help``.

It reads the same environment as the Lambda functions (NEZUKO_* variables; AWS credentials
for DynamoDB and SSM) and calls the same services through the composition root. Bot tokens
are read from a file or stdin, never from the command line (argv is visible to every user
of the machine and lands in shell history).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from chalicelib import container
from chalicelib.errors import NezukoError, NotFound


def main(argv: Sequence[str] | None = None, *, out: TextIO = sys.stdout) -> int:
    """Run one command; returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        result = args.run(args)
    except NezukoError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    if result is not None:
        print(json.dumps(result, indent=2, sort_keys=True, default=str), file=out)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="command")

    bots = commands.add_parser("bots", help="add, list or remove bots").add_subparsers(
        required=True, metavar="action"
    )
    add = bots.add_parser("add", help="register a bot by token and point its webhook at us")
    add.add_argument("--token-file", required=True, help="file holding the token, or - for stdin")
    add.add_argument("--owner", required=True, type=int, help="operator's Telegram user id")
    add.set_defaults(run=_bots_add)
    listing = bots.add_parser("list", help="list bots")
    listing.add_argument("--owner", type=int, help="only this operator's bots")
    listing.set_defaults(run=_bots_list)
    remove = bots.add_parser("remove", help="delete the webhook and mark the bot removed")
    remove.add_argument("bot_id", type=int)
    remove.set_defaults(run=_bots_remove)

    link = commands.add_parser("login-link", help="a one-time dashboard sign-in link")
    link.add_argument("--user", required=True, type=int, help="operator's Telegram user id")
    link.set_defaults(run=_login_link)

    group = commands.add_parser("group", help="inspect groups").add_subparsers(
        required=True, metavar="action"
    )
    show = group.add_parser("show", help="settings, channels and ledger counts of a group")
    show.add_argument("bot_id", type=int)
    show.add_argument("chat_id", type=int)
    show.set_defaults(run=_group_show)
    return parser


def _read_token(source: str) -> str:
    if source == "-":
        return sys.stdin.readline().strip()
    with open(source, encoding="utf-8") as handle:
        return handle.readline().strip()


def _bots_add(args: argparse.Namespace) -> dict[str, Any]:
    api = container.operator_api()
    bot = api.bots.add(api.scope(args.owner), _read_token(args.token_file), via="cli")
    return bot.model_dump(mode="json")


def _bots_list(args: argparse.Namespace) -> list[dict[str, Any]]:
    from chalicelib.dashboard_api.bots import bot_out

    bots = container.stores().bots
    records = bots.list_by_owner(args.owner) if args.owner is not None else bots.list_all()
    return [{**bot_out(b).model_dump(mode="json"), "owner_id": b.owner_id} for b in records]


def _bots_remove(args: argparse.Namespace) -> dict[str, Any]:
    api = container.operator_api()
    owner = container.stores().bots.get(args.bot_id).owner_id
    return api.bots.remove(api.scope(owner), args.bot_id, via="cli").model_dump(mode="json")


def _login_link(args: argparse.Namespace) -> None:
    link = container.auth().magic_link_for(args.user)
    if link is None:
        raise NotFound(f"{args.user} is not in NEZUKO_OPERATOR_IDS")
    # The link is a credential for 5 minutes: printed for the deployer only, never logged.
    print(link)
    return None


def _group_show(args: argparse.Namespace) -> dict[str, Any]:
    api = container.operator_api()
    owner = container.stores().bots.get(args.bot_id).owner_id
    return api.groups.get(api.scope(owner), args.bot_id, args.chat_id).model_dump(mode="json")


if __name__ == "__main__":
    raise SystemExit(main())

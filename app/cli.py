"""The ``hongxin`` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from app.settings import DEFAULT_PORT, Settings, SettingsError, load_settings, local_url

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger("hongxin")
T = TypeVar("T")

Command = Callable[[argparse.Namespace, Settings], int]


@contextmanager
def _unit_of_work(settings: Settings) -> Iterator[Session]:
    """A session on the configured database, committed when the block ends without error."""
    from app.db import Database

    database = Database(settings.database_url)
    try:
        with database.unit_of_work() as session:
            yield session
    finally:
        database.close()


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app import migrations

    migrations.upgrade(settings.database_url)
    # The app is built by uvicorn (in every worker process) from the environment,
    # so that is where the public URL's default learns the port.
    os.environ.setdefault("HONGXIN_PUBLIC_URL", local_url(args.port))
    uvicorn.run(
        # uvicorn builds the app in each worker process from a factory's import path.
        ("app.main:create_serving_app_without_scheduler" if args.no_scheduler
         else "app.main:create_serving_app"),
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        # The access log would print every callback's query string (signatures,
        # nonces) and openids in mini-program URLs; the app logs its own lines.
        access_log=False,
    )
    return 0


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    from app import migrations

    migrations.upgrade(settings.database_url)
    print("database is at the newest schema")
    return 0


def _token_create(args: argparse.Namespace, settings: Settings) -> int:
    from app.auth.tokens import Role, create_token
    from app.errors import NotFound

    try:
        with _unit_of_work(settings) as session:
            token = create_token(session, Role(args.role), args.name, args.org)
    except NotFound:
        print(f"hongxin: no org with id {args.org} (see GET /api/admin/orgs)", file=sys.stderr)
        return 1
    print(token)
    return 0


def _token_list(_args: argparse.Namespace, settings: Settings) -> int:
    from app.auth.tokens import list_tokens

    with _unit_of_work(settings) as session:
        rows = [(t.id, t.role, t.name, t.org_id, t.created_at, t.last_used_at, t.revoked_at)
                for t in list_tokens(session)]

    def shown(moment: Any) -> str:
        return moment.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M") if moment else "-"

    print("id\trole\tname\torg\tcreated\tlast used\trevoked")
    for token_id, role, name, org_id, created, used, revoked in rows:
        org = "-" if org_id is None else org_id
        print(f"{token_id}\t{role}\t{name}\t{org}\t{shown(created)}\t{shown(used)}\t"
              f"{shown(revoked)}")
    return 0


def _token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime

    from app.auth.tokens import revoke_token
    from app.errors import NotFound

    try:
        with _unit_of_work(settings) as session:
            name = revoke_token(session, args.id, datetime.now(UTC)).name
    except NotFound:
        print(f"hongxin: no token with id {args.id} (see hongxin token list)", file=sys.stderr)
        return 1
    print(f"token {args.id} ({name}) is revoked; its API calls and console sessions "
          "are refused from now on")
    return 0


def _worker(_args: argparse.Namespace, settings: Settings) -> int:
    from app.scheduler.runner import run_worker

    asyncio.run(run_worker(settings))
    return 0


async def _with_wechat_api(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(api)`` with the official account's client and the shared token."""
    from app.db import Database
    from app.wechat.clients import standalone_wechat_client

    database = Database(settings.database_url)
    try:
        async with standalone_wechat_client(settings, database) as api:
            return await work(api)
    finally:
        database.close()


def _menu_push(_args: argparse.Namespace, settings: Settings) -> int:
    from app.wechat.api import WeChatAPIError
    from app.wechat.menu import push_menu

    try:
        buttons = asyncio.run(_with_wechat_api(settings, push_menu))
    except WeChatAPIError as error:
        print(f"hongxin: the platform refused the menu: {error}", file=sys.stderr)
        return 1
    for button in buttons:
        subs = button.get("sub_button") or [button]
        for sub in subs:
            print(f"{sub['name']}\t{sub['key']}")
    return 0


def _outbox_status(_args: argparse.Namespace, settings: Settings) -> int:
    from app.outbox.service import summary

    with _unit_of_work(settings) as session:
        found = summary(session)
    for status, count in found.counts.items():
        print(f"{status:<11}{count:>8}")
    if found.oldest_due_pending is not None:
        print(f"oldest pending due at {found.oldest_due_pending.astimezone(settings.zone)}")
    if found.last_errors:
        print("last errors:")
        for row in found.last_errors:
            print(f"  #{row.id} {row.kind} {row.status} attempts={row.attempts}: {row.last_error}")
    return 0


def _outbox_retry(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime

    from app.outbox.service import retry

    with _unit_of_work(settings) as session:
        count = retry(session, datetime.now(UTC), row_id=args.id, all_failed=args.all_failed)
    print(f"{count} message(s) queued again")
    return 0 if count or args.all_failed else 1


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from app.devtools.chat import ChatClient, run_chat

    aes_key = settings.wechat_aes_key.get_secret_value() if settings.wechat_aes_key else None
    client = ChatClient(url=args.url, token=settings.wechat_token.get_secret_value(),
                        app_id=settings.wechat_app_id, aes_key=aes_key, openid=args.openid)
    interactive = sys.stdin.isatty()
    if interactive:
        import readline  # noqa: F401 - line editing for input()

        def lines() -> Iterator[str]:
            while True:
                try:
                    yield input("我> ")
                except EOFError:
                    return

        run_chat(client, lines(), interactive=True)
    else:
        run_chat(client, sys.stdin, interactive=False)
    return 0


def _event_qrcode(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from app.errors import NotFound
    from app.events.qrcode import checkin_qrcode
    from app.wechat.api_errors import WeChatAPIError

    try:
        expire = None if args.permanent else args.days * 86_400
        code = asyncio.run(checkin_qrcode(settings, args.event_id, expire_seconds=expire))
    except NotFound as error:
        print(f"hongxin: {error.message}", file=sys.stderr)
        return 1
    except WeChatAPIError as error:
        print(f"hongxin: WeChat refused the QR code: {error}", file=sys.stderr)
        return 1
    print(code.url)
    return 0


def _fake_wechat(args: argparse.Namespace, _settings: Settings) -> int:
    from app.fakewechat import serve

    serve(host=args.host, port=args.port)
    return 0


def _quiz_template(args: argparse.Namespace, _settings: Settings) -> int:
    from quizzes import write_template

    write_template(args.file)
    print(f"wrote the quiz-bank template to {args.file}")
    return 0


def _quiz_import(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from app.quiz_banks.cli import import_file

    return import_file(settings.database_url, Path(args.file), args.name)


def _quiz_list(_args: argparse.Namespace, settings: Settings) -> int:
    from app.quiz_banks.cli import list_banks

    return list_banks(settings.database_url)


def _quiz_activate(args: argparse.Namespace, settings: Settings) -> int:
    from app.quiz_banks.cli import activate

    return activate(settings.database_url, args.bank_id)


def _quiz_delete(args: argparse.Namespace, settings: Settings) -> int:
    from app.quiz_banks.cli import delete

    return delete(settings.database_url, args.bank_id)
def _roster_import(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from app.roster.cli import import_file

    return import_file(settings.database_url, Path(args.file))


def _demo_data(_args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime

    from app.demo.service import load_demo
    from app.events.demo import load_demo_events
    from app.events.demo_meetings import load_demo_meetings
    from app.points.demo import load_demo_points
    from app.roster.demo import load_demo_roster

    with _unit_of_work(settings) as session:
        result = load_demo(session, datetime.now(UTC), settings.zone)
        events_added = load_demo_events(session, datetime.now(UTC), settings.zone)
        people_added = load_demo_roster(session, datetime.now(UTC))
        meetings_added = load_demo_meetings(session, datetime.now(UTC), settings.zone)
        deeds_added, claims_added = load_demo_points(session, datetime.now(UTC), settings.zone)
    print(f"demo data: {result.lessons_added} lessons added, quiz bank "
          f"{'added' if result.bank_added else 'already there'}"
          f"{', activated' if result.bank_activated else ''}, {events_added} events added, "
          f"{people_added} roster people added, {meetings_added} meetings added, "
          f"{deeds_added} deeds and {claims_added} "
          "claims added")
    return 0


def _add_quiz_commands(commands: Any) -> None:
    # Any: argparse's _SubParsersAction is private and generic.
    quiz = commands.add_parser("quiz", help="quiz banks")
    quiz_commands = quiz.add_subparsers(dest="quiz_command", required=True)
    template = quiz_commands.add_parser("template", help="write an XLSX template to fill in")
    template.add_argument("file")
    template.set_defaults(run=_quiz_template)
    quiz_import = quiz_commands.add_parser("import", help="import a bank file (CSV, XLSX, JSON …)")
    quiz_import.add_argument("file")
    quiz_import.add_argument("--name", help="bank name (default: the file name)")
    quiz_import.set_defaults(run=_quiz_import)
    quiz_commands.add_parser("list", help="list the banks with their ids") \
        .set_defaults(run=_quiz_list)
    for verb, run, text in (("activate", _quiz_activate, "make bank ID the one quizzes draw from"),
                            ("delete", _quiz_delete, "delete bank ID if nobody has used it")):
        command = quiz_commands.add_parser(verb, help=text)
        command.add_argument("bank_id", type=int, metavar="ID")
        command.set_defaults(run=run)
def _add_roster_commands(commands: Any) -> None:
    # Any: argparse's subparsers action type is private.
    roster = commands.add_parser("roster", help="the roster (花名册)")
    roster_commands = roster.add_subparsers(dest="roster_command", required=True)
    roster_import = roster_commands.add_parser("import", help="import a roster file (XLSX, CSV)")
    roster_import.add_argument("file")
    roster_import.set_defaults(run=_roster_import)


def _add_event_commands(commands: Any) -> None:
    # Any: argparse's _SubParsersAction is private and generic.
    event = commands.add_parser("event", help="events")
    event_commands = event.add_subparsers(dest="event_command", required=True)
    qrcode = event_commands.add_parser("qrcode", help="print the URL of event N's check-in QR code")
    qrcode.add_argument("event_id", type=int, metavar="N")
    qrcode.add_argument("--days", type=int, default=30, choices=range(1, 31), metavar="1-30",
                        help="how long the code stays valid (default 30)")
    qrcode.add_argument("--permanent", action="store_true",
                        help="a permanent code (the account has 100 000 of them)")
    qrcode.set_defaults(run=_event_qrcode)


def _add_token_commands(commands: Any) -> None:
    # Any: argparse's subparsers action type is private.
    token = commands.add_parser("token", help="API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="create a token and print it")
    create.add_argument("--role", choices=["admin", "organizer"], required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--org", type=int, metavar="ORG_ID",
                        help="scope the token to this org and its sub-orgs")
    create.set_defaults(run=_token_create)
    token_commands.add_parser("list", help="every token: id, role, name, org, created, "
                              "last used, "
                              "revoked (never the token itself)").set_defaults(run=_token_list)
    revoke = token_commands.add_parser("revoke", help="revoke a token at once, console "
                                       "sessions included")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(run=_token_revoke)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hongxin", description="红心 party-building service")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="upgrade the database, then serve HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-scheduler", action="store_true",
                       help="do not run scheduled jobs in this process")
    serve.set_defaults(run=_serve)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="migrate the database to the newest schema") \
        .set_defaults(run=_db_upgrade)

    _add_token_commands(commands)

    chat = commands.add_parser("chat", help="chat with a running server as a WeChat member")
    chat.add_argument("--url", default=local_url(DEFAULT_PORT),
                      help="the server's base URL, or its callback URL ending in /wechat")
    chat.add_argument("--openid", default="o_dev_member_0001")
    chat.set_defaults(run=_chat)

    _add_quiz_commands(commands)

    _add_roster_commands(commands)
    worker = commands.add_parser("worker", help="run the scheduled jobs without HTTP")
    worker.set_defaults(run=_worker)

    menu = commands.add_parser("menu", help="the official account's custom menu")
    menu_commands = menu.add_subparsers(dest="menu_command", required=True)
    menu_commands.add_parser("push", help="create the menu with the four CLICK keys") \
        .set_defaults(run=_menu_push)

    outbox = commands.add_parser("outbox", help="outbound messages: counts and last errors")
    outbox.set_defaults(run=_outbox_status)
    outbox_commands = outbox.add_subparsers(dest="outbox_command")
    retry = outbox_commands.add_parser("retry", help="queue failed messages again")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=int, help="one message (failed or unsendable)")
    which.add_argument("--all-failed", action="store_true", help="every failed message")
    retry.set_defaults(run=_outbox_retry)

    _add_event_commands(commands)
    commands.add_parser("demo-data", help="load demo lessons, quiz bank, events (idempotent)") \
        .set_defaults(run=_demo_data)

    fake = commands.add_parser("fake-wechat", help="a local stand-in for the WeChat API")
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument("--port", type=int, default=9100)
    fake.set_defaults(run=_fake_wechat)
    return parser


# `serve` upgrades by itself (after its own checks), `db upgrade` is the upgrade, and
# the rest never open the database.
_WITHOUT_DATABASE: frozenset[Command] = frozenset(
    {_serve, _db_upgrade, _chat, _fake_wechat, _quiz_template})


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"hongxin: invalid setting {error}", file=sys.stderr)
        return 2
    from app.observability import configure_logging

    configure_logging(settings.log_level)
    run: Command = args.run
    if run not in _WITHOUT_DATABASE:
        # Every command that reads or writes the database finds it at the newest schema,
        # so a newcomer's first `hongxin token create` works on an empty directory.
        from app import migrations

        migrations.upgrade(settings.database_url)
    return run(args, settings)


if __name__ == "__main__":
    sys.exit(main())

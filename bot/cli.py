"""`hotline run|check-config|report|webhook|handbook|db|routing --config FILE`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Config, ConfigError, check_runnable, load_config
from bot.logs import mask, setup_logging
from bot.single_instance import AlreadyRunning
from handlers.errors import UsageError
from handlers.texts import ops as t
from storage.db import Database, Unreachable

if TYPE_CHECKING:  # the channels are imported only when one is asked for
    from bot.channels.telegram import TelegramChannel
    from bot.channels.zalo import ZaloChannel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hotline", description=t.PROGRAM)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("run", "run the bot"), ("check-config", "validate a config file")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--config", default="config.toml", help="TOML config file")
    sub.choices["check-config"].add_argument(
        "--connect", action="store_true", help="also check that the database answers"
    )
    p = sub.choices["run"]
    p.add_argument("--log-level", default="INFO")
    p.add_argument("--log-format", choices=("text", "json"), default="text")
    p = sub.add_parser("status", help="instances, leader, outbox and failed sends, on one screen")
    p.add_argument("--config", default="config.toml", help="TOML config file")
    p = sub.add_parser("report", help="write the Excel report of a period")
    p.add_argument("--config", default="config.toml", help="TOML config file")
    p.add_argument("--period", default="thang", help="homnay|homqua|tuan|thang|nam|YYYY-MM|D/M/Y-D/M/Y")
    p.add_argument("--out", required=True, help="the .xlsx file to write (its folder is created)")
    p = sub.add_parser("webhook", help="set, delete or show a platform's webhook")
    p.add_argument("action", choices=("set", "delete", "info"))
    p.add_argument("--channel", choices=("telegram", "zalo"), required=True)
    p.add_argument("--config", default="config.toml", help="TOML config file")
    p = sub.add_parser("handbook", help="import or export handbook entries (CSV or Markdown)")
    p.add_argument("action", choices=("import", "export"))
    p.add_argument("file", help="a .csv (area,question,answer) or .md file")
    p.add_argument("--config", default="config.toml", help="TOML config file")
    p = sub.add_parser("db", help="database schema: upgrade now, or write a new migration")
    p.add_argument("action", choices=("upgrade", "revision"))
    p.add_argument("-m", "--message", default="", help="what the new revision changes")
    p.add_argument("--config", default="config.toml", help="TOML config file")
    p = sub.add_parser("routing", help="measure the router on questions, or retrain it now")
    p.add_argument("action", choices=("eval", "train"))
    p.add_argument("--cases", help="eval: a TSV with columns area, question (rows split=train skipped)")
    p.add_argument("--config", default="config.toml", help="TOML config file")
    args = parser.parse_args(argv)

    try:
        cfg = load_config(args.config)
        if args.command in ("run", "check-config"):
            check_runnable(cfg)
    except ConfigError as err:
        print(f"config error: {err}", file=sys.stderr)  # noqa: T201
        return 2
    # every command logs through the masking handler: a traceback may hold a token
    secrets = [
        c.token.get_secret_value() for c in (cfg.telegram, cfg.zalo)
    ] + [c.webhook_secret.get_secret_value() for c in (cfg.telegram, cfg.zalo)]
    setup_logging(getattr(args, "log_level", "WARNING"), getattr(args, "log_format", "text"), secrets)
    try:
        return _command(cfg, args)
    except Unreachable as err:
        print(f"database.url: the database does not answer ({err})", file=sys.stderr)  # noqa: T201
        return 2
    except KeyboardInterrupt:  # Ctrl-C before the bot's own handler is installed
        return 130


def _command(cfg: Config, args: argparse.Namespace) -> int:
    if args.command == "check-config":
        if args.connect:
            asyncio.run(_ping(cfg.database.url))
        print(f"{args.config}: OK ({len(cfg.areas)} areas, {len(cfg.groups)} groups)")  # noqa: T201
        return 0
    if args.command == "status":
        return asyncio.run(_status(cfg))
    if args.command == "report":
        return asyncio.run(_report(cfg, args.period, args.out))
    if args.command == "webhook":
        return asyncio.run(_webhook(cfg, args.channel, args.action))
    if args.command == "handbook":
        return asyncio.run(_handbook(cfg, args.action, Path(args.file)))
    if args.command == "db":
        return asyncio.run(_db(cfg, args.action, args.message))
    if args.command == "routing":
        return _routing(cfg, args.action, args.cases)
    # imported here: the app pulls in scikit-learn and the channels, seconds that
    # check-config, report, status and the other commands do not need
    from bot.app import build_app

    try:
        asyncio.run(build_app(cfg).run())
    except AlreadyRunning as err:
        print(f"hotline: {err}", file=sys.stderr)  # noqa: T201
        return 2
    except Unreachable:  # one line, in main()
        raise
    except Exception:  # logged (masked) rather than printed raw by the interpreter
        logging.getLogger("hotline").exception("the bot stopped on an unexpected error")
        return 1
    return 0


async def _status(cfg: Config) -> int:
    """0 when a live leader is seen, 1 when none is, 2 when the database cannot be read."""
    from bot import status
    from storage.db import Database

    db = Database(cfg.database.url)
    try:
        screen, led = await status.report(db, datetime.now(UTC), cfg.settings().timezone)
    except Exception as err:  # by type only: an error may carry the URL
        print(f"status: cannot read the database ({type(err).__name__})", file=sys.stderr)  # noqa: T201
        return 2
    finally:
        await db.close()
    print(screen)  # noqa: T201
    return 0 if led else 1


async def _ping(url: str) -> None:
    db = Database(url)
    try:
        await db.ping()
    finally:
        await db.close()


async def _report(cfg: Config, period_text: str, out: str) -> int:
    from handlers.reports import excel, labels, periods

    settings, now = cfg.settings(), datetime.now(UTC)
    try:
        period = periods.parse_period(period_text, now, settings.timezone, "thang", t.PERIOD_ARGUMENT)
    except UsageError as err:
        print(err.text, file=sys.stderr)  # noqa: T201
        return 2
    path = Path(out)
    if path.suffix.lower() != ".xlsx":
        print(f"--out: the report is an Excel workbook, name it .xlsx (got {out})", file=sys.stderr)  # noqa: T201
        return 2
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        print(f"--out: cannot create the folder {path.parent} ({err.strerror})", file=sys.stderr)  # noqa: T201
        return 2
    db = Database(cfg.database.url)  # a database the bot never ran on gets its tables first
    try:
        await db.ping()
        await db.upgrade()
    finally:
        await db.close()
    result = await excel.export_file(
        cfg.database.url, settings, cfg.schedule.deadlines(), now, period, path
    )
    print(t.REPORT_WRITTEN.format(out=out, rows=labels.count(result.rows), period=period.label))  # noqa: T201
    return 0


async def _webhook(cfg: Config, channel_name: str, action: str) -> int:
    """Only the named channel is built; it is not started, just asked to manage its webhook."""
    if not getattr(cfg, channel_name).enabled:
        print(f"[{channel_name}] has no token in the config", file=sys.stderr)  # noqa: T201
        return 2
    channel: ZaloChannel | TelegramChannel
    if channel_name == "zalo":
        from bot.channels.zalo import ZaloChannel

        channel = ZaloChannel(cfg.zalo)
    else:
        from bot.channels.telegram import TelegramChannel

        channel = TelegramChannel(cfg.telegram)
    try:
        print(await channel.webhook(action))  # noqa: T201
    except Exception as err:  # its first line, masked: an HTML error page may echo the token
        reason = mask(str(err).strip().splitlines()[0][:300]) if str(err).strip() else ""
        print(f"{channel_name} webhook {action} failed ({type(err).__name__}): {reason}",  # noqa: T201
              file=sys.stderr)
        return 1
    finally:
        await channel.stop()
    return 0


async def _handbook(cfg: Config, action: str, path: Path) -> int:
    from storage import handbook

    db = Database(cfg.database.url)
    try:
        await db.ping()
        await db.upgrade()
        async with db.session() as session:
            if action == "import":
                if not path.exists():
                    print(f"{path}: no such file", file=sys.stderr)  # noqa: T201
                    return 2
                n = await handbook.import_file(session, path, by="import", now=datetime.now(UTC),
                                               areas={a.code for a in cfg.areas})
            else:
                n = await handbook.export_file(session, path)
    except (KeyError, ValueError) as err:
        print(f"{path}: cannot read entries ({err})", file=sys.stderr)  # noqa: T201
        return 2
    finally:
        await db.close()
    done = t.HANDBOOK_IMPORTED if action == "import" else t.HANDBOOK_EXPORTED
    print(done.format(path=path, count=n))  # noqa: T201
    return 0


async def _db(cfg: Config, action: str, message: str) -> int:
    """`upgrade` is what the bot does at start; `revision` autogenerates a migration from the
    difference between storage/models.py and that (upgraded) database."""
    from storage import migrate

    if action == "revision" and not message:
        print("db revision needs -m \"what changed\"", file=sys.stderr)  # noqa: T201
        return 2
    db = Database(cfg.database.url)
    try:
        await db.ping()
        await db.upgrade()
        if action == "revision":
            async with db.engine.begin() as conn:
                await conn.run_sync(migrate.revision, message)
    finally:
        await db.close()
    return 0


def _routing(cfg: Config, action: str, cases: str | None) -> int:
    """`train`: what the report worker does, now (it keeps the result only if no worse on the
    held-out tickets). `eval`: the saved model (trained first when there is none; keywords when
    no model_file is configured) on the cases, with the confusion pairs."""
    from handlers.intake import route_learning, route_model

    settings = cfg.settings()
    path = Path(cfg.routing.model_file) if cfg.routing.model_file else None
    if action == "eval" and not cases:
        print("routing eval needs --cases FILE.tsv", file=sys.stderr)  # noqa: T201
        return 2
    if action == "train" and path is None:
        print("[routing] model_file is not set: routing uses keywords only", file=sys.stderr)  # noqa: T201
        return 2
    asyncio.run(_upgrade(cfg))
    if path is not None and (action == "train" or not path.exists()):
        print(route_learning.retrain(cfg.database.url, settings.areas, str(path), background=False).line())  # noqa: T201
    if action == "train":
        return 0
    try:
        questions = route_learning.read_cases(Path(cases))  # type: ignore[arg-type]
    except (OSError, KeyError) as err:
        print(f"{cases}: cannot read cases ({err})", file=sys.stderr)  # noqa: T201
        return 2
    router = settings.router
    router.model = route_model.load(path, settings.areas) if path is not None else None
    print(f"router: {'model ' + str(path) if router.model else 'keywords'}, "  # noqa: T201
          f"threshold {router.threshold}")
    for line in route_learning.evaluate(router, settings.areas, questions).lines():
        print(line)  # noqa: T201
    return 0


async def _upgrade(cfg: Config) -> None:
    from storage.db import Database

    db = Database(cfg.database.url)
    try:
        await db.upgrade()
    finally:
        await db.close()


if __name__ == "__main__":
    raise SystemExit(main())

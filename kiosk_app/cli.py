"""Command-line tasks: ``flask seed-demo``, ``flask create-staff``, ``flask terminal-enrolment``."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager

import click
from flask import Flask, url_for

from .extensions import db
from .models import Role
from .services import administration, seed, terminals
from .services.errors import DomainError, InvalidInput


class _Console(logging.StreamHandler):
    """Writes to the console of now (a command run by tests gets its own)."""
    stream = property(lambda self: sys.stderr, lambda self, _value: None)


def _show_logged_texts(app: Flask) -> None:
    """The log sender (the demo's) writes each text to the log; with plain logs, the sending command
    shows them on its console (where the demo's codes are read)."""
    from .services import notifications

    if app.config.get("LOG_JSON") or app.config["SMS_SENDER"] != "log" or any(
            isinstance(handler, _Console) for handler in notifications.log.handlers):
        return
    handler = _Console()
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    notifications.log.addHandler(handler)
    notifications.log.setLevel(logging.INFO)


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load the demo district (idempotent).  New staff get a random password, shown once."""
        report = seed.seed_demo(staff_password=os.environ.get("DEMO_STAFF_PASSWORD") or None, archive=True)
        if report.created:
            click.echo("Created: " + ", ".join(f"{n} {kind}" for kind, n in sorted(report.created.items())))
        else:
            click.echo("Demo data already present; nothing to add.")
        for username, password in report.new_staff:
            click.echo(f"  staff account {username:<16} password {password}")
        if not report.new_staff:
            click.echo("Staff accounts: " + ", ".join(u for u, *_rest in _demo_staff()) +
                       " (passwords were shown when they were created; reset one with `flask create-staff`).")

    @app.cli.command("create-staff")
    @click.argument("username")
    @click.option("--name", "display_name", help="Name shown in the back office.")
    @click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.COMMUNITY_STAFF.value)
    @click.option("--area", "area_code", required=True, help="Code of the community (or district) served.")
    @click.password_option(help="Asked for when not given.")
    def create_staff_command(username, display_name, role, area_code, password):
        """Create a staff account, or set a new password and role for an existing one."""
        with refused_as_click_error():
            administration.save_staff(username, role=role, area_code=area_code, password=password,
                                      display_name=display_name or "")
        click.echo(f"Staff account {username} ({role}, {area_code}) saved.")

    @app.cli.command("create-admin")
    @click.argument("username")
    @click.option("--name", "display_name", help="Name shown in the back office.")
    @click.option("--district-code", default="", help="The district's code (asked for when the database has none).")
    @click.option("--district-name", default="", help="The district's name in Chinese (asked for when new).")
    @click.option("--district-name-en", default="", help="The district's name in English.")
    @click.password_option(help="Asked for when not given.")
    def create_admin_command(username, display_name, district_code, district_name, district_name_en, password):
        """A real installation's first step: a district admin, and the district itself on an empty database.
        Everything else is then set up in the browser, at /staff/admin/."""
        from .models import Area, AreaLevel

        if db.session.scalar(db.select(Area.id).filter_by(level=AreaLevel.DISTRICT).limit(1)) is None:
            district_code = district_code or click.prompt("District code (e.g. GX)")
            district_name = district_name or click.prompt("District name (e.g. 高新区)")
        with refused_as_click_error():
            staff = administration.create_first_admin(
                username, password=password, display_name=display_name or "", district_code=district_code.strip(),
                district_name_zh=district_name, district_name_en=district_name_en)
        click.echo(f"District admin {staff.username} of {staff.area.code} created. "
                   f"Sign in at /staff/login and go on at /staff/admin/.")

    @app.cli.command("grid-level")
    @click.argument("code")
    @click.option("--name-zh", required=True, help="e.g. 网格长")
    @click.option("--name-en", default="", help="e.g. Grid leader")
    @click.option("--rank", type=int, required=True, help="Position on the ladder; 1 is the top.")
    def grid_level_command(code, name_zh, name_en, rank):
        """Define or rename a rung of the grid ladder (the deployment's own names and order)."""
        for row in administration.save_grid_level(code, name_zh=name_zh, name_en=name_en, rank=rank):
            click.echo(f"{row.rank}. {row.code:<16} {row.name_zh} {row.name_en}")

    @app.cli.command("grid-post")
    @click.argument("username")
    @click.argument("grid_code")
    @click.option("--community", "community_code", required=True)
    @click.option("--level", "level_code", required=True, help="Code of a grid level (see grid-level).")
    @click.option("--remove", is_flag=True, help="Take the grid out of this account's scope.")
    def grid_post_command(username, grid_code, community_code, level_code, remove):
        """Give a grid worker a post in a grid (the grid joins their scope), or remove it."""
        with refused_as_click_error():
            staff = administration.set_grid_post(username, grid_code, community_code=community_code,
                                                 level_code=level_code, remove=remove)
        click.echo(f"{username}: " + (", ".join(
            f"{p.grid.community.code}/{p.grid.code} ({p.level.name_zh})" for p in staff.grid_posts) or "no grid posts"))

    @app.cli.command("compartment")
    @click.argument("terminal_code")
    @click.argument("number", type=int)
    @click.option("--size", type=click.Choice(["S", "M", "L"]), required=True)
    @click.option("--board", type=click.IntRange(1, 255), default=1, show_default=True)
    @click.option("--lock", type=click.IntRange(1, 24), required=True, help="Channel on the lock board.")
    def compartment_command(terminal_code, number, size, board, lock):
        """Add a compartment to a locker terminal, or change its size or lock-board wiring."""
        with refused_as_click_error():
            administration.save_compartment(terminal_code, number, size=size, board=board, lock=lock)
        click.echo(f"{terminal_code} door {number}: size {size}, board {board}, lock {lock}")

    @app.cli.command("terminal-printer")
    @click.argument("terminal_code")
    @click.argument("printer_url")
    def terminal_printer_command(terminal_code, printer_url):
        """Set a terminal's receipt printer: none, dummy://, tcp://HOST:9100, serial:///dev/ttyUSB0,
        usb://VID:PID; add ?chinese=gb18030 for printers with a Chinese font, ?width=58 for 58 mm paper."""
        with refused_as_click_error():
            terminal = administration.set_printer(terminal_code, printer_url)
        click.echo(f"{terminal.code}: receipt printer {terminal.printer_url}")

    @app.cli.command("terminal-locks")
    @click.argument("terminal_code")
    @click.argument("lock_url")
    def terminal_locks_command(terminal_code, lock_url):
        """Set a locker terminal's lock line: sim:// (simulated), agent (a terminal agent drives the
        board), a serial device such as /dev/ttyUSB0, or socket://HOST:PORT (an Ethernet converter)."""
        from .services import locker

        with refused_as_click_error():
            terminal = locker.set_lock_url(terminals.get_by_code(terminal_code), lock_url)
        click.echo(f"{terminal.code}: lock line {terminal.lock_url}")

    @app.cli.group("locker")
    def locker_group():
        """The lockers' health: lock boards and stranded reservations."""

    @locker_group.command("check")
    @click.argument("terminal_code", required=False)
    @click.option("--loop", is_flag=True, help="Keep running (as a service), checking every --interval seconds.")
    @click.option("--interval", default=60.0, type=float, help="Seconds between rounds with --loop.")
    def locker_check_command(terminal_code, loop, interval):
        """Ask every lock board whether it answers (a board fault clears itself when it does), settle
        doors whose state was unknown, and release or escalate stranded reservations."""
        import time

        from .models import Terminal, TerminalKind
        from .services import locker

        while True:
            chosen = db.select(Terminal).filter_by(kind=TerminalKind.LOCKER).order_by(Terminal.code)
            if terminal_code:
                chosen = chosen.filter_by(code=terminal_code)
            found = db.session.scalars(chosen).all()
            if terminal_code and not found:
                raise click.ClickException(f"No locker terminal {terminal_code}.")
            for terminal in found:
                boards = locker.check_boards(terminal)
                swept = locker.sweep(terminal)
                health = ", ".join(f"board {n}: {fault or 'ok'}" for n, fault in boards.items()) or "no boards"
                click.echo(f"{terminal.code} ({terminal.lock_url}): {health}; released {swept['released']}, "
                           f"escalated {swept['escalated']}, expired commands {swept['expired_commands']}")
            db.session.remove()
            if not loop:
                return
            time.sleep(interval)

    @app.cli.command("terminal-agent")
    @click.option("--server", required=True, help="The central server, e.g. https://fuwu.example.gov.cn")
    @click.option("--credential", envvar="TERMINAL_CREDENTIAL", help="This terminal's credential (or --enrol).")
    @click.option("--enrol", "enrol_code", help="A one-time enrolment code: enrol first, print the credential.")
    @click.option("--lock-url", required=True, help="The lock board: /dev/ttyUSB0 or socket://host:port")
    @click.option("--boards", default="1", help="Comma-separated lock board addresses.")
    @click.option("--interval", default=0.5, type=float, help="Seconds between rounds.")
    def terminal_agent_command(server, credential, enrol_code, lock_url, boards, interval):
        """Run this terminal's agent: fetch door commands from the server and drive the lock board."""
        import json
        import urllib.request

        from .hardware.agent import Agent
        from .hardware.locks import SerialLockBoard

        if enrol_code:
            request = urllib.request.Request(f"{server.rstrip('/')}/api/terminal/enrol", method="POST",
                                             data=json.dumps({"code": enrol_code}).encode(),
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                credential = json.loads(response.read())["credential"]
            click.echo(f"Enrolled. Keep this credential (TERMINAL_CREDENTIAL): {credential}")
        if not credential:
            raise click.ClickException("Give --credential (or TERMINAL_CREDENTIAL), or --enrol CODE.")
        agent = Agent(server, credential, SerialLockBoard(lock_url, rs485=app.config.get("LOCK_RS485", False)),
                      boards=tuple(int(b) for b in boards.split(",")))
        click.echo(f"Agent running against {server} with lock board {lock_url}.")
        agent.run_forever(interval)

    @app.cli.group("notifications")
    def notifications_group():
        """Messages to residents."""

    @notifications_group.command("send")
    @click.option("--loop", is_flag=True, help="Keep running (as a service), sending what falls due.")
    @click.option("--interval", default=5.0, type=float, help="Seconds between rounds with --loop.")
    def notifications_send_command(loop, interval):
        """Send the text messages that are due (retrying failed ones with growing pauses)."""
        import time

        from .services import notifications

        from .services import privacy, throttle

        _show_logged_texts(app)
        sender = notifications.sender_from_config()
        purged_at = 0.0
        while True:
            if time.monotonic() - purged_at > 3600:  # the loop's hourly chores: old attempt counters go,
                throttle.purge()                      # and personal data kept long enough is erased
                privacy.purge()
                purged_at = time.monotonic()
            counts = notifications.send_due(sender)
            if counts["sent"] or counts["retry"] or counts["failed"] or not loop:
                click.echo(f"sent {counts['sent']}, to retry {counts['retry']}, given up {counts['failed']}")
            if not loop:
                return
            db.session.remove()
            time.sleep(interval)

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Run what is due once and stop (for a cron line or a check).")
    def worker_command(once):
        """The periodic work, as a service: the text outbox, stranded reservations, lock boards, the
        erasure of personal data and old attempt counters, each at its interval (services/scheduler.py).
        Run one per server, or several: they share the work and never run a job twice over."""
        from .services import scheduler

        _show_logged_texts(app)
        if once:
            scheduler.ensure()
            for name, ok, line in scheduler.run_due(scheduler.worker_name()):
                click.echo(f"{name}: {'ok' if ok else 'failed'}: {line}")
            return
        click.echo(f"worker {scheduler.worker_name()} started: " + ", ".join(
            f"{job.name} every {job.interval():g} s" for job in scheduler.JOBS))
        scheduler.loop()

    @app.cli.command("backup")
    @click.option("--to", "folder", default=None, help="The folder (BACKUP_DIR unless given).")
    @click.option("--keep", default=None, type=int, help="How many backups to keep (BACKUP_KEEP unless given).")
    def backup_command(folder, keep):
        """Back the database up (PostgreSQL: pg_dump's custom format; SQLite: its online backup) and keep
        only the newest ones.  The personal-data key is not in it: back that up apart."""
        from .services import backups

        try:
            made = backups.backup(folder or app.config["BACKUP_DIR"],
                                  app.config["BACKUP_KEEP"] if keep is None else keep)
        except backups.BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"backup written: {made.path} ({made.size:,} bytes); {len(made.removed)} older ones removed")

    @app.cli.command("restore")
    @click.argument("path")
    @click.option("--replace", is_flag=True, help="Replace a database that already holds tickets.")
    def restore_command(path, replace):
        """Put a backup made by `flask backup` back into the configured database (an empty one, unless
        --replace).  Stop the web and worker services first."""
        from .services import backups

        try:
            backups.restore(path, replace=replace)
        except backups.BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"restored from {path}")

    @app.cli.group("privacy")
    def privacy_group():
        """Residents' personal data."""

    @privacy_group.command("purge")
    def privacy_purge_command():
        """Erase the personal data of tickets that ended more than PERSONAL_DATA_DAYS ago (run daily)."""
        from .services import privacy

        click.echo(f"personal data erased from {privacy.purge()} tickets")

    @privacy_group.command("keys")
    def privacy_keys_command():
        """How many sealed values each key of PERSONAL_DATA_KEYS holds (and any in clear or under a lost key)."""
        from .services import sealing

        _echo_keys(sealing.report())

    @privacy_group.command("rotate-key")
    def privacy_rotate_key_command():
        """Seal every value again under the first key of PERSONAL_DATA_KEYS (README, "Personal data")."""
        from .models.sealed import SealError, keyring
        from .services import sealing

        try:
            done = sealing.rotate()
        except SealError as error:
            raise click.ClickException(str(error)) from None
        for name, count in done.items():
            click.echo(f"{name}: {count} sealed again under key {keyring().current.id}")
        old = _echo_keys(sealing.report())
        if not old:
            click.echo("every value is under the current key: the other keys may be removed from PERSONAL_DATA_KEYS")

    @app.cli.command("terminal-enrolment")
    @click.argument("terminal_code")
    def terminal_enrolment_command(terminal_code):
        """Make a one-time code (valid 24 hours) that enrols a browser as this terminal."""
        with refused_as_click_error():
            terminal = terminals.get_by_code(terminal_code)
        code = terminals.issue_enrolment_code(terminal)
        with app.test_request_context(base_url=app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"):
            link = url_for("kiosk.enrol_form", _external=True)
        click.echo(f"Enrolment code for {terminal.code} ({terminal.name_zh}): {code}")
        click.echo(f"Open {link} on that terminal and type the code. It works once, for 24 hours.")


@contextmanager
def refused_as_click_error():
    """A refusal of the domain, said on the command line (exit status 1)."""
    try:
        yield
    except InvalidInput as error:
        raise click.ClickException("; ".join(str(message) for message in error.errors.values())) from None
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None


def _demo_staff():
    from .demo import STAFF

    return STAFF


def _echo_keys(columns) -> int:
    """Print the report; returns how many values are held otherwise than under the current key."""
    from .models.sealed import keyring

    current, elsewhere = keyring().current.id, 0
    for column in columns:
        keys = ", ".join(f"{key_id} {count}" for key_id, count in column.by_key.items())
        click.echo(f"{column.name}: {keys}; in clear {column.clear}; under a key not in the ring {column.unknown}")
        elsewhere += column.clear + column.unknown + sum(n for key_id, n in column.by_key.items() if key_id != current)
    return elsewhere

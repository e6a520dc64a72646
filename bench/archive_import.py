"""How long does a community's existing archive take to import?  Prints figures; asserts nothing.

A CSV file of 2,000 households and 5,000 people (one member a row, as community offices keep them in
Excel) is read and imported through the archive's spreadsheet (services/admin/household_sheet.py), in
one transaction, on a fresh database of each kind with the demo district.  The target: under 10 s.

    .venv/bin/python -m bench.archive_import [--households 2000] [--backend sqlite --backend postgresql]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time

from .run import DEFAULT_POSTGRES, Database, postgres_answers

BUILDINGS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08"]


def sheet(households: int) -> bytes:
    from kiosk_app.services.admin.household_sheet import COLUMNS

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for n in range(households):
        place = [BUILDINGS[n % len(BUILDINGS)], "1", f"{n // len(BUILDINGS) + 1:03d}"]
        writer.writerow([*place, "户主", "王秀英", "1950-01-01", "", f"137{n:08d}", "独居老人" if n % 5 == 0 else "",
                         "书面同意", "2026-10-01", "", ""])
        for _member in range(n % 3):  # 0, 1 or 2 more: 2.5 people a household on average
            writer.writerow([*place, "子女", "王小明", "1980-05-05", "", "", "", "", "", "", ""])
        if n % 2:
            writer.writerow([*place, "配偶", "李桂兰", "1952-03-03", "", "", "高龄", "", "", "", ""])
    return out.getvalue().encode("utf-8-sig")


def measure(backend: str, postgres_url: str, households: int) -> str:
    database = Database(backend, postgres_url)
    try:
        from kiosk_app import create_app
        from kiosk_app.extensions import db
        from kiosk_app.models import Household, Member, Staff
        from kiosk_app.services import seed
        from kiosk_app.services.admin import spreadsheets
        from kiosk_app.services.admin.household_sheet import COLUMNS, SHEET

        app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "TESTING": True})
        data = sheet(households)
        with app.app_context():
            db.create_all()
            seed.seed_demo(staff_password="bench-password-1")
            admin = db.session.scalar(db.select(Staff).filter_by(username="admin-hq"))
            started = time.perf_counter()
            rows = spreadsheets.read_rows("archive.csv", data, COLUMNS)
            plan = spreadsheets.run(SHEET, admin, rows, keep=True)
            seconds = time.perf_counter() - started
            made = db.session.scalar(db.select(db.func.count(Household.id)))
            people = db.session.scalar(db.select(db.func.count(Member.id)))
            db.session.remove()
            db.engine.dispose()
        state = "imported" if plan.kept else f"REFUSED ({len(plan.refused)} rows)"
        return (f"{backend}: {len(rows):,} rows, {made:,} households and {people:,} people {state} in {seconds:.1f} s "
                f"(target < 10 s — {'met' if plan.kept and seconds < 10 else 'missed'})")
    finally:
        database.drop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=2000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    args = parser.parse_args(argv)
    for backend in args.backend or ["sqlite", "postgresql"]:
        if backend == "postgresql" and not postgres_answers(args.postgres_url):
            print("postgresql: does not answer; skipped", file=sys.stderr)
            continue
        print(measure(backend, args.postgres_url, args.households), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

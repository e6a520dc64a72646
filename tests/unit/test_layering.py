"""The shape of the code base, checked: who commits, who imports whom, how long a module grows."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "kiosk_app"
UNIT_OF_WORK = PACKAGE / "services" / "uow.py"
MAX_LINES = 400


def modules(folder: Path = PACKAGE):
    return sorted(path for path in folder.rglob("*.py") if "migrations" not in path.parts)


def commits_in(source: str) -> list[int]:
    """Lines that call ``….commit()`` (a session's, a connection's or anything else's)."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"]


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the package's modules that ``path`` imports (relative imports resolved)."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = parts[:-1]  # a module's package; an __init__'s is its own folder, the same slice
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_only_the_unit_of_work_commits_in_the_services():
    stray = {str(path.relative_to(PACKAGE)): commits_in(path.read_text())
             for path in modules(PACKAGE / "services") if path != UNIT_OF_WORK}
    assert {name: lines for name, lines in stray.items() if lines} == {}


@pytest.mark.parametrize("folder", ["cli.py", "web", "kiosk", "terminal", "staff", "public", "api"])
def test_routes_the_cli_and_the_request_end_leave_committing_to_the_use_cases(folder):
    paths = [PACKAGE / folder] if folder.endswith(".py") else modules(PACKAGE / folder)
    # web/transactions.py ends a transaction that provably wrote nothing with COMMIT (it keeps
    # PostgreSQL's prepared statements); it checks first, and is tested to refuse one that wrote.
    allowed = {PACKAGE / "web" / "transactions.py": 1}
    found = {str(path.relative_to(PACKAGE)): len(commits_in(path.read_text())) for path in paths}
    assert {name: n for name, n in found.items() if n != allowed.get(PACKAGE / name, 0)} == {}


def test_the_check_finds_a_stray_commit():
    source = "from ..extensions import db\n\ndef f():\n    db.session.commit()\n"
    assert commits_in(source) == [4]


def test_services_never_import_the_web_layer():
    offenders = {str(path.relative_to(PACKAGE)): sorted(name for name in imported_modules(path)
                                                        if name.startswith("kiosk_app.web"))
                 for path in modules(PACKAGE / "services")}
    assert {name: names for name, names in offenders.items() if names} == {}


def test_the_import_check_sees_relative_imports():
    path = PACKAGE / "services" / "receipts.py"
    assert "kiosk_app.services.urls" in imported_modules(path)
    assert "kiosk_app.models" in imported_modules(path)


def test_no_module_grows_past_a_readable_length():
    long = {str(path.relative_to(PACKAGE)): n for path in modules()
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}

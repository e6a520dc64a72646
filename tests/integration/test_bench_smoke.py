"""The benchmark's smoke run (a few seconds, tiny data), so that `make bench` does not rot.

It checks that every flow is loaded and reported and that the submission check holds; it asserts
no speed (figures belong to `make bench`, on a quiet machine).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_loads_every_flow_and_checks_the_submissions(postgres_url, tmp_path):
    if shutil.which("wrk") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("wrk is missing: scripts/install-test-system-deps.sh installs it")
        pytest.skip("wrk is not installed (apt-get install wrk)")
    command = [sys.executable, "-m", "bench.run", "--smoke", "--output", str(tmp_path / "results.md")]
    command += ["--backend", "postgresql", "--postgres-url", postgres_url] if postgres_url else ["--backend", "sqlite"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    output = result.stdout
    assert result.returncode == 0, output + result.stderr
    for label in ("reference page", "kiosk home", "service form", "ticket submission (POST)", "ticket page with QR",
                  "status page", "staff queue, default view", "staff queue, search", "terminal door-status poll"):
        row = next((line for line in output.splitlines() if line.startswith(f"| {label}")), None)
        assert row is not None, f"no figures for {label}"
        assert row.split("|")[8].strip() == "0", f"{label}: errors under load: {row}"
    assert "one ticket per accepted POST" in output and "0 duplicate ticket numbers" in output
    assert "RSS per worker after the run" in output


def test_the_profiler_shows_a_flows_cpu_statements_and_call_tree(postgres_url):
    command = [sys.executable, "-m", "bench.profile", "status_page", "--requests", "30", "--tickets", "50"]
    command += ["--backend", "postgresql", "--postgres-url", postgres_url] if postgres_url else ["--backend", "sqlite"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    output = result.stdout
    assert result.returncode == 0, output + result.stderr
    assert "30 requests, answered 200 OK" in output
    assert "CPU per request: app " in output
    assert "SQL statements per request: 1" in output  # the status page: ticket and timeline in one query
    assert "(kept status pages) SELECT tickets.id" in output  # ... read before Flask, answered as kept
    assert "StatusPages.__call__" in output  # the call tree reaches it


def test_the_archive_import_benchmark_reports_its_figure(postgres_url):
    command = [sys.executable, "-m", "bench.archive_import", "--households", "40"]
    command += ["--backend", "postgresql", "--postgres-url", postgres_url] if postgres_url else ["--backend", "sqlite"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "40 households" in result.stdout and "imported in" in result.stdout

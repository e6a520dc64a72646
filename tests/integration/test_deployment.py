"""The deployment files in deploy/ (and the Dockerfile) are checked as their tools check them:
systemd-analyze verify on the units, nginx -t on the site with a throwaway certificate, and the compose
file's services against the app they start."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ..conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INSTALLED_AT = "/opt/cloudlocker"


def tool(name: str) -> str:
    found = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if Path(p).exists()), None)
    if found is None:
        reason = f"{name} is not installed (apt-get install {'systemd' if name == 'systemd-analyze' else name})"
        if IN_CI:
            pytest.fail("CI needs it: " + reason, pytrace=False)
        pytest.skip(reason)
    return found


@pytest.mark.parametrize("unit", sorted(p.name for p in (DEPLOY / "systemd").iterdir()))
def test_each_systemd_unit_verifies(unit, tmp_path):
    """systemd-analyze verify, with the install path pointed at this checkout (its .venv and scripts
    are what the units start), so every command a unit runs must exist and be executable."""
    verify = tool("systemd-analyze")
    for name in [unit] + ([unit.replace(".timer", ".service")] if unit.endswith(".timer") else []):
        (tmp_path / name).write_text((DEPLOY / "systemd" / name).read_text().replace(INSTALLED_AT, str(ROOT)))
    copy = tmp_path / unit
    result = subprocess.run([verify, "verify", str(copy)], capture_output=True, text=True, timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if unit in line and "Unknown" not in line or "not executable" in line or "Failed" in line]
    assert result.returncode == 0 and problems == [], result.stdout + result.stderr


def test_the_units_run_the_apps_real_commands():
    units = {p.name: p.read_text() for p in (DEPLOY / "systemd").iterdir()}
    assert "--app wsgi worker" in units["cloudlocker-worker.service"]
    assert "gunicorn" in units["cloudlocker-web.service"] and "TRUSTED_PROXIES=1" in units["cloudlocker-web.service"]
    assert "terminal-agent" in units["cloudlocker-agent.service"]
    assert all("Restart=" in text for name, text in units.items() if "backup" not in name)
    assert "--app wsgi backup" in units["cloudlocker-backup.service"] and "OnCalendar=" in units["cloudlocker-backup.timer"]
    kiosk = (DEPLOY / "kiosk" / "start-kiosk.sh").read_text()
    for flag in ("--kiosk", "--disable-pinch", "--overscroll-history-navigation=0", "--noerrdialogs"):
        assert flag in kiosk


def test_the_nginx_site_passes_nginx_t_with_a_throwaway_certificate(tmp_path):
    nginx = tool("nginx")
    openssl = tool("openssl")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
                    "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
                   check=True, capture_output=True, timeout=60)
    site = ((DEPLOY / "nginx" / "cloudlocker.conf").read_text().replace("/etc/ssl/cloudlocker", str(tmp_path))
            .replace("/var/log/nginx", str(tmp_path)))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/site.conf;
}}
""")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "syntax is ok" in result.stderr, result.stderr


def test_the_nginx_site_writes_the_clients_address_itself():
    """One trusted proxy: X-Forwarded-For is the address nginx saw, never what a client wrote."""
    site = (DEPLOY / "nginx" / "cloudlocker.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site
    assert "$proxy_add_x_forwarded_for" not in site


def test_the_compose_file_starts_the_app_with_postgresql_and_redis():
    """Docker cannot run here, so the compose file is read as Compose reads it and checked against the
    app: each service's command is one the app has, and production's required settings are all set."""
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "redis", "migrate", "web", "worker"} <= set(services)
    assert services["db"]["image"].startswith("postgres:") and services["redis"]["image"].startswith("redis:")
    assert services["migrate"]["command"][-2:] == ["db", "upgrade"]
    assert services["worker"]["command"][-1] == "worker"
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    for name in ("web", "worker", "migrate"):
        environment = services[name]["environment"]
        for setting in ("SECRET_KEY", "PERSONAL_DATA_KEYS", "PUBLIC_BASE_URL", "DATABASE_URL"):
            assert setting in environment, (name, setting)
        assert environment["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert environment["RATELIMIT_STORAGE_URI"].startswith("redis://redis:")
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]  # behind the host's nginx only
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "USER cloudlocker" in dockerfile and "pip install --no-cache-dir -r requirements.txt" in dockerfile
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        env = {"POSTGRES_PASSWORD": "x", "SECRET_KEY": "x", "PERSONAL_DATA_KEYS": "x", "PUBLIC_BASE_URL": "x",
               "PATH": "/usr/bin:/bin"}
        result = subprocess.run(["docker", "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],
                                capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 0, result.stderr


def test_the_worker_and_agent_commands_exist(app):
    """The commands the units and the compose file start are the app's own."""
    for args in (["worker", "--help"], ["terminal-agent", "--help"], ["db", "upgrade", "--help"]):
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, (args, result.output)


def test_gunicorns_settings_load_with_the_app(tmp_path):
    """The web unit's and the image's gunicorn settings: gunicorn itself checks them with the app."""
    import os
    import sys

    gunicorn = Path(sys.executable).parent / "gunicorn"
    env = {**os.environ, "KIOSK_CONFIG": "testing", "DATABASE_URL": f"sqlite:///{tmp_path / 'check.sqlite3'}",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    result = subprocess.run([str(gunicorn), "--check-config", "--config", str(ROOT / "deploy" / "gunicorn.conf.py"),
                             "wsgi:app"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    site = (DEPLOY / "nginx" / "cloudlocker.conf").read_text()
    assert "$route<token>" in site and "access_log /var/log/nginx/cloudlocker.access.log cloudlocker;" in site

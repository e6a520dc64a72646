"""Settings: chosen by the environment, and production refuses development secrets."""

import pytest

from config import settings
from kiosk_app import create_app
from kiosk_app.models.sealed import new_key


def test_production_refuses_the_development_secret_key(monkeypatch):
    monkeypatch.setenv("KIOSK_CONFIG", "production")
    monkeypatch.setattr(settings.ProductionConfig, "SECRET_KEY", settings.DEV_SECRET_KEY)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_needs_the_public_address_for_qr_codes(monkeypatch):
    monkeypatch.setenv("KIOSK_CONFIG", "production")
    monkeypatch.setattr(settings.ProductionConfig, "SECRET_KEY", "x" * 40)
    monkeypatch.setattr(settings.ProductionConfig, "PUBLIC_BASE_URL", "")
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app()


def test_production_starts_with_real_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_CONFIG", "production")
    monkeypatch.setattr(settings.ProductionConfig, "SECRET_KEY", "x" * 40)
    monkeypatch.setattr(settings.ProductionConfig, "PUBLIC_BASE_URL", "https://fw.example.cn")
    monkeypatch.setattr(settings.ProductionConfig, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path}/p.db")
    monkeypatch.setattr(settings.ProductionConfig, "PERSONAL_DATA_KEYS", new_key("k1"))
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("keys", ["", settings.DEV_PERSONAL_DATA_KEYS, f"{new_key('k2')},{settings.DEV_PERSONAL_DATA_KEYS}"])
def test_production_refuses_to_seal_residents_data_without_a_key_of_its_own(monkeypatch, keys):
    monkeypatch.setenv("KIOSK_CONFIG", "production")
    monkeypatch.setattr(settings.ProductionConfig, "SECRET_KEY", "x" * 40)
    monkeypatch.setattr(settings.ProductionConfig, "PUBLIC_BASE_URL", "https://fw.example.cn")
    monkeypatch.setattr(settings.ProductionConfig, "PERSONAL_DATA_KEYS", keys)
    with pytest.raises(RuntimeError, match="PERSONAL_DATA_KEYS"):
        create_app()


def test_a_key_ring_written_wrong_stops_the_start_with_what_is_wrong():
    with pytest.raises(ValueError, match="key k1: the algorithm"):
        create_app({"TESTING": True, "PERSONAL_DATA_KEYS": "k1:rot13:" + "A" * 44})


def test_an_unknown_config_name_is_an_error(monkeypatch):
    monkeypatch.setenv("KIOSK_CONFIG", "staging")
    with pytest.raises(RuntimeError, match="staging"):
        create_app()


@pytest.mark.parametrize("given, used", [
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:////srv/kiosk.db", "sqlite:////srv/kiosk.db"),
])
def test_database_url_selects_the_database(monkeypatch, given, used):
    monkeypatch.setenv("DATABASE_URL", given)
    assert settings._database_url("sqlite://") == used


def test_sqlite_is_the_embedded_default(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert settings._database_url("sqlite:///default.db") == "sqlite:///default.db"

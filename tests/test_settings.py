"""Settings come from the environment and refuse bad values loudly."""

import pytest

from coach.settings import SettingsError, load_settings, parse_database_url


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "COACH_SECRET_KEY", "COACH_ENV", "PORT", "COACH_SECRET_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path))
    return monkeypatch


def test_defaults_to_sqlite_in_the_data_folder(env, tmp_path):
    settings = load_settings()
    assert settings.database.engine == "sqlite"
    assert settings.database.path == tmp_path / "coach.sqlite3"
    assert settings.port == 8000


def test_development_secret_is_generated_once_and_kept(env, tmp_path):
    first = load_settings().secret_key
    assert len(first) >= 32
    assert (tmp_path / "secret_key").read_text() == first
    assert load_settings().secret_key == first


def test_production_without_a_secret_stops_with_a_message_naming_the_variable(env):
    env.setenv("COACH_ENV", "production")
    with pytest.raises(SettingsError, match="COACH_SECRET_KEY"):
        load_settings()


def test_production_with_a_short_secret_is_refused(env):
    env.setenv("COACH_ENV", "production")
    env.setenv("COACH_SECRET_KEY", "short")
    with pytest.raises(SettingsError, match="COACH_SECRET_KEY"):
        load_settings()


def test_secret_may_come_from_a_file(env, tmp_path):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("s" * 40 + "\n")
    env.setenv("COACH_ENV", "production")
    env.setenv("COACH_SECRET_KEY_FILE", str(secret_file))
    assert load_settings().secret_key == "s" * 40


@pytest.mark.parametrize("port", ["eighty", "0", "70000"])
def test_a_bad_port_is_refused_naming_the_variable(env, port):
    env.setenv("PORT", port)
    with pytest.raises(SettingsError, match="PORT"):
        load_settings()


def test_an_unknown_environment_is_refused(env):
    env.setenv("COACH_ENV", "staging")
    with pytest.raises(SettingsError, match="COACH_ENV"):
        load_settings()


@pytest.mark.parametrize("url", ["mysql://localhost/coach", "oracle://x", "nonsense", "sqlite://"])
def test_an_unknown_engine_in_database_url_is_refused(env, url):
    env.setenv("DATABASE_URL", url)
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings()


def test_a_postgresql_url_is_parsed():
    config = parse_database_url("postgresql://anna:s%40cret@db.example:6543/coach")
    assert (
        config.engine,
        config.host,
        config.port,
        config.user,
        config.password,
        config.database,
    ) == ("postgres", "db.example", 6543, "anna", "s@cret", "coach")
    assert "s@cret" not in config.describe()


def test_a_postgresql_url_without_a_database_is_refused():
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        parse_database_url("postgresql://localhost")


def test_an_absolute_sqlite_url_is_kept(tmp_path):
    config = parse_database_url(f"sqlite:///{tmp_path}/x.db")
    assert config.path == tmp_path / "x.db"

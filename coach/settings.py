"""Every setting, read from the environment, refusing bad values loudly."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FRONTEND_DIR = PROJECT_ROOT / "frontend"
MIN_SECRET_LENGTH = 32
ERASURE_MODES = ("delete", "unlink")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def _env(name: str, default: str | None = None) -> str | None:
    """Return a variable, or the contents of the file named by NAME_FILE."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(f"{name}_FILE: cannot read {file_name}: {exc.strerror}") from exc
    return os.environ.get(name, default)


def _env_int(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    raw = _env(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and {maximum}" if maximum is not None else ""
        raise SettingsError(f"{name} must be between {minimum}{upper}, not {value}")
    return value


def _env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (_env(name) or default).strip().lower()
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


@dataclass(frozen=True)
class DatabaseConfig:
    engine: str  # "sqlite" or "postgres"
    path: Path | None = None  # SQLite
    host: str = "127.0.0.1"
    port: int = 5432
    user: str | None = None
    password: str | None = None
    database: str | None = None

    def describe(self) -> str:
        """Return the database's location without its password."""
        if self.engine == "sqlite":
            return f"sqlite:{self.path}"
        return f"postgresql://{self.user or ''}@{self.host}:{self.port}/{self.database}"


def parse_database_url(url: str) -> DatabaseConfig:
    """Turn DATABASE_URL into a DatabaseConfig, refusing unknown engines."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # As elsewhere: sqlite:///relative/file.db, sqlite:////absolute/file.db
        if not url.lower().startswith("sqlite:///") or len(url) <= len("sqlite:///"):
            raise SettingsError("DATABASE_URL: write an sqlite URL as sqlite:///path/to/file.db")
        path = Path(url[len("sqlite:///") :])
        return DatabaseConfig(engine="sqlite", path=path.resolve())
    if scheme in ("postgres", "postgresql"):
        database = parts.path.lstrip("/")
        if not database:
            raise SettingsError("DATABASE_URL: a postgresql URL needs a database name")
        try:
            port = parts.port or 5432
        except ValueError:
            raise SettingsError("DATABASE_URL: the port is not a number") from None
        return DatabaseConfig(
            engine="postgres",
            host=parts.hostname or "127.0.0.1",
            port=port,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            database=database,
        )
    raise SettingsError(
        f"DATABASE_URL: unknown engine {scheme or url!r}; use sqlite:///path or postgresql://"
    )


PRIVATE_DIR_MODE = 0o700  # the data folder holds personal data: its owner only
PRIVATE_FILE_MODE = 0o600


def make_private_dir(path: Path) -> None:
    """Create a folder that only its owner may enter, whatever the umask."""
    if not path.exists():
        path.mkdir(parents=True, mode=PRIVATE_DIR_MODE)
        path.chmod(PRIVATE_DIR_MODE)  # mkdir's mode passes through the umask


def make_private_file(path: Path, *, exclusive: bool = False) -> None:
    """Create an empty file that only its owner may read, whatever the umask.

    exclusive: fail if the path exists (a file or a link someone else put there).
    """
    flags = os.O_CREAT | os.O_WRONLY | (os.O_EXCL if exclusive else 0)
    os.close(os.open(path, flags, PRIVATE_FILE_MODE))
    path.chmod(PRIVATE_FILE_MODE)  # os.open's mode passes through the umask


def _load_secret(env: str, data_dir: Path) -> str:
    secret = _env("COACH_SECRET_KEY")
    if env == "production":
        if not secret or len(secret) < MIN_SECRET_LENGTH:
            raise SettingsError(
                f"COACH_SECRET_KEY must be set to at least {MIN_SECRET_LENGTH} random "
                "characters in production (for example: python -c "
                "'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return secret
    if secret:
        return secret
    # Development: generate once and keep it, so sessions survive restarts.
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    make_private_dir(data_dir)
    secret = secrets.token_urlsafe(48)
    key_file.write_text(secret, encoding="utf-8")
    key_file.chmod(0o600)
    return secret


def _env_base_url() -> str | None:
    """Return COACH_BASE_URL without a trailing slash, or None when it is not set."""
    raw = (_env("COACH_BASE_URL") or "").strip().rstrip("/")
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise SettingsError(
            f"COACH_BASE_URL must look like https://coach.example.fi, not {raw!r}"
        )
    return raw


@dataclass(frozen=True)
class Settings:
    env: str
    data_dir: Path
    database: DatabaseConfig
    secret_key: str
    port: int
    session_idle_minutes: int = 8 * 60
    session_absolute_days: int = 7
    max_body_bytes: int = 1_000_000
    export_k: int = 5
    db_pool_size: int = 10  # PostgreSQL connections per worker; 0: no pool
    # After consent is withdrawn, an admin's erasure deletes the person's rows ("delete")
    # or keeps them for statistics without any link to the person ("unlink").
    erasure_mode: str = "delete"
    default_language: str = "fi"
    # Where people reach the app (COACH_BASE_URL), for invite links. Unset: a page uses the
    # address the request came to, and `coach invite` uses http://127.0.0.1:PORT.
    base_url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"


def load_settings() -> Settings:
    """Read every setting from the environment."""
    env = _env_choice("COACH_ENV", "development", ("development", "production"))
    data_dir = Path(_env("COACH_DATA_DIR") or "./var").expanduser().resolve()
    url = _env("DATABASE_URL")
    if url:
        database = parse_database_url(url)
    else:
        database = DatabaseConfig(engine="sqlite", path=data_dir / "coach.sqlite3")
    return Settings(
        env=env,
        data_dir=data_dir,
        database=database,
        secret_key=_load_secret(env, data_dir),
        port=_env_int("PORT", 8000, minimum=1, maximum=65535),
        session_idle_minutes=_env_int("COACH_SESSION_IDLE_MINUTES", 8 * 60, minimum=1),
        session_absolute_days=_env_int("COACH_SESSION_ABSOLUTE_DAYS", 7, minimum=1),
        max_body_bytes=_env_int("COACH_MAX_BODY_BYTES", 1_000_000, minimum=10_000),
        export_k=_env_int("COACH_EXPORT_K", 5, minimum=2, maximum=50),
        db_pool_size=_env_int("COACH_DB_POOL_SIZE", 10, minimum=0, maximum=200),
        erasure_mode=_env_choice("COACH_ERASURE_MODE", "delete", ERASURE_MODES),
        base_url=_env_base_url(),
    )

"""Process settings, read from the environment and an optional `.env` file.

The names are a public contract (README, black-box checks): SLACK_BOT_TOKEN,
SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, SLACK_API_URL, DATABASE_URL, SAFESHIFT_CONFIG,
SAFESHIFT_SEND_TIMEOUT, SAFESHIFT_MAX_SEND_ATTEMPTS, SAFESHIFT_CHANNEL_INTERVAL, SAFESHIFT_LOG_LEVEL.
A missing or wrong value (a placeholder copied from `.env.example` included) stops start-up
with one line that names the setting.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.engine import make_url

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Slack tokens are `xoxb-`/`xapp-` followed by dash-separated letters and digits only.
_TOKEN_BODY = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
# Words of the examples in `.env.example` and the docs: a value made of them was never replaced.
_PLACEHOLDER_WORDS = {"your", "example", "placeholder", "changeme", "replace", "paste", "xxx", "xxxx"}


def _is_placeholder(v: str) -> bool:
    return any(mark in v for mark in ("…", "...", "<", ">")) or \
        bool(_PLACEHOLDER_WORDS & set(re.split(r"[-_\s]+", v.strip().lower())))


def _token(v: str, prefix: str, what: str, instead: str) -> str:
    v = v.strip()
    if _is_placeholder(v):
        raise ValueError(f"is a placeholder ({v!r}): set {what} {instead}")
    if not v.startswith(prefix) or not _TOKEN_BODY.fullmatch(v[len(prefix):]):
        raise ValueError(f"is not a valid {what}: {prefix} followed by letters, digits and dashes only")
    return v


class SettingsError(Exception):
    """A setting is missing or wrong; the message names it."""


ENV_FILE = ".env"


def _from_environment(env_file) -> dict:
    """The settings' values in `env_file` (if it is a file) overridden by the environment's; names in any case.

    What pydantic-settings' BaseSettings read (env_file=".env", case-insensitive names, the environment before the
    file, a name without a value in the file unset), without loading that package (~1.7 MB of a `serve` process,
    issue 26). The file is read with python-dotenv, as pydantic-settings read it.
    """
    names = {name.lower(): name for name in Settings.model_fields}
    found: dict = {}
    path = Path(env_file).expanduser() if env_file is not None else None
    if path is not None and path.is_file():
        from dotenv import dotenv_values

        for key, value in dotenv_values(path, encoding="utf-8").items():
            if value is not None and key.lower() in names:
                found[names[key.lower()]] = value
    for key, value in os.environ.items():
        if key.lower() in names:
            found[names[key.lower()]] = value
    return found


class Settings(BaseModel):
    """Read from the environment and `.env` (`_env_file`: another file, or None for none); keyword arguments win."""

    model_config = ConfigDict(extra="ignore", validate_default=True)

    def __init__(self, _env_file=ENV_FILE, **values) -> None:
        names = {name.lower(): name for name in type(self).model_fields}
        given = {names.get(key.lower(), key): value for key, value in values.items()}  # names in any case here too
        super().__init__(**{**_from_environment(_env_file), **given})

    SLACK_BOT_TOKEN: str = Field(min_length=1)
    SLACK_SIGNING_SECRET: str = Field(min_length=1)
    SLACK_APP_TOKEN: str | None = None
    SLACK_API_URL: str = DEFAULT_SLACK_API_URL
    DATABASE_URL: str = "sqlite:///safeshift.db"
    SAFESHIFT_CONFIG: str = "safeshift.yaml"
    # Operational knobs (not policy): how the outbox sender behaves.
    SAFESHIFT_SEND_TIMEOUT: float = Field(default=10.0, gt=0)
    SAFESHIFT_MAX_SEND_ATTEMPTS: int = Field(default=50, ge=1)
    SAFESHIFT_CHANNEL_INTERVAL: float = Field(default=1.0, ge=0)
    # Level of the process's log (DEBUG, INFO, WARNING, ERROR, CRITICAL; any case).
    SAFESHIFT_LOG_LEVEL: str = "INFO"

    @field_validator("SLACK_BOT_TOKEN")
    @classmethod
    def _bot_token(cls, v: str) -> str:
        if not v.strip().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return _token(v, "xoxb-", "Bot User OAuth Token (xoxb-…)",
                      "from your Slack app's OAuth & Permissions page (environment or .env)")

    @field_validator("SLACK_SIGNING_SECRET")
    @classmethod
    def _signing_secret(cls, v: str) -> str:
        if _is_placeholder(v):
            raise ValueError(f"is a placeholder ({v!r}): set the app's Signing Secret "
                             "from its Basic Information page (environment or .env)")
        return v.strip()

    @field_validator("SLACK_APP_TOKEN")
    @classmethod
    def _app_token(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        if not v.strip().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp- (leave it unset for HTTP)")
        return _token(v, "xapp-", "app-level token (xapp-…)",
                      "to use Socket Mode, or leave it unset (commented out in .env) to serve HTTP")

    @field_validator("SAFESHIFT_LOG_LEVEL")
    @classmethod
    def _log_level(cls, v: str) -> str:
        level = v.strip().upper()
        level = {"WARN": "WARNING", "FATAL": "CRITICAL"}.get(level, level)
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)} (not {v!r})")
        return level

    @field_validator("SLACK_API_URL")
    @classmethod
    def _api_url(cls, v: str) -> str:
        if not (v.startswith("http://") or v.startswith("https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return v if v.endswith("/") else v + "/"

    @field_validator("DATABASE_URL")
    @classmethod
    def _db_url(cls, v: str) -> str:
        try:
            url = make_url(v)
        except Exception as exc:  # noqa: BLE001 - any parse failure is a wrong setting
            raise ValueError(f"is not a database URL ({exc})") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
            # Plain postgresql:// would pick psycopg2, which we do not ship.
            v = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        return v

    @property
    def config_path(self) -> Path:
        return Path(self.SAFESHIFT_CONFIG)


def load_settings(**overrides) -> Settings:
    """Build settings or raise SettingsError with one line naming the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err.get("loc") else "settings"
        if err["type"] == "missing":
            raise SettingsError(f"{name} is not set (environment or .env)") from None
        msg = err["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{name} {msg}") from None

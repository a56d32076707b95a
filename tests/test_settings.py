import pytest

from bot.settings import SettingsError, load_settings
from tests.conftest import ROOT

BASE = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


def settings(**kw):
    env = dict(BASE)
    env.update(kw)
    env = {k: v for k, v in env.items() if v is not None}
    return load_settings(_env_file=None, **env)


def test_defaults(monkeypatch):
    for k in ("SLACK_API_URL", "DATABASE_URL", "SAFESHIFT_CONFIG", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    s = settings()
    assert s.SLACK_API_URL == "https://slack.com/api/"
    assert s.DATABASE_URL.startswith("sqlite:///")
    assert s.SLACK_APP_TOKEN is None


def test_trailing_slash_is_kept_or_added():
    assert settings(SLACK_API_URL="http://127.0.0.1:9/api/").SLACK_API_URL == "http://127.0.0.1:9/api/"
    assert settings(SLACK_API_URL="http://127.0.0.1:9/api").SLACK_API_URL == "http://127.0.0.1:9/api/"


def test_plain_postgresql_url_uses_psycopg3():
    assert settings(DATABASE_URL="postgresql://u@h/db").DATABASE_URL.startswith("postgresql+psycopg://")


@pytest.mark.parametrize("kw,name", [
    ({"SLACK_BOT_TOKEN": None}, "SLACK_BOT_TOKEN"),
    ({"SLACK_SIGNING_SECRET": None}, "SLACK_SIGNING_SECRET"),
    ({"SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN"),
    ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
    ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
    ({"DATABASE_URL": "::::"}, "DATABASE_URL"),
])
def test_a_missing_or_wrong_setting_is_named_in_one_line(kw, name, monkeypatch):
    for k in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(k, raising=False)
    with pytest.raises(SettingsError) as err:
        settings(**kw)
    msg = str(err.value)
    assert msg.startswith(name) and "\n" not in msg


@pytest.mark.parametrize("kw,name", [
    ({"SLACK_BOT_TOKEN": "xoxb-your-bot-token"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "xoxb-…"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "xoxb-12 34"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "xoxb-"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_APP_TOKEN": "xapp-your-app-token"}, "SLACK_APP_TOKEN"),
    ({"SLACK_APP_TOKEN": "xapp-<token>"}, "SLACK_APP_TOKEN"),
    ({"SLACK_APP_TOKEN": "xapp-1-A0123/456"}, "SLACK_APP_TOKEN"),
    ({"SLACK_SIGNING_SECRET": "your-signing-secret"}, "SLACK_SIGNING_SECRET"),
    ({"SAFESHIFT_LOG_LEVEL": "chatty"}, "SAFESHIFT_LOG_LEVEL"),
    ({"SAFESHIFT_LOG_LEVEL": ""}, "SAFESHIFT_LOG_LEVEL"),
])
def test_placeholders_malformed_tokens_and_unknown_log_levels_are_named(kw, name, monkeypatch):
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    with pytest.raises(SettingsError) as err:
        settings(**kw)
    msg = str(err.value)
    assert msg.startswith(name + " ") and "\n" not in msg


def test_real_looking_tokens_pass():
    s = settings(SLACK_BOT_TOKEN="xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
                 SLACK_APP_TOKEN="xapp-1-A0123ABCDEF-1234567890123-0123456789abcdef", SLACK_SIGNING_SECRET="8f7e6d5c")
    assert s.SLACK_APP_TOKEN.startswith("xapp-1-") and s.SLACK_BOT_TOKEN.startswith("xoxb-1234")
    assert settings(SLACK_APP_TOKEN="  ").SLACK_APP_TOKEN is None  # blank means unset: HTTP


@pytest.mark.parametrize("given,level", [("debug", "DEBUG"), ("Info", "INFO"), ("warn", "WARNING"),
                                         (" ERROR ", "ERROR"), ("critical", "CRITICAL")])
def test_log_level_is_a_setting(given, level, monkeypatch):
    monkeypatch.delenv("SAFESHIFT_LOG_LEVEL", raising=False)
    assert settings().SAFESHIFT_LOG_LEVEL == "INFO"
    assert settings(SAFESHIFT_LOG_LEVEL=given).SAFESHIFT_LOG_LEVEL == level


def test_env_example_copied_as_it_is(monkeypatch, tmp_path):
    """`cp .env.example .env`: the placeholders are refused by name; filled in, it means HTTP (no app token)."""
    for k in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SAFESHIFT_LOG_LEVEL"):
        monkeypatch.delenv(k, raising=False)
    example = ROOT / ".env.example"
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=example)
    assert str(err.value).startswith("SLACK_BOT_TOKEN is a placeholder")
    filled = tmp_path / ".env"
    filled.write_text(example.read_text(encoding="utf-8").replace("xoxb-your-bot-token", "xoxb-1-2-abc")
                      .replace("your-signing-secret", "0a1b2c3d"), encoding="utf-8")
    s = load_settings(_env_file=filled)
    assert s.SLACK_APP_TOKEN is None and s.SAFESHIFT_LOG_LEVEL == "INFO"
    filled.write_text(filled.read_text(encoding="utf-8") + "SAFESHIFT_LOG_LEVEL=debug\n", encoding="utf-8")
    assert load_settings(_env_file=filled).SAFESHIFT_LOG_LEVEL == "DEBUG"


def test_where_a_setting_comes_from(monkeypatch, tmp_path):
    """Keyword arguments, then the environment, then the .env file, then the default; names in any case; a name in
    the file without a value is unset; the file's syntax is python-dotenv's (as with pydantic-settings, which read
    the settings until issue 26)."""
    for k in list(__import__("os").environ):
        if k.upper().startswith(("SLACK_", "SAFESHIFT_", "DATABASE_URL")):
            monkeypatch.delenv(k)
    env_file = tmp_path / ".env"
    env_file.write_text('export SLACK_BOT_TOKEN="xoxb-from-file"\nslack_signing_secret=file-secret # a comment\n'
                        "SAFESHIFT_LOG_LEVEL\nSAFESHIFT_SEND_TIMEOUT=3\nSAFESHIFT_CHANNEL_INTERVAL=2\nOTHER=1\n",
                        encoding="utf-8")
    s = load_settings(_env_file=env_file)
    assert (s.SLACK_BOT_TOKEN, s.SLACK_SIGNING_SECRET, s.SAFESHIFT_LOG_LEVEL) == ("xoxb-from-file", "file-secret", "INFO")
    assert (s.SAFESHIFT_SEND_TIMEOUT, s.SAFESHIFT_CHANNEL_INTERVAL) == (3.0, 2.0)
    monkeypatch.setenv("safeshift_send_timeout", "4")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    s = load_settings(_env_file=env_file, safeshift_channel_interval="0.5")
    assert (s.SLACK_BOT_TOKEN, s.SAFESHIFT_SEND_TIMEOUT, s.SAFESHIFT_CHANNEL_INTERVAL) == ("xoxb-from-env", 4.0, 0.5)
    assert load_settings(_env_file=None, SLACK_SIGNING_SECRET="kw").SLACK_SIGNING_SECRET == "kw"
    with pytest.raises(SettingsError, match="^SLACK_SIGNING_SECRET is not set"):
        load_settings(_env_file=None)  # the file not read: the token from the environment, no secret
    monkeypatch.chdir(tmp_path)  # `.env` of the working directory by default
    assert load_settings().SLACK_SIGNING_SECRET == "file-secret"

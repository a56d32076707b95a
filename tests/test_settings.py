import pytest

from bot.settings import SettingsError, load_settings

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

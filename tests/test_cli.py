"""The `safeshift` command in-process: --version, help texts, digest without --dry-run, logging from settings."""

from __future__ import annotations

import argparse
import logging
from importlib import metadata
from pathlib import Path

import pytest

from bot import cli, startup
from tests.conftest import ORG_YAML, SECRET, TOKEN

SETTING_NAMES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "DATABASE_URL",
                 "SAFESHIFT_CONFIG", "SAFESHIFT_LOG_LEVEL")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working folder and no SafeShift settings in the environment (a checkout's .env stays out)."""
    monkeypatch.chdir(tmp_path)
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    loggers = {name: logging.getLogger(name).level for name in ("", *startup._BODY_LOGGERS)}
    yield tmp_path
    for name, level in loggers.items():
        logging.getLogger(name).setLevel(level)


def one_error_line(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("safeshift: error: ")
    return lines[0]


def test_version_is_the_installed_package_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"safeshift {metadata.version('safeshift')}"


def _all_actions(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                for sub_action in _all_actions(sub):
                    yield f"{name} {sub_action[0]}", sub_action[1]
        else:
            yield "/".join(action.option_strings) or action.dest, action


def test_every_option_and_command_has_help_text():
    parser = cli.build_parser()
    missing = [name for name, action in _all_actions(parser) if not (action.help or "").strip()]
    assert missing == []
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert all((c.help or "").strip() for c in commands._choices_actions)


def test_digest_without_dry_run_explains_itself(workdir, capsys):
    assert cli.main(["digest"]) == 2
    line = one_error_line(capsys)
    assert "--dry-run" in line and "what would be posted" in line and "scheduler" in line


def test_an_unknown_log_level_stops_with_one_line(workdir, capsys, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SAFESHIFT_LOG_LEVEL", "verbose")
    assert cli.main(["check"]) == 2
    assert one_error_line(capsys).startswith("safeshift: error: SAFESHIFT_LOG_LEVEL ")


def test_log_level_from_env_file_configures_logging(workdir, capsys):
    (workdir / "org.yaml").write_text(ORG_YAML, encoding="utf-8")
    (workdir / ".env").write_text(f"SLACK_BOT_TOKEN={TOKEN}\nSLACK_SIGNING_SECRET={SECRET}\n"
                                  f"SAFESHIFT_CONFIG=org.yaml\nSAFESHIFT_LOG_LEVEL=debug\n", encoding="utf-8")
    assert cli.main(["check"]) == 0, capsys.readouterr().err
    assert logging.getLogger().level == logging.DEBUG
    assert logging.getLogger("safeshift").getEffectiveLevel() == logging.DEBUG
    # Slack's libraries log whole request bodies (what people typed) at DEBUG: they stay at INFO.
    assert logging.getLogger("slack_sdk").getEffectiveLevel() == logging.INFO
    assert logging.getLogger("slack_bolt").getEffectiveLevel() == logging.INFO


def test_a_placeholder_token_in_env_file_is_one_line(workdir, capsys):
    (workdir / ".env").write_text("SLACK_BOT_TOKEN=xoxb-your-bot-token\nSLACK_SIGNING_SECRET=your-signing-secret\n",
                                  encoding="utf-8")
    assert cli.main(["check"]) == 2
    assert one_error_line(capsys).startswith("safeshift: error: SLACK_BOT_TOKEN is a placeholder")


def test_check_warns_when_the_calendar_does_not_know_the_next_12_months(workdir, capsys, monkeypatch):
    import datetime as dt

    from bot.workdays import WorkCalendar

    (workdir / "org.yaml").write_text(ORG_YAML, encoding="utf-8")
    (workdir / ".env").write_text(f"SLACK_BOT_TOKEN={TOKEN}\nSLACK_SIGNING_SECRET={SECRET}\nSAFESHIFT_CONFIG=org.yaml\n",
                                  encoding="utf-8")
    far = max(WorkCalendar().covered_years()) + 1  # a year no installed data can know yet
    assert cli.main(["check"]) == 0
    org = cli.load_org(workdir / "org.yaml")
    assert f"of {far}" in cli.calendar_warning(org, dt.datetime(far - 1, 6, 1, tzinfo=dt.timezone.utc))
    # the organisation file's own days for that year (its notice typed in) make it known
    (workdir / "org.yaml").write_text(ORG_YAML + f"calendar: {{holidays: [{far}-01-01], workdays: [{far}-02-06]}}\n",
                                      encoding="utf-8")
    org = cli.load_org(workdir / "org.yaml")
    assert cli.calendar_warning(org, dt.datetime(far - 1, 6, 1, tzinfo=dt.timezone.utc)) is None
    assert not org.workdays.is_working_day(dt.date(far, 1, 1))
    # `safeshift check` prints it as a warning today (2026-11: the package has no notice for 2027 yet) or says
    # nothing when it is known
    capsys.readouterr()
    monkeypatch.setattr(cli, "calendar_warning", lambda org, now: "the calendar is short")
    assert cli.main(["check"]) == 0
    assert "warning: the calendar is short" in capsys.readouterr().out
    # a day both off and worked is refused with its line
    (workdir / "org.yaml").write_text(ORG_YAML + f"calendar: {{holidays: [{far}-01-01], workdays: [{far}-01-01]}}\n",
                                      encoding="utf-8")
    assert cli.main(["check"]) == 2
    assert "both a holiday and a working day" in capsys.readouterr().err


def test_one_version_for_the_command_the_package_and_the_manifest(capsys):
    """bot/__init__.py is the one place (pyproject reads it): `--version`, the metadata and the manifest agree."""
    import bot
    from bot.manifest import build_manifest

    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out.strip() == f"safeshift {bot.__version__}"
    assert metadata.version("safeshift") == bot.__version__  # a stale editable install fails here: reinstall
    assert build_manifest()["display_information"]["description"].endswith(f"v{bot.__version__}")
    changelog = (Path(__file__).resolve().parents[1] / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {bot.__version__}" in changelog  # this release's user-visible changes are written down


def test_at_debug_slack_bodies_never_print_and_libraries_keep_quiet_at_info(workdir):
    """Bolt copies the root's level onto `slack_bolt.App` when an App is made: at DEBUG its records carry
    request and response bodies. The filter on the root's handlers drops them whatever the logger's level;
    at INFO, APScheduler's and waitress's INFO lines are dropped too, SafeShift's own are not."""
    from slack_bolt import App

    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(f"{record.name}:{record.levelname}:{record.getMessage()}")

    keep = Keep()
    root = logging.getLogger()
    root.addHandler(keep)
    try:
        cli.configure_logging("DEBUG")
        App(signing_secret="s", token="xoxb-1", token_verification_enabled=False)  # resets slack_bolt.App's level
        assert logging.getLogger("slack_bolt.App").level == logging.DEBUG  # what Bolt does: the filter must hold
        logging.getLogger("slack_bolt.App").debug("response body: 11010519491231002X")
        logging.getLogger("slack_sdk.web.base_client").debug("request body: 13812345678")
        logging.getLogger("apscheduler.scheduler").debug("a scheduler detail")
        logging.getLogger("safeshift").debug("our own detail")
        assert not any("11010519491231002X" in s or "13812345678" in s for s in seen), seen
        assert "apscheduler.scheduler:DEBUG:a scheduler detail" in seen  # asked for: DEBUG
        assert "safeshift:DEBUG:our own detail" in seen
        seen.clear()
        cli.configure_logging("INFO")
        logging.getLogger("apscheduler.scheduler").info("Added job")
        logging.getLogger("waitress").info("Serving on http://0.0.0.0:3000")
        logging.getLogger("alembic.runtime.migration").info("Running upgrade")
        logging.getLogger("slack_bolt.App").warning("As you gave `client` as well, `token` will be unused.")
        logging.getLogger("apscheduler.scheduler").warning("a job was missed")
        logging.getLogger("safeshift").info("SafeShift serving")
        assert seen == ["apscheduler.scheduler:WARNING:a job was missed", "safeshift:INFO:SafeShift serving"], seen
    finally:
        root.removeHandler(keep)

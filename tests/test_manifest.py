import yaml

from bot.manifest import BOT_SCOPES, build_manifest, manifest_yaml
from tests.slackschema import manifest_errors


def test_socket_mode_manifest_is_valid():
    m = yaml.safe_load(manifest_yaml())
    assert not manifest_errors(m), manifest_errors(m)
    assert m["settings"]["socket_mode_enabled"] is True
    assert m["features"]["slash_commands"][0]["command"] == "/hazard"
    assert {"commands", "chat:write", "files:read", "channels:history"} <= set(m["oauth_config"]["scopes"]["bot"])
    assert "message.channels" in m["settings"]["event_subscriptions"]["bot_events"]


def test_http_manifest_points_everything_at_slack_events():
    m = build_manifest("https://safeshift.example.com")
    assert not manifest_errors(m), manifest_errors(m)
    url = "https://safeshift.example.com/slack/events"
    assert m["settings"]["interactivity"]["request_url"] == url
    assert m["settings"]["event_subscriptions"]["request_url"] == url
    assert m["features"]["slash_commands"][0]["url"] == url
    assert m["settings"]["socket_mode_enabled"] is False
    assert len(set(BOT_SCOPES)) == len(BOT_SCOPES)


def test_the_committed_manifest_is_what_the_command_prints():
    from tests.conftest import ROOT

    assert (ROOT / "manifest.yaml").read_text(encoding="utf-8") == manifest_yaml()


def test_the_example_organisation_file_is_valid():
    from bot.orgfile import load_org
    from tests.conftest import ROOT

    org = load_org(ROOT / "safeshift.example.yaml")
    assert org.teams[1].name == "热线B组" and org.user_locales == {"U11AGENT": "en"}


def test_the_manifest_asks_for_what_working_from_the_thread_needs():
    # #13: a reaction on the card acknowledges (reactions:read + reaction_added); a mention of the bot in the
    # thread acts (app_mentions:read + app_mention); replies still come as message.channels / message.groups.
    m = yaml.safe_load(manifest_yaml())
    scopes, events = set(m["oauth_config"]["scopes"]["bot"]), set(m["settings"]["event_subscriptions"]["bot_events"])
    assert {"reactions:read", "app_mentions:read", "channels:history", "groups:history"} <= scopes
    assert {"reaction_added", "app_mention", "message.channels", "message.groups"} <= events
    assert not manifest_errors(m), manifest_errors(m)
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for scope in ("reactions:read", "app_mentions:read", "reaction_added", "app_mention"):
        assert f"`{scope}`" in readme, f"the README's scope list does not say why {scope} is asked for"

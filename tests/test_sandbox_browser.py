"""The sandbox in a real browser (#12): Playwright for Python driving Debian's Chromium (/usr/bin/chromium,
installed by .ci/run with apt; never a downloaded browser). Screenshots of every step are kept under
artifacts/sandbox/ (git-ignored).

Without /usr/bin/chromium (or Playwright) a developer's run skips these with the reason; in CI
(CI=true) that is a failure.
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "artifacts" / "sandbox"
# a 2x2 red PNG: the photo picked in the report form
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==")
HOSTILE = '<img src=x onerror="window.__xss=1"> <!channel> *cable* under desk 12'


def _need(what: str, ok: bool) -> None:
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs {what} for the sandbox's browser tests (.ci/run installs them)")
    pytest.skip(f"{what} is not installed: the sandbox's browser tests need it")


@pytest.fixture(scope="module")
def browser():
    _need("/usr/bin/chromium (apt-get install chromium)", CHROMIUM.exists())
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("Playwright for Python (pip install -e '.[test]')", False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def box(tmp_path):
    from sandbox.run import Sandbox

    sb = Sandbox(port=0, lang="en", db_dir=str(tmp_path), channel_interval=0).start()
    # Slack's 3 s (a trigger's life, an answer's time) are checked in tests of their own; on a machine
    # loaded by a whole test run, these tests check the flow
    sb.slack.trigger_ttl = sb.people.slow_after = 60.0
    yield sb
    sb.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.errors = errors
    yield pg
    context.close()
    assert errors == [], f"the page's JavaScript failed: {errors}"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def be(page, user: str) -> None:
    page.select_option("#who", user)
    page.wait_for_function("u => document.querySelector('#who').value === u", arg=user)


def go(page, channel: str) -> None:
    page.click(f'a.channel-link[data-id="{channel}"]')
    page.wait_for_selector("#title")


def say(page, text: str, box_id: str = "#say") -> None:
    page.fill(box_id, text)
    page.press(box_id, "Enter")


def card(page):
    return page.locator("#messages .msg", has=page.locator(".blk-header")).first


def test_report_acknowledge_reply_and_status_in_the_browser(box, page, tmp_path):
    page.goto(box.url)
    be(page, "U0AGENT1")
    go(page, "C0TEAMA")
    shot(page, "01-agent-in-team-channel")

    # as an agent: /hazard opens the form, filled with what was typed
    say(page, "/hazard " + HOSTILE)
    page.wait_for_selector("#modal-back:not([hidden])")
    assert page.input_value('[data-block-id="description"] textarea') == HOSTILE
    page.check('[data-block-id="level"] input[value="2"]')
    page.select_option('[data-block-id="category"] select', label="Electrical")
    page.fill('[data-block-id="location"] input', "row 3, desk 12")
    photo = tmp_path / "cable.png"
    photo.write_bytes(PNG)
    page.set_input_files('[data-block-id="photos"] input[type=file]', str(photo))
    page.wait_for_selector('[data-block-id="photos"] .thumbs[data-count="1"]')
    shot(page, "02-report-form-filled")
    page.click("#modal-submit")
    page.wait_for_function("() => document.querySelector('#modal-title').textContent !== 'Report a hazard'")
    shot(page, "03-confirmation")
    number = re.search(r"HZ-\d{4}-\d{5}", page.inner_text("#modal-body")).group(0)
    page.click("#modal-close")
    page.wait_for_selector("#modal-back", state="hidden")

    # the card in the safety channel, photo attached, the hostile text shown as text
    go(page, "C0SAFETY")
    page.wait_for_selector(f'#messages .blk-header:has-text("{number}")')
    c = card(page)
    assert c.locator('button[data-action-id="hazard_ack"]').count() == 1
    assert c.locator("img[src*='/files/']").count() == 1
    assert "<img src=x" in c.inner_text()
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src='x']").count() == 0
    shot(page, "04-card-in-safety-channel")

    # as the supervisor: Acknowledge changes the card in place and adds a thread line
    be(page, "U0SUPA")
    go(page, "C0SAFETY")
    before = page.locator("#messages .msg").count()
    card(page).locator('button[data-action-id="hazard_ack"]').click()
    page.wait_for_function("() => !document.querySelector('#messages button[data-action-id=\"hazard_ack\"]')")
    c = card(page)
    assert c.locator(".edited").count() == 1
    assert page.locator("#messages .msg:not(.ephemeral)").count() == before  # replaced, not added
    c.locator(".replies-link").wait_for()
    page.wait_for_function("() => /repl/.test(document.querySelector('#messages .replies-link').textContent)")
    shot(page, "05-acknowledged")
    c.locator(".replies-link").click()
    page.wait_for_selector("#thread:not([hidden])")
    page.wait_for_selector("#thread-messages .msg >> nth=1")
    line = page.locator("#thread-messages .msg").nth(1).inner_text()  # the first reply: the bot's thread line
    assert "SafeShift" in line and "@Wang Fang" in line and number in line
    shot(page, "06-thread-line")

    # a reply in the thread joins the report's timeline
    say(page, "cord taped down, electrician booked", "#thread-say")
    page.wait_for_selector('#thread-messages .msg:has-text("electrician booked")')
    box.people.idle()
    shot(page, "07-thread-reply")

    # /hazard status shows state and timeline, only to the person who asked
    say(page, f"/hazard status {number}")
    status = page.locator("#messages .msg.ephemeral", has_text=number).last
    status.wait_for()
    page.wait_for_function("() => /electrician booked/.test(document.querySelector('#messages').innerText)")
    text = status.inner_text()
    assert "Only visible to you" in text and "electrician booked" in text
    shot(page, "08-status")
    be(page, "U0AGENT1")
    go(page, "C0SAFETY")
    assert page.locator("#messages .msg.ephemeral", has_text="electrician booked").count() == 0

    assert box.slack.problems == [], box.slack.problems
    assert page.inner_text("#problem-count") == "0"


def test_every_template_renders_in_the_page_without_a_schema_flag(box, page, monkeypatch):
    import copy
    import functools

    from slack_sdk import WebClient

    import tests.test_chinese as samples
    from bot.render import render
    from tests.test_chinese import TEMPLATES, template_context

    # the sample values of tests/test_chinese.py read the policy YAML once per value: once is enough here
    once = functools.lru_cache(maxsize=1)(samples.policy)
    monkeypatch.setattr(samples, "policy", lambda: copy.deepcopy(once()))

    slack = box.slack
    with slack._lock:  # the sample photo the card templates name
        slack.files["F1"] = {"id": "F1", "name": "F1.png", "mimetype": "image/png", "filetype": "png",
                             "url_private": f"{slack.base}/files/F1/F1.png", "permalink": f"{slack.base}/files/F1/F1.png"}
        slack.file_bytes["F1"] = PNG
    client = WebClient(token=box.settings.SLACK_BOT_TOKEN, base_url=slack.url)
    page.goto(box.url)
    be(page, "U0HEAD")
    drawn: list[str] = []
    no_sample: list[str] = []
    for locale in ("zh-CN", "en"):
        for name in TEMPLATES:
            where = f"{name}-{locale}"
            try:
                context = template_context(name, locale)
            except AssertionError:  # tests/test_chinese.py names the template that lacks sample values
                no_sample.append(where)
                continue
            tree = render(name, locale, **context)
            if isinstance(tree, list):
                client.chat_postMessage(channel="U0HEAD", text=where, blocks=tree)
                go(page, "D0HEAD")
                page.wait_for_function("n => document.querySelectorAll('#messages .msg').length >= n",
                                       arg=len([d for d in drawn if not d.startswith("view:")]) + 1)
            elif tree.get("type") == "home":
                client.views_publish(user_id="U0HEAD", view=tree)
                page.click("#nav-home")
                page.wait_for_selector("#messages .blocks")
            else:
                client.views_open(trigger_id=slack.issue_trigger("U0HEAD"), view=tree)
                page.wait_for_selector("#modal-back:not([hidden])")
                page.wait_for_function("t => document.querySelector('#modal-title').textContent === t",
                                       arg=tree["title"]["text"])
                shot(page, f"template-{where}")
                assert page.locator("#modal .unsupported, #modal .warn, #modal .flag").count() == 0, where
                page.click("#modal-close")
                page.wait_for_selector("#modal-back", state="hidden")
                drawn.append("view:" + where)
                continue
            shot(page, f"template-{where}")
            assert page.locator("#messages .unsupported, #messages .warn, #messages .flag").count() == 0, where
            drawn.append(("view:" if not isinstance(tree, list) else "") + where)
    flagged = [(p["method"], p["errors"]) for p in slack.problems]
    assert flagged == [], json.dumps(flagged, ensure_ascii=False)[:2000]
    assert page.inner_text("#problem-count") == "0"
    assert no_sample == [], f"templates without sample values in tests/test_chinese.py: {no_sample}"
    assert len(drawn) == 2 * len(TEMPLATES)


def test_the_page_says_when_validation_is_off(page, tmp_path):
    from sandbox.run import Sandbox

    sb = Sandbox(port=0, lang="zh-CN", db_dir=str(tmp_path), schema=str(tmp_path / "absent.json")).start()
    try:
        page.goto(sb.url)
        page.wait_for_selector("#validation.off")
        assert "校验已关闭" in page.inner_text("#validation")  # the page speaks the run's --lang (#25)
        assert "absent.json" in page.inner_text("#validation")
    finally:
        sb.stop()


def _issue_self_check(box, user: str) -> None:
    """The demo shift's pre-shift self-check, issued now (as its job would, two minutes after start-up)."""
    from bot.checks import shifts
    from sandbox.run import DEMO_SHIFT
    from storage.db import session_scope

    ctx = box.runtime.ctx
    job = next(name for name, j in shifts.jobs(ctx.org).items()
               if j.kind == "pre_shift" and j.phase == "issue" and j.shift == DEMO_SHIFT[box.lang])
    with session_scope(ctx.engine) as s:
        shifts.run(ctx, s, job, ctx.clock.now())
    for wake in ctx.wakers:
        wake()


def test_ticks_go_with_problem_found_notes_stay_and_the_composer_leaves_the_home_tab(box, page):
    """#20: ticked items were lost when pressing Problem found (the page sent no message state); "Please complete
    this required field" vanished at the next change in the workspace; the composer stayed on the Home tab;
    ephemeral messages showed a 2023 time."""
    page.goto(box.url)
    be(page, "U0AGENT1")
    _issue_self_check(box, "U0AGENT1")
    go(page, "D0AGENT1")
    task = page.locator("#messages .msg", has=page.locator('button[data-action-id="task_problem"]')).last
    task.wait_for()
    for label in ("Fire exits and passages (clear)", "Headset (intact, working)"):
        draws = int(page.evaluate("document.body.dataset.draws"))
        task.get_by_label(label).check()  # ticking is an action too: the page redraws after it
        page.wait_for_function("n => +document.body.dataset.draws > n", arg=draws)
        task = page.locator("#messages .msg", has=page.locator('button[data-action-id="task_problem"]')).last
    task = page.locator("#messages .msg", has=page.locator('button[data-action-id="task_problem"]')).last
    assert task.get_by_label("Fire exits and passages (clear)").is_checked()  # kept across the redraws
    assert task.get_by_label("Headset (intact, working)").is_checked()
    assert not task.get_by_label("Computer (works normally)").is_checked()
    shot(page, "20-self-check-ticked")
    task.locator('button[data-action-id="task_problem"]').click()
    page.wait_for_selector("#modal-back:not([hidden])")
    form = page.inner_text("#modal-body") + " ".join(
        page.locator("#modal-body textarea").evaluate_all("ts => ts.map(t => t.value)"))
    assert "Fire exits and passages (clear)" in form and "Headset (intact, working)" in form, form
    assert "Computer (works normally)" not in form
    shot(page, "21-problem-form-with-the-ticks")

    # a required field left empty: the note stays while the workspace changes around the open form
    page.fill('[data-block-id="description"] textarea', "")
    page.click("#modal-submit")
    note = page.locator('[data-error-for="description"]')
    assert note.inner_text() == "Please complete this required field."
    version = int(page.evaluate("document.body.dataset.version"))
    box.people.say("U0SUPB", "C0TEAMB", "meanwhile, elsewhere")
    page.wait_for_function("v => +document.body.dataset.version > v", arg=version)
    assert note.inner_text() == "Please complete this required field."
    page.click("#modal-close")
    page.wait_for_selector("#modal-back", state="hidden")

    # the Home tab has no composer
    page.click("#nav-home")
    page.wait_for_selector("#composer", state="hidden")
    go(page, "C0TEAMA")
    page.wait_for_selector("#composer", state="visible")

    # an ephemeral answer carries the time it was sent
    say(page, "/hazard help")
    answer = page.locator("#messages .msg.ephemeral").last
    answer.wait_for()
    sent = float(answer.get_attribute("data-ts"))
    assert abs(sent - page.evaluate("Date.now() / 1000")) < 120, sent


def test_a_tab_open_across_a_restart_reconnects_and_acts_with_the_new_runs_token(page, tmp_path):
    """#20: an old tab reconnecting after a restart met `'Sandbox' object has no attribute 'commands'`; with the
    per-run token (#19) its first action is refused, and the page loads itself again to get the new one."""
    import socket

    from sandbox.run import Sandbox

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    first = Sandbox(port=port, lang="en", db_dir=str(tmp_path / "a")).start()
    try:
        page.goto(first.url)
        be(page, "U0AGENT1")
        go(page, "C0TEAMA")
        say(page, "before the restart")
        page.wait_for_selector('#messages .msg:has-text("before the restart")')
    finally:
        first.stop()
    second = Sandbox(port=port, lang="en", db_dir=str(tmp_path / "b")).start()
    try:
        # the long poll finds the new run: a fresh workspace, drawn without a reload
        page.wait_for_function("() => !/before the restart/.test(document.querySelector('#messages').innerText)")
        with page.expect_navigation():  # refused (the last run's token): the page loads itself again
            say(page, "typed into the old page")
        go(page, "C0TEAMA")
        say(page, "after the restart")
        page.wait_for_selector('#messages .msg:has-text("after the restart")')
        assert "after the restart" in json.dumps(second.slack.messages.get("C0TEAMA", []))
        assert second.slack.problems == []
    finally:
        second.stop()

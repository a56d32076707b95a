"""`safeshift serve` loads only what serving needs (issue 26: RSS idle ≤ 80 MB): the export's openpyxl, the monthly
report's matplotlib, the sandbox, jsonschema and Alembic (on a database already at the newest migration) load where
they are used, and of the holidays package only mainland China's calendar."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ORG_YAML, ROOT, SECRET, TOKEN

HEAVY = ("matplotlib", "openpyxl", "sandbox", "jsonschema", "alembic")  # and every country of holidays but one


def heavy(modules) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or m == "holidays.countries")

BUILD = """
import json, sys
from bot.cli import build_runtime, _load
settings, org = _load()
runtime = build_runtime(settings, org, with_scheduler=True)
runtime.wsgi()
print(json.dumps(sorted(sys.modules)))
runtime.engine.dispose()
"""


def test_building_the_runtime_loads_no_export_chart_sandbox_or_migration_code(db_url, tmp_path):
    modules = _run(BUILD, tmp_path, db_url)
    loaded = heavy(modules)
    assert loaded == [], f"serving loaded {loaded}; load them where they are used"
    if db_url.startswith("sqlite"):  # PostgreSQL's dialect only where it is the engine (storage.db.dialect_insert)
        assert [m for m in modules if m.startswith("sqlalchemy.dialects.postgresql")] == []


def test_the_cli_module_alone_loads_none_of_them(tmp_path):
    r = subprocess.run([sys.executable, "-c", "import json, sys, bot.cli; print(json.dumps(sorted(sys.modules)))"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert heavy(json.loads(r.stdout)) == []


# -- issue 26, part "rss": one-shot commands without Bolt, no source file kept in linecache -------------------------------
ONE_SHOT = """
import json, sys
from bot import compose
from bot.cli import _load
compose.install()
settings, org = _load()
from bot.rectification import export
from bot.checks import log
from bot.violations import export as ledger
print(json.dumps(sorted(sys.modules)))
"""


def _run(code: str, tmp_path, db_url: str = "sqlite://") -> list[str]:
    org = tmp_path / "org.yaml"
    org.write_text(ORG_YAML, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SAFESHIFT_", "DATABASE_URL"))}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "DATABASE_URL": db_url,
                "SAFESHIFT_CONFIG": str(org), "SLACK_API_URL": "http://127.0.0.1:9/api/",
                "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])})
    r = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_exports_and_the_other_one_shot_commands_load_neither_bolt_nor_the_listeners(tmp_path):
    """The kinds are installed for every command, their listeners only when an app is wired (bot/compose.py):
    `safeshift export` starts ~4 MB lighter, which its peak RSS (≤ 100 MB, issue 26) is made of."""
    loaded = [m for m in _run(ONE_SHOT, tmp_path) if m.split(".")[0] in ("slack_bolt", "handlers", "waitress")]
    assert loaded == [], f"a one-shot command loaded {loaded[:8]}; import them where an app is wired"


def test_the_runtime_keeps_no_source_file_of_ours_in_linecache(db_url, tmp_path):
    code = BUILD.replace("print(json.dumps(sorted(sys.modules)))",
                         "import linecache\nprint(json.dumps(sorted(sys.modules) + sorted(linecache.cache)))")
    loaded = _run(code, tmp_path, db_url)
    # Bolt names an unnamed App after its caller with inspect.stack(), which keeps every file on the stack in
    # linecache: the runtime names it
    assert [f for f in loaded if f.endswith(os.path.join("bot", "app.py"))] == []


HOLIDAYS = """
import json, sys
lean = sys.argv[1] == "lean"
if lean:
    import bot.workdays  # noqa: F401 - puts holidays.calendars and holidays.groups in lean
import holidays
print(json.dumps({
    "modules": sorted(m for m in sys.modules if m.startswith("holidays.")),
    "days": {country: sorted(f"{d} {n}" for d, n in holidays.country_holidays(country, years=range(2019, 2031)).items())
             for country in ("CN", "DE", "SA", "IL", "TH", "IN")},
}))
"""


def test_holidays_loads_only_chinas_calendars_and_every_country_keeps_its_days(tmp_path):
    """bot/workdays.py loads `holidays.calendars` and `holidays.groups` leanly (each name's module on first use): at
    start only mainland China's four calendars, ~3 MB less of `serve` (issue 26); any country, whichever calendars
    it needs (Islamic, Hebrew, Thai, Hindu…), gets the same days as with the package imported the ordinary way."""
    runs = {}
    for how in ("lean", "ordinary"):
        r = subprocess.run([sys.executable, "-c", HOLIDAYS, how], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        runs[how] = json.loads(r.stdout.strip().splitlines()[-1])
    assert runs["lean"]["days"] == runs["ordinary"]["days"]
    assert all(len(days) > 50 for days in runs["lean"]["days"].values())
    r = subprocess.run([sys.executable, "-c", "import json, sys, bot.workdays; print(json.dumps(sorted(sys.modules)))"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    loaded = [m for m in json.loads(r.stdout) if m.startswith(("holidays.calendars.", "holidays.groups."))]
    assert "holidays.calendars.islamic" not in loaded and "holidays.groups.hebrew" not in loaded
    assert len(loaded) <= 12, loaded  # ordinarily every calendar and group: 37

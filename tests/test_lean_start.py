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
    org = tmp_path / "org.yaml"
    org.write_text(ORG_YAML, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SAFESHIFT_", "DATABASE_URL"))}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "DATABASE_URL": db_url,
                "SAFESHIFT_CONFIG": str(org), "SLACK_API_URL": "http://127.0.0.1:9/api/",
                "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])})
    r = subprocess.run([sys.executable, "-c", BUILD], env=env, cwd=tmp_path, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    loaded = heavy(json.loads(r.stdout.strip().splitlines()[-1]))
    assert loaded == [], f"serving loaded {loaded}; load them where they are used"


def test_the_cli_module_alone_loads_none_of_them(tmp_path):
    r = subprocess.run([sys.executable, "-c", "import json, sys, bot.cli; print(json.dumps(sorted(sys.modules)))"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert heavy(json.loads(r.stdout)) == []

"""What real Slack would refuse: messages and views checked against Slack's Block Kit schema.

The schema is `../shared/slack/block-kit.schema.json` beside the repository (or `--schema PATH`), read
with `jsonschema`. Both are optional for the sandbox: jsonschema is a test dependency only (it is not
small: it brings attrs, referencing and a compiled rpds-py), and the schema file lives outside the
package. Without either, `Checker.why_off` says why, and the page shows that validation is off.
"""

from __future__ import annotations

import json
from pathlib import Path

DEFAULT_SCHEMA = Path(__file__).resolve().parents[1].parent / "shared" / "slack" / "block-kit.schema.json"
MAX_ERRORS = 10  # per payload: the first few say enough


class Checker:
    def __init__(self, schema_path: Path | str | None = None):
        self.path = Path(schema_path) if schema_path else DEFAULT_SCHEMA
        self._validators: dict = {}
        self.why_off = ""
        try:
            from jsonschema.validators import validator_for
        except ImportError:
            self.why_off = "jsonschema is not installed (pip install jsonschema)"
            return
        if not self.path.exists():
            self.why_off = f"no Block Kit schema at {self.path}"
            return
        schema = json.loads(self.path.read_text(encoding="utf-8"))
        for name, ref in (("blocks", None), ("modal", "modal_view"), ("home", "home_view")):
            part = schema if ref is None else {"$schema": schema["$schema"], "$defs": schema["$defs"],
                                                "$ref": f"#/$defs/{ref}"}
            cls = validator_for(part)
            self._validators[name] = cls(part)

    @property
    def on(self) -> bool:
        return not self.why_off

    def _errors(self, which: str, instance) -> list[str]:
        errors = []
        for e in self._validators[which].iter_errors(instance):
            where = "/".join(str(p) for p in e.absolute_path)
            errors.append(f"{which}/{where}: {e.message[:300]}" if where else f"{which}: {e.message[:300]}")
            if len(errors) >= MAX_ERRORS:
                break
        return errors

    def __call__(self, method: str, params: dict) -> list[str]:
        """Slack's reasons to refuse this call ([] when it would take it, or when validation is off)."""
        if not self.on:
            return []
        if "view" in params and isinstance(params["view"], dict):
            view = params["view"]
            return self._errors("home" if view.get("type") == "home" else "modal", view)
        blocks = params.get("blocks")
        if blocks is None:
            return [] if params.get("text") else ["neither text nor blocks: no_text"]
        if isinstance(blocks, str):
            try:
                blocks = json.loads(blocks)
            except ValueError:
                return ["blocks are not JSON"]
        return self._errors("blocks", blocks)

"""Validation against Slack's schemas vendored in sandbox/schemas/ (README there: source and licences).

The schemas are required, never skipped; the repository carries them, so a clone with nothing beside it runs.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from jsonschema.validators import validator_for

SCHEMAS = Path(__file__).resolve().parents[1] / "sandbox" / "schemas"


@lru_cache(maxsize=None)
def _schema(name: str) -> dict:
    path = SCHEMAS / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the repository carries Slack's schemas there")
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _validator(ref: str | None, name: str):
    schema = _schema(name)
    if ref:
        schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{ref}"}
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def duplicate_ids(blocks) -> list[str]:
    """What the schema cannot say and Slack refuses (`invalid_blocks`): a block_id twice in one message or view, an
    action_id twice in one block."""
    if not isinstance(blocks, list):
        return []
    errs, seen = [], set()
    for n, block in enumerate(b for b in blocks if isinstance(b, dict)):
        if (bid := block.get("block_id")) is not None:
            if bid in seen:
                errs.append(f"[{n}]: block_id {bid!r} repeated")
            seen.add(bid)
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        elements += [block[k] for k in ("accessory", "element") if isinstance(block.get(k), dict)]
        actions = [e.get("action_id") for e in elements if isinstance(e, dict) and e.get("action_id") is not None]
        errs += [f"[{n}]: action_id {a!r} repeated in one block" for a in set(actions) if actions.count(a) > 1]
    return errs


def block_errors(blocks) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator(None, "block-kit.schema.json").iter_errors(blocks)] \
        + duplicate_ids(blocks)


def view_errors(view) -> list[str]:
    ref = "home_view" if view.get("type") == "home" else "modal_view"
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator(ref, "block-kit.schema.json").iter_errors(view)] \
        + duplicate_ids(view.get("blocks") if isinstance(view, dict) else None)


def manifest_errors(manifest) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator(None, "manifest.schema.json").iter_errors(manifest)]


def assert_valid_message(params: dict) -> None:
    assert params.get("text"), f"message without a plain-text fallback: {params}"
    if "blocks" in params:
        errs = block_errors(params["blocks"])
        assert not errs, f"invalid blocks: {errs[:5]}"


def assert_valid_view(view: dict) -> None:
    errs = view_errors(view)
    assert not errs, f"invalid view: {errs[:5]}"

"""Reading the organisation file: YAML, the built-in policy and plans merged under its overrides, and the first
problem reported as `ConfigError("path:line: where: what")`. The validated shapes are in `bot.policy`."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.policy import DEFAULT_PLANS_PATH, DEFAULT_POLICY_PATH, ConfigError, Organisation
from bot.policy_base import line_of as _line_of
from bot.policy_base import read_config


def _deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def default_policy_data() -> dict:
    with open(DEFAULT_POLICY_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def default_plans_data() -> dict:
    with open(DEFAULT_PLANS_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def parse_org(text: str, source: str = "<organisation file>") -> Organisation:
    try:
        raw = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}:1: the organisation file must be a mapping of keys")
    overrides = raw.get("policy") or {}
    if not isinstance(overrides, dict):
        raise ConfigError(f"{source}:{_line_of(node, ('policy',))}: policy: must be a mapping")
    data = dict(raw)
    data["policy"] = _deep_merge(default_policy_data(), overrides)
    plans = raw.get("plans") or {}
    if not isinstance(plans, dict):
        raise ConfigError(f"{source}:{_line_of(node, ('plans',))}: plans: must be a mapping")
    data["plans"] = _deep_merge(default_plans_data(), plans)
    training = data["policy"].get("training")
    if isinstance(training, dict) and isinstance(training.get("bank"), str) and training["bank"]:
        bank = Path(training["bank"])  # relative to the organisation file
        training["bank"] = str(bank if bank.is_absolute() else Path(source).parent / bank)
    try:
        org = Organisation.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        loc = tuple(p for p in loc if p not in ("literal", "str", "int"))
        line = _line_of(node, loc)
        where = ".".join(str(p) for p in loc) or "(top)"
        msg = err["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{source}:{line or 1}: {where}: {msg}") from None
    bank = org.question_bank  # read now: a malformed bank stops the start, with its file and line (#23)
    wanted = org.policy.training.test.questions
    if len(bank.questions) < wanted:
        raise ConfigError(f"{source}:{_line_of(node, ('policy', 'training')) or 1}: policy.training.test.questions: "
                          f"{wanted} questions a test, but the bank has {len(bank.questions)}")
    return org


def load_org(path: str | Path) -> Organisation:
    return parse_org(*read_config(path, "the organisation file", "set SAFESHIFT_CONFIG"))

"""The registry (#18): what each kind plugs into the core, and the loops that use it.

A kind (hazards and incidents, rectification, checks, drills, and the kinds to come) declares one `Kind`: its timer
subjects and purposes (what the Sweeper fires), its recurring jobs (what the job runner claims and runs), and its
parts of the Home tab and the daily digest. The core (the Sweeper, `bot/jobs.py`, the Home tab, the digest) loops
over the installed kinds and never names one. The composition root (`bot/compose.py`) installs the product's list;
adding a kind is its package, its migration and one line there.

Listeners are registered the same way, one `register(app)` per kind in `handlers/`, wired by the composition root.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

# fire(ctx, session, subject, timer, now) -> False when the timer no longer matters (the Sweeper cancels it)
FireFn = Callable[[Any, Any, Any, Any, dt.datetime], "bool | None"]
# load(session, ids) -> {id: subject}, locking the rows the fire functions change
LoadFn = Callable[[Any, set], dict]


@dataclass(frozen=True)
class TimerHandler:
    """Who fires the timers of one subject type: those of `purposes`, or every purpose no other handler names."""

    subject_type: str
    load: LoadFn
    fire: FireFn
    purposes: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobArea:
    """A kind's recurring jobs. Job names start with `prefix` (at most 64 characters in all).

    `triggers(org) -> {job: CronTrigger}`; `catch_up(org, job) -> timedelta` (how late a missed run is still made
    up); `run(ctx, session, job, scheduled_for) -> [chat.postMessage payloads]`, called inside the claim's
    transaction: it may write rows of its own there and must be idempotent by its own keys. `own_claim`: the job
    claims and commits by itself (`run(ctx, None, job, scheduled_for)` after the claim, payloads ignored).
    """

    prefix: str
    triggers: Callable[[Any], dict]
    catch_up: Callable[[Any, str], dt.timedelta]
    run: Callable[..., list]
    exact: bool = False  # `prefix` is the whole job name (a single job), not the start of a family
    own_claim: bool = False

    def owns(self, job: str) -> bool:
        return job == self.prefix if self.exact else job.startswith(self.prefix)


@dataclass(frozen=True)
class DigestPart:
    """A kind's part of the daily digest: its figures (`values`, merged into the digest's content) and the lines
    they read as, in a locale (`lines(locale) -> [(order, mrkdwn)]`, shown in that order under the reports)."""

    values: dict
    lines: Callable[[str], list]
    # sections(locale) -> [(order, mrkdwn)]: parts shown as sections under the overdue reports (incidents, items)
    sections: Callable[[str], list] = lambda locale: []


@dataclass(frozen=True)
class Kind:
    """Everything one kind plugs in. Every part is optional."""

    name: str
    timers: tuple[TimerHandler, ...] = ()
    jobs: tuple[JobArea, ...] = ()
    # home(ctx, session, user_id, locale) -> [(order, blocks)]: its parts of that person's Home tab (bot/home.py
    # sorts every kind's parts by order)
    home: Callable | None = None
    # digest(ctx, session, now, team, since) -> DigestPart: its figures for the daily digest (bot/hazards/digest.py)
    digest: Callable | None = None
    commands: tuple[str, ...] = ()  # the slash commands it answers (the manifest declares them)
    untraced: tuple[str, ...] = ()  # commands and view callbacks whose requests leave no trace (bot/untraced.py)
    # warnings(org) -> lines: what the organisation file leaves out that this kind will silently not do (#21)
    warnings: Callable | None = None
    extra: dict = field(default_factory=dict)


class Registry:
    def __init__(self, kinds: Iterable[Kind] = ()):
        self.kinds: tuple[Kind, ...] = tuple(kinds)
        names = [k.name for k in self.kinds]
        if len(set(names)) != len(names):
            raise ValueError(f"a kind is installed twice: {names}")
        self._timers: dict[tuple[str, str | None], TimerHandler] = {}
        for k in self.kinds:
            for h in k.timers:
                for purpose in h.purposes or (None,):
                    key = (h.subject_type, purpose)
                    if key in self._timers:
                        raise ValueError(f"two kinds fire timers of {key}")
                    self._timers[key] = h
        self.untraced: frozenset = frozenset(n for k in self.kinds for n in k.untraced)
        prefixes = [a.prefix for k in self.kinds for a in k.jobs]
        if len(set(prefixes)) != len(prefixes):
            raise ValueError(f"two job areas share a prefix: {prefixes}")

    def timer_handler(self, subject_type: str, purpose: str) -> TimerHandler | None:
        return self._timers.get((subject_type, purpose)) or self._timers.get((subject_type, None))

    def job_areas(self) -> list[JobArea]:
        return [a for k in self.kinds for a in k.jobs]

    def job_area(self, job: str) -> JobArea | None:
        for area in self.job_areas():
            if area.owns(job):
                return area
        return None

    def with_parts(self, part: str) -> list[Kind]:
        return [k for k in self.kinds if getattr(k, part)]


_lock = threading.Lock()
_installed: Registry | None = None


def install(registry: Registry) -> Registry:
    """Make `registry` the process's (the composition root does this once; tests may install their own)."""
    global _installed
    with _lock:
        _installed = registry
    return registry


def current() -> Registry:
    if _installed is None:
        raise RuntimeError("no kinds are installed: build the process through bot.compose (it installs them)")
    return _installed


def untraced_names() -> frozenset:
    """The installed kinds' untraced commands and views (none before any kind is installed)."""
    return _installed.untraced if _installed is not None else frozenset()

"""Working days on mainland China's official calendar: public holidays and the swapped working weekends (调休).

The data comes from the `holidays` package (released monthly; it carries each year's State Council notice
once published: the days off and the weekend days worked in exchange). The organisation file may add days
itself (`calendar: {holidays: [...], workdays: [...]}`), for a notice newer than the installed package or a
local arrangement; its days win over the package's.

A year counts as *covered* once its official notice is known: the package lists that year's special days
(every recent notice moves days), or the organisation file names days in it. Another country
(`calendar: {country: DE}`) follows the package's rules for it, which need no yearly notice: always covered. For a year not covered the
fixed-date holidays and the lunar festivals still count, but no swap does; `safeshift check` and start-up
warn when the next 12 months are not covered (`WorkCalendar.uncovered`).
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib.machinery
import importlib.util
import sys
import threading
from functools import lru_cache
from pathlib import Path


def _lean_package(package: str) -> None:
    """Put `package` (a package whose __init__ only re-exports its modules' names) in sys.modules as a module that
    imports the module defining a name when that name is first asked for. `holidays.calendars` and `holidays.groups`
    import every calendar of the world (Islamic, Hebrew, Hindu… tables: ~3 MB of `serve`, issue 26) where mainland
    China's needs four. A package laid out otherwise, or already imported, is left as it is."""
    if package in sys.modules:
        return
    top = importlib.util.find_spec(package.partition(".")[0])
    if top is None or not top.origin:
        return
    directory = Path(top.origin).parent.joinpath(*package.split(".")[1:])
    try:
        tree = ast.parse((directory / "__init__.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return
    where: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith(package + "."):
            where.update({alias.asname or alias.name: node.module for alias in node.names})
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):  # more than re-exports
            return
    spec = importlib.machinery.ModuleSpec(package, None, is_package=True)
    spec.submodule_search_locations = [str(directory)]
    module = importlib.util.module_from_spec(spec)

    def __getattr__(name: str):
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where[name]), name)
        setattr(module, name, value)
        return value

    module.__getattr__ = __getattr__
    module.__all__ = sorted(where)
    sys.modules[package] = module


for _package in ("holidays.calendars", "holidays.groups"):
    _lean_package(_package)

import holidays  # noqa: E402 - after the lean packages; the root is light: its country modules load on first use


def _china_alone():
    """Mainland China's module of the package, without `holidays.countries`: that package's __init__ imports
    every country (~270 modules, ~9 MB of a process that uses one). Once loaded, the package's own lazy loader
    (`holidays.country_holidays("CN")`) finds it in sys.modules; another country loads the package as before."""
    name = "holidays.countries.china"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(holidays.__file__).parent / "countries" / "china.py")
        if spec is None or spec.loader is None:  # a package laid out otherwise: the ordinary import
            return importlib.import_module(name)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]


ChinaStaticHolidays = _china_alone().ChinaStaticHolidays

COVERAGE_AHEAD = dt.timedelta(days=365)  # "the next 12 months" (issue #10): how far ahead the calendar must be known


@lru_cache(maxsize=1)
def _official_years() -> frozenset[int]:
    """Years whose State Council notice the installed package carries."""
    years = set(getattr(ChinaStaticHolidays, "special_public_holidays", {}) or {})
    return frozenset(y for y in years if isinstance(y, int))


class WorkCalendar:
    """Is a day a working day? Thread-safe; the package's data is built once per year asked for."""

    def __init__(self, extra_holidays=(), extra_workdays=(), country: str = "CN"):
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_workdays = frozenset(extra_workdays)
        self.country = country
        self._lock = threading.Lock()
        self._days = holidays.country_holidays(country, years=[])
        self._years: set[int] = set()

    def _known(self, year: int):
        if year not in self._years:
            with self._lock:  # the package fills years lazily: never two threads at once
                if year not in self._years:
                    _ = dt.date(year, 1, 1) in self._days  # a lookup fills the year (the package's expand)
                    self._years.add(year)
        return self._days

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        china = self._known(day.year)
        with self._lock:
            return china.is_working_day(day)

    def holiday_name(self, day: dt.date) -> str | None:
        if day in self.extra_holidays:
            return "holiday"
        china = self._known(day.year)
        with self._lock:
            return china.get(day)

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The `n`-th working day after `day` (n ≥ 1)."""
        left = n
        while left > 0:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def next_working_day(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, else the next one."""
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def covered_years(self) -> set[int]:
        own = {d.year for d in self.extra_holidays | self.extra_workdays}
        return set(_official_years()) | own

    def official_notices(self) -> bool:
        """Does this country's calendar depend on a yearly official notice (mainland China's does)?"""
        return self.country == "CN"

    def uncovered(self, today: dt.date) -> list[int]:
        """Years of the next 12 months whose official notice the calendar does not know."""
        if not self.official_notices():
            return []
        end = today + COVERAGE_AHEAD
        covered = self.covered_years()
        return [y for y in range(today.year, end.year + 1) if y not in covered]


DEFAULT = WorkCalendar()  # the package's data alone (no organisation file in sight)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # the policy's names of the days of the week


def nominal_days(rule, around: dt.date) -> list[dt.date]:
    """The nominal days of a recurring `rule` (`every`: week with `weekday`, or month / quarter with `day` and, for a
    quarter, `months`) near `around`: this period's and those before it (a day moved past a long holiday can fall
    in the next period). One calendar for every kind that repeats: checks, training sessions."""
    if rule.every == "week":
        this = around - dt.timedelta(days=(around.weekday() - WEEKDAYS.index(rule.weekday)) % 7)
        return [this - dt.timedelta(weeks=k) for k in (2, 1, 0)]
    out = []
    for back in (3, 2, 1, 0) if rule.every == "quarter" else (2, 1, 0):
        month = (around.month - 1 - back) % 12 + 1
        year = around.year + (around.month - 1 - back) // 12
        if rule.every == "month" or month in rule.months:
            out.append(dt.date(year, month, rule.day))
    return out


"""The monthly report's charts as PNG (#22): matplotlib with the headless Agg backend (no display, no pyplot state:
each chart is its own `Figure`, so two threads never share one).

Chinese labels need a font with CJK glyphs. `cjk_font()` picks the first installed one of `CJK_FAMILIES` (Debian's
fonts-noto-cjk gives Noto Sans CJK SC; fonts-wqy-microhei WenQuanYi Micro Hei). Without one, a zh-CN report's charts
are labelled in English instead of showing missing-glyph boxes: the figures are the same, and the log says why.
"""

from __future__ import annotations

import base64
import io
import logging
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot import i18n  # noqa: E402

log = logging.getLogger("safeshift.indicators.charts")
CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
                "Droid Sans Fallback", "AR PL UMing CN", "Microsoft YaHei", "SimHei", "PingFang SC")
CJK_FILES = ("CJK", "wqy", "WenQuanYi", "SourceHan", "DroidSansFallback", "uming", "msyh", "simhei", "PingFang")
SIZE = (8, 4.5)  # inches, at DPI: 800 × 450 pixels
DPI = 100
GREEN, RED, BLUE, GREY = "#2e7d32", "#c62828", "#1565c0", "#9e9e9e"


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font with CJK glyphs, or None."""
    found = _first_cjk()
    if found is None:
        # matplotlib's font list is cached per user (~/.cache/matplotlib) and may predate a font installed since
        # (a CJK font added after a first run): add the system's CJK font files it does not know, then look again.
        known = {f.fname for f in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known and any(k in path for k in CJK_FILES):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # an unreadable file: not ours to mend
                    continue
        found = _first_cjk()
    if found is None:
        log.warning("no font with CJK glyphs is installed (e.g. Debian's fonts-noto-cjk): charts are labelled in English")
    return found


def _first_cjk() -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FAMILIES if name in installed), None)


def chart_locale(locale: str) -> tuple[str, str | None]:
    """(the locale the labels are written in, the font family to use)."""
    font = cjk_font()
    if locale == "zh-CN" and font is None:
        return "en", None
    return locale, font


def _figure(font: str | None, title: str):
    fig = Figure(figsize=SIZE, dpi=DPI)
    ax = fig.add_subplot()
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    ax.set_title(title, fontfamily=family, fontsize=13)
    return fig, ax, family


def _png(fig, ax, family) -> bytes:
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        label.set_fontfamily(family)
    legend = ax.get_legend()
    if legend is not None:
        for text in legend.get_texts():
            text.set_fontfamily(family)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def weekly(r: dict, locale: str, font: str | None) -> bytes:
    t = lambda k: i18n.tp(locale, f"indicators.{k}")  # noqa: E731
    fig, ax, family = _figure(font, t("chart_weekly"))
    weeks = r["current"].weekly
    xs = list(range(len(weeks)))
    ax.bar([x - 0.2 for x in xs], [o for _, o, _ in weeks], width=0.4, color=RED, label=t("chart_opened"))
    ax.bar([x + 0.2 for x in xs], [c for _, _, c in weeks], width=0.4, color=GREEN, label=t("chart_closed"))
    ax.set_xticks(xs, [w.strftime("%m-%d") for w, _, _ in weeks])
    ax.set_xlabel(t("chart_week"), fontfamily=family)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(prop={"family": family})
    return _png(fig, ax, family)


def acknowledge(r: dict, locale: str, font: str | None, target: float | None) -> bytes:
    t = lambda k: i18n.tp(locale, f"indicators.{k}")  # noqa: E731
    fig, ax, family = _figure(font, t("chart_ack"))
    weeks = r["current"].ack_weekly
    xs = list(range(len(weeks)))
    avg = [a if a is not None else 0 for _, a, _ in weeks]
    ax.bar(xs, avg, color=[GREEN if target is None or a <= target else RED for a in avg], label=t("chart_avg"))
    ax.plot([x for x, (_, _, m) in zip(xs, weeks) if m is not None], [m for _, _, m in weeks if m is not None],
            "v", color=GREY, label=t("chart_max"))
    ax.set_xticks(xs, [w.strftime("%m-%d") for w, _, _ in weeks])
    ax.set_xlabel(t("chart_week"), fontfamily=family)
    if target is not None:
        ax.axhline(target, color=GREY, linestyle="--", label=t("chart_line"))
    ax.legend(prop={"family": family})
    return _png(fig, ax, family)


def teams(r: dict, locale: str, font: str | None) -> bytes:
    t = lambda k: i18n.tp(locale, f"indicators.{k}")  # noqa: E731
    fig, ax, family = _figure(font, t("chart_teams"))
    rows = [(name, 100.0 * v["pre_shift"][0] / v["pre_shift"][1]) for name, v in r["current"].teams.items()
            if v["pre_shift"] and v["pre_shift"][1]]
    ys = list(range(len(rows)))
    ax.barh(ys, [p for _, p in rows], color=BLUE)
    ax.set_yticks(ys, [name for name, _ in rows])
    ax.set_xlim(0, 100)
    return _png(fig, ax, family)


def targets(r: dict, locale: str, font: str | None) -> bytes:
    """Each percentage indicator with a target, as the share of its target reached (100 = met)."""
    t = lambda k: i18n.tp(locale, f"indicators.{k}")  # noqa: E731
    fig, ax, family = _figure(font, t("chart_targets"))
    rows = [(i18n.tp(locale, f"indicators.name.{x['key']}"), 100.0 * x["raw"] / x["target_raw"], x["met"])
            for x in r["rows"]
            if x["raw"] is not None and x["target_raw"] and x["key"] in (
                "training_participation", "rectification_rate", "drill_pass_rate", "pre_shift_completion",
                "scheduled_check_completion")]
    ys = list(range(len(rows)))
    ax.barh(ys, [min(v, 120) for _, v, _ in rows], color=[GREEN if met else RED for _, _, met in rows])
    ax.set_yticks(ys, [name for name, _, _ in rows])
    ax.axvline(100, color=GREY, linestyle="--")
    ax.set_xlim(0, 120)
    return _png(fig, ax, family)


def render_all(ctx, r: dict) -> list[tuple[str, str, bytes]]:
    """[(file name, title, PNG bytes)] of the month's charts, in the organisation's language when a font allows."""
    locale, font = chart_locale(ctx.org.locale)
    target = ctx.org.policy.indicators.targets.get("level1_response_minutes")
    out = [("hazards-by-week", "chart_weekly", weekly(r, locale, font)),
           ("time-to-acknowledge", "chart_ack", acknowledge(r, locale, font, target)),
           ("completion-by-team", "chart_teams", teams(r, locale, font)),
           ("indicators-vs-targets", "chart_targets", targets(r, locale, font))]
    return [(f"{r['month']}-{name}.png", i18n.tp(locale, f"indicators.{title}"), png) for name, title, png in out]


def encoded(files: list[tuple[str, str, bytes]]) -> list[dict]:
    """The files as an outbox payload carries them (bot/outbox_files.py)."""
    return [{"filename": name, "title": title, "content_b64": base64.b64encode(png).decode("ascii")}
            for name, title, png in files]

"""One self-contained HTML report of a cogov output directory (issue 11; ``cogov report``).

Reads the ``--out`` directory of ``cogov run``, ``compare``, ``sweep`` (with its ``analyze``
outputs) or ``calibrate``, recognised by its ``manifest.json``'s ``kind``, and writes one HTML
file holding: the tables (the run's summary, the comparison, the analysis indices with their
intervals, the calibration's credible intervals and posterior-predictive table), the figures as
inline SVG whose words are real, copyable text (matplotlib ``svg.fonttype: none``), the resolved
scenario YAML, the manifest (versions, seeds, commit), the command as recorded (in a subshell
of its directory) and, for a run or comparison, a command that reproduces it from the page
alone, with the resolved scenarios offered as ``data:`` downloads. The page carries its own
font (``sim.fonts.font_face_css`` of the page's text, first in every font stack) and refers to
nothing outside itself, so it opens offline, makes no network request and shows Chinese on a
computer with no Chinese font.

Built with Jinja2 (``templates/report.html.j2``, autoescaped). Words a reader sees come in
Chinese, English or both (``lang``, one of :data:`LANGS`): names of metrics, levers and
statistics from ``sim.labels``, the report's own headings from :data:`WORDS`. This module never
prints and never exits; bad input raises ``sim.errors.BadInput`` (exit 2 at the command line).
"""

from __future__ import annotations

import base64
import dataclasses
import html as htmllib
import inspect
import io
import json
import math
import os
import re
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
from markupsafe import Markup

from sim.errors import BadInput, OutputWriteError
from sim.intervals import RULE_ZH
from sim.metrics import LEVEL_COLUMNS
from sim.runner import DIFFERENCE_RULE_ZH, KEY_METRICS, REPORT

LANGS = ("zh", "en", "both")
REPORT_NAME = REPORT
"""The report's file name in the directory it describes (default of ``--out``)."""
KINDS = ("run", "compare", "sweep", "calibration")
MAX_TABLE_ROWS = 200
"""Rows shown of an extra table (a longer one is cut, and the report says so)."""
MAX_PAIRS = 6
"""Coefficients up to which a calibration's pairs plot is drawn (n² panels)."""

WORDS: dict[str, tuple[str, str]] = {
    "report": ("cogov 报告", "cogov report"),
    "run": ("运行", "Run"),
    "compare": ("情景比较", "Comparison"),
    "sweep": ("参数扫描与敏感性分析", "Sweep and sensitivity analysis"),
    "calibration": ("ABC-SMC 校准", "ABC-SMC calibration"),
    "summary": ("结果摘要", "Summary"),
    "figures": ("图", "Figures"),
    "tables": ("其他表格", "Other tables"),
    "scenario": ("情景设定（解析后的 YAML）", "Scenario (resolved YAML)"),
    "experiment": ("实验设计（YAML）", "Experiment (YAML)"),
    "settings": ("校准设定（YAML）", "Calibration settings (YAML)"),
    "design_block": ("实验设计", "experiment"),
    "settings_block": ("设定与停止条件", "settings and stopping rules"),
    "manifest": ("运行记录", "Manifest"),
    "manifest_json": ("完整 manifest.json", "Full manifest.json"),
    "command": ("记录的命令（在其运行目录中）", "Command as recorded (in its directory)"),
    "reproduce": ("从本报告复现：下载情景文件，在其所在目录运行",
                  "Reproduce from this report: download the scenario file, run in its folder"),
    "download": ("下载", "download"),
    "command_cwd": ("运行目录", "run in"),
    "command_missing": ("未记录（由程序库而非命令行生成）",
                        "not recorded (made by the library, not the command line)"),
    "report_command": ("生成本报告的命令", "Command that made this report"),
    "analyze_command": ("分析命令", "Analysis command"),
    "metric": ("指标", "metric"),
    "parameter": ("参数", "parameter"),
    "scenario_col": ("情景", "scenario"),
    "value": ("值", "value"),
    "field": ("项目", "item"),
    "kind": ("类型", "kind"),
    "started": ("开始", "started"),
    "finished": ("结束", "finished"),
    "commit": ("代码版本 (git)", "code (git commit)"),
    "dirty": ("有未提交的修改", "with uncommitted changes"),
    "seeds": ("随机种子", "seeds"),
    "seeding": ("种子规则", "seeding rule"),
    "marginals": ("后验边缘分布", "Posterior marginals"),
    "pairs": ("后验两两分布", "Posterior pairs"),
    "versions": ("软件版本", "versions"),
    "interval_rule": ("区间规则", "interval rule"),
    "mean_interval": ("均值 [95% 区间]", "mean [95% interval]"),
    "one_replicate": ("只有一个重复：无区间（请用 --replicates 2 或更多）",
                      "one replicate: no interval (run --replicates 2 or more)"),
    "inf_note": ("* 部分重复为无穷大，均值无区间", "* some replicates are infinite: no interval"),
    "nan_note": ("† 部分重复无定义，未计入均值", "† some replicates are undefined and left out"),
    "design": ("设计", "design"),
    "runs": ("运行次数", "runs"),
    "failed": ("失败", "failed"),
    "samples": ("样本数", "samples"),
    "replicates": ("重复次数", "replicates"),
    "status": ("状态", "status"),
    "detail": ("说明", "detail"),
    "noise_share": ("噪声占比", "noise share"),
    "noise_na": ("无法估计（每个设计点只有一个重复）", "n/a (one replicate per design point)"),
    "wide": ("区间过宽，无法排序", "too wide to rank"),
    "out_of_range": ("估计值超出 [0, 1]，不是方差占比", "estimate outside [0, 1]: not a share"),
    "commands": ("命令", "Commands"),
    "index_rule": ("区间：SALib 自助法 95% 区间，限于指标的取值范围",
                   "intervals: SALib's bootstrap 95% interval, within the index's range"),
    "analysis_of": ("敏感性分析", "sensitivity analysis"),
    "status_table": ("各指标的分析状态", "Analysis status of each metric"),
    "generations": ("各代", "Generations"),
    "credible": ("后验 90% 可信区间", "Posterior 90% credible intervals"),
    "predictive": ("后验预测检验", "Posterior-predictive check"),
    "patterns": ("模式检验（后验抽样）", "Patterns at posterior draws"),
    "holds_share": ("成立比例", "share of draws where it holds"),
    "pattern": ("模式", "pattern"),
    "all_hold": ("全部模式同时成立", "all patterns at once"),
    "median": ("中位数", "median"),
    "low": ("下限", "low"),
    "high": ("上限", "high"),
    "observed": ("观测值", "observed"),
    "hit": ("命中", "hit"),
    "miss": ("未命中", "miss"),
    "coefficient": ("系数", "coefficient"),
    "target": ("目标", "target"),
    "truncated": ("仅显示前 {n} 行，共 {total} 行", "first {n} of {total} rows shown"),
    "made": ("生成于", "made"),
    "directory": ("目录", "directory"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "notes": ("备注", "notes"),
    "S1": ("S1（一阶效应）", "S1 (first order)"),
    "ST": ("ST（总效应）", "ST (total)"),
    "mu_star": ("μ*（平均绝对基本效应）", "μ* (mean absolute elementary effect)"),
    "sigma": ("σ（基本效应的标准差）", "σ (standard deviation of elementary effects)"),
    "status_ok": ("已分析", "analysed"),
    "status_partly-failed": ("已分析（部分运行失败，表格基于其余运行）",
                             "analysed (some runs failed; the table covers the rest)"),
    "status_partly-non-finite": ("已分析（部分值非有限）", "analysed (some values not finite)"),
    "status_non-finite": ("未分析：值非有限", "not analysed: values not finite"),
    "status_constant": ("未分析：指标在设计中不变，无可归因的变化",
                        "not analysed: the metric is constant over the design"),
    "status_no-runs": ("未分析：没有成功的运行", "not analysed: no successful run"),
    "difference": ("差值", "difference"),
    "communities": ("社区", "Communities"),
    "community": ("社区", "community"),
    "street_office": ("街道", "street office"),
    "rank": ("排名", "rank"),
    "ranking": ("各社区{metric}排名（近12月均值）", "Communities ranked by {metric} "
                "(last-12-month mean)"),
    "spread": ("各社区之间的差异", "the spread between communities"),
    "discovery": ("情景发现", "Scenario discovery"),
    "discovery_boxes": ("找到的盒子：样本内与新运行确认", "Boxes: in-sample and confirmed"),
    "discovery_limits": ("盒子的边界（准p值越小，该限制越显著）",
                         "Box limits (the smaller the quasi-p value, the more the limit matters)"),
    "flip_rate": ("同一设计点重复间的标签翻转率", "label-flip rate between replicates"),
    "flagged": ("确认密度低于样本内密度超过0.05：已标记",
                "confirmed density short by over 0.05: flagged"),
}
"""The report's own words (headings, column names, notes): (Chinese, English)."""
SEEDING_ZH = ("主种子 s 的第 r 个重复使用 numpy.random.Generator(PCG64(SeedSequence(s, "
              "spawn_key=(r,))))，即 SeedSequence(s).spawn(R)[r]；cogov run、compare、扫描（s 为"
              "实验的种子）和演示（重复 0）都用此规则")
"""``sim.runner.SEEDING`` in Chinese."""
NOTES_ZH = {
    "one_replicate": ("每个设计点只有一个重复：无法估计噪声占比；请在实验中设 replicates: 2 或更多"
                      "后重新扫描"),
    "noisy": ("噪声占比 {v}：大部分变化来自同一设计点的重复之间，参数的效应难以看出；请增加重复"
              "次数或选择噪声较小的指标"),
    "wide": "{n}/{total} 个指数区间过宽，无法排序；请增加样本数（或重复次数）后重新扫描",
    "outside": ("{parameter} 的 {index} 为 {v}，超出 [0, 1]：样本太少时的原始估计，不是方差占比；"
                "请增加样本数后重新扫描"),
}
"""The notes of ``sim.analysis`` on what limits a metric's indices, in Chinese."""
FOLD_COLUMNS, FOLD_ROWS = 8, 30
"""An extra table wider or longer than this is shown folded and scrolls sideways."""

INDEX_COLUMNS = {
    "sobol": (("S1", "S1_low", "S1_high", "S1_wide"), ("ST", "ST_low", "ST_high", "ST_wide")),
    "fast": (("S1", "S1_low", "S1_high", "S1_wide"), ("ST", "ST_low", "ST_high", "ST_wide")),
    "morris": (("mu_star", "mu_star_low", "mu_star_high", "mu_star_wide"),),
}
"""Per method: the indices shown, each as (estimate, low, high, wide flag) columns."""
WIDE, OUT_OF_RANGE = "‡", "⊘"
"""Marks of an index too wide to rank (``sim.analysis.WIDE_RULE``) and of a Sobol/FAST
estimate outside [0, 1]."""


class ReportInputError(BadInput):
    """The directory is no cogov output the report knows, or misses a file it needs (the
    message names the directory and what is missing)."""


# -------------------------------------------------------------------------------- the page
@dataclass
class Table:
    """One table of the page: ``header`` and ``rows`` of display text, ``note`` below it."""

    caption: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""
    kind: str = "table"
    folded: bool = False  # shown folded (a <details>), for raw data a reader may open


@dataclass
class Figure:
    """One figure of the page: its caption and its SVG markup."""

    caption: str
    svg: Markup
    kind: str = "figure"


@dataclass
class Section:
    """A titled part of the page: tables and figures in order, then YAML blocks."""

    title: str
    items: list[Table | Figure] = field(default_factory=list)
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (caption, text)


@dataclass
class Command:
    """A command to paste into a shell, under its caption, with the files it needs offered
    for download from the page itself: (file name, ``data:`` URL)."""

    caption: str
    line: str
    downloads: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Page:
    """What the template renders."""

    title: str
    lang: str
    kind: str
    directory: str
    sections: list[Section]
    commands: list[Command]
    facts: Table
    manifest_json: str
    notice: str | None = None  # why the figures are in English when Chinese was asked for


def word(key: str, lang: str) -> str:
    """The report's word ``key`` (:data:`WORDS`) in ``lang``: "中文 English" for ``both``."""
    from sim.labels import in_lang

    return in_lang(lang, *WORDS[key])


def figure_title(stem: str, lang: str) -> str:
    """The title of run figure ``stem`` (a key of ``sim.plots.RUN_FIGURES``) in ``lang``, from
    ``sim.plots.WORDS``; the stem itself if it has none."""
    from sim import plots

    words = plots.WORDS.get({"participation_groups": "groups"}.get(stem, stem))
    if words is None:
        return stem
    zh, en = words
    return {"zh": zh, "en": en}.get(lang, f"{zh} {en}")


def name_of(name: str, lang: str) -> str:
    """A metric's, lever's or statistic's label (``sim.labels.label``); the name itself where
    it has none (a test function's output, a coefficient outside the schema)."""
    from sim import labels

    try:
        return labels.label(name, lang)
    except KeyError:
        return name


# ------------------------------------------------------------------------------- the entry
def kind_of(directory: str | Path) -> tuple[str, dict[str, Any]]:
    """The kind (one of :data:`KINDS`) and manifest of a cogov output directory.

    Raises :class:`ReportInputError` naming the directory and what is missing when it is no
    directory, has no readable ``manifest.json``, is of another kind, or is incomplete (an
    unfinished sweep or calibration, a missing table, a sweep not yet analysed)."""
    directory = Path(directory)
    if directory.is_file():
        raise ReportInputError(
            f"{directory}: is a file, not a directory (report reads the --out directory of "
            f"cogov run, compare, sweep or calibrate, e.g. {directory.parent})")
    if not directory.is_dir():
        raise ReportInputError(f"{directory}: no such directory")
    path = directory / "manifest.json"
    if not path.is_file():
        raise ReportInputError(
            f"{directory}: not a cogov output directory: no manifest.json (report reads the "
            "--out directory of cogov run, compare, sweep or calibrate)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportInputError(f"{path}: cannot be read as JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise ReportInputError(f"{path}: manifest.json is not a JSON object (it holds a "
                               f"{type(manifest).__name__}); make the directory again")
    kind = manifest.get("kind")
    if kind not in KINDS:
        raise ReportInputError(
            f"{path}: kind {kind!r} has no report (report knows the outputs of cogov run, "
            "compare, sweep and calibrate)")
    missing = [name for name in _needed(kind, directory, manifest)
               if not (directory / name).exists()]
    if missing:
        raise ReportInputError(f"{directory}: incomplete {kind} directory: missing "
                               f"{', '.join(missing)}{_remedy(kind, missing, directory)}")
    if kind in ("sweep", "calibration") and not manifest.get("finished"):
        again = "sweep --resume" if kind == "sweep" else "calibrate --resume"
        raise ReportInputError(f"{path}: the {kind} has not finished (no 'finished' time): "
                               f"finish it with cogov {again} --out {directory}")
    return kind, manifest


def _needed(kind: str, directory: Path, manifest: dict[str, Any]) -> list[str]:
    if kind == "run":
        return ["summary.csv", "timeseries.parquet"]
    if kind == "compare":  # runs drawn from a posterior are compared over draws instead
        table = "posterior_compare.csv" if manifest.get("posterior") else "compare_table.csv"
        return ["compare.csv", table, "timeseries.parquet"]
    if kind == "sweep":
        status = sorted((directory / "analysis").glob("status_*.csv"))
        return ["results.parquet", *([] if status else ["analysis/status_<method>.csv"])]
    return ["generations.csv", "posterior.parquet"]


def _remedy(kind: str, missing: list[str], directory: Path) -> str:
    if any(name.startswith("analysis/") for name in missing):
        return f" (run `cogov analyze {directory}` first)"
    if kind == "calibration" and "posterior.parquet" in missing:
        return " (no generation finished: there is no posterior to report)"
    return ""


def build(directory: str | Path, lang: str = "both") -> str:
    """The report of ``directory`` as one HTML document (a str). Raises
    :class:`ReportInputError` as :func:`kind_of` does, and ``ValueError`` for an unknown
    ``lang``."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    directory = Path(directory)
    kind, manifest = kind_of(directory)
    from sim import fonts

    # figures in Chinese only where matplotlib can lay the shipped font out (else English and
    # the notice); the page's own words need no matplotlib font
    figure_lang, notice = fonts.matplotlib_lang(lang)
    sections = {"run": _run_sections, "compare": _compare_sections,
                "sweep": _sweep_sections, "calibration": _calibration_sections}[kind](
        directory, manifest, lang, figure_lang)
    title = f"{word('report', lang)}: {word(kind, lang)} — {_subject(kind, manifest, directory)}"
    page = Page(title=title, lang=lang, kind=kind, directory=str(directory), notice=notice,
                sections=sections, commands=_commands(kind, manifest, directory, lang),
                facts=_facts(kind, manifest, lang),
                manifest_json=json.dumps(manifest, indent=2, ensure_ascii=False))
    template = _environment().get_template("report.html.j2")
    family = Markup(json.dumps(fonts.FAMILY))  # a CSS string: the shipped font's family
    html = template.render(page=page, word=lambda key: word(key, lang), font_css="",
                           family=family)
    # the font holds the glyphs of every non-ASCII character on the page (Chinese, and marks
    # such as † ‡ μ σ), and no more; ASCII is left to the Latin font, as in the demo
    # (block: text waits for the font rather than being laid out in a system font first)
    shown = {c for c in htmllib.unescape(html) if ord(c) > 0x7E}
    font_css = Markup(fonts.font_face_css("".join(sorted(shown)), display="block"))
    return template.render(page=page, word=lambda key: word(key, lang), font_css=font_css,
                           family=family)


def write(directory: str | Path, out: str | Path | None = None, lang: str = "both") -> Path:
    """Write the report of ``directory`` to ``out`` (default ``directory/report.html``) whole,
    through a temporary file renamed into place; return its path. Raises
    :class:`ReportInputError` for a directory it cannot report on or an ``out`` that is a
    directory or in none, ``sim.errors.OutputWriteError`` (naming ``out``; exit 1) if the
    file system refuses the file."""
    directory = Path(directory)
    kind_of(directory)  # the directory's problems first: they explain a missing --out's too
    out = Path(out) if out is not None else directory / REPORT_NAME
    if out.is_dir():
        raise ReportInputError(f"--out {out}: is a directory; give a file name, e.g. "
                               f"{out / REPORT_NAME}")
    if not out.parent.is_dir():
        raise ReportInputError(f"--out {out}: its directory {out.parent} does not exist")
    html = build(directory, lang)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:
        raise OutputWriteError(f"{out}: writing the report failed ({exc.strerror or exc}); "
                               "nothing was written") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return out


TIMESERIES_COLUMNS = ("scenario", "replicate", "month")
"""Columns a ``timeseries.parquet`` needs (the figures draw its metric columns)."""
COMPARE_TABLE_COLUMNS = ("scenario", "metric", "n", "mean", "ci_low", "ci_high", "nan", "inf",
                         "difference", "diff_low", "diff_high")
"""Columns of ``compare_table.csv`` (``sim.runner.compare_table``) its table shows."""


SUMMARY_COLUMNS = ("scenario", *KEY_METRICS)
"""Columns a ``summary.csv``/``compare.csv`` needs: the key metrics its table of means shows."""


def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(loader=PackageLoader("sim.report", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def read_table(path: Path, columns: Iterable[str] = (), **options: Any) -> pd.DataFrame:
    """A CSV or Parquet file of the directory (by its suffix) as a DataFrame with (at least)
    ``columns``. Raises :class:`ReportInputError` naming the file and what is wrong when it
    cannot be read (empty, corrupt, not CSV/Parquet) or lacks some of ``columns``."""
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path, **options)
        else:
            frame = pd.read_csv(path, **options)
    except pd.errors.EmptyDataError:
        raise ReportInputError(f"{path}: is empty (no header, no rows); make the directory "
                               "again") from None
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        what = "Parquet" if path.suffix == ".parquet" else "CSV"
        raise ReportInputError(f"{path}: cannot be read as {what} ({_first_line(exc)}); "
                               "make the directory again") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReportInputError(f"{path}: lacks the column{'s' * (len(missing) > 1)} "
                               f"{', '.join(missing)} (it has {', '.join(map(str, frame.columns))}"
                               "); make the directory again")
    return frame


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# ------------------------------------------------------------------------------- figures
def svg_of(fig: Any, salt: str) -> Markup:
    """``fig`` as inline SVG markup (no XML prolog) whose words are ``<text>`` elements; its
    ids are made distinct by ``salt`` so that several SVGs can share one page. Closes the
    figure."""
    import matplotlib
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return Markup(_shipped_font_first(text[text.index("<svg"):]))


def _shipped_font_first(svg: str) -> str:
    """``svg`` with the shipped font moved to the front of each ``font-family`` list.

    matplotlib names it after its Latin fonts (its fallback for CJK glyphs). Chromium shapes
    the first figure words it meets before the page's font has loaded and, when that font is
    only a fallback, never shapes them again: on a PC with no Chinese font they stay boxes.
    First in the list, the font holds the text back until it has loaded. It has glyphs only
    for the page's non-ASCII characters, so ASCII is still drawn in the Latin font."""
    from sim import fonts

    shipped = f"'{fonts.FAMILY}'"

    def reorder(match: re.Match[str]) -> str:
        names = [name.strip() for name in match.group(1).split(",")]
        if shipped not in names:
            return match.group(0)
        names.remove(shipped)
        return "font-family: " + ", ".join([shipped, *names])

    return re.sub(r"font-family: ([^;\"]+)", reorder, svg)


def _draw(make: Callable[..., Any], *args: Any, **options: Any) -> Any:
    """``make(*args, **options)``, each option passed only if the figure function takes it
    (``lang``, a run's schedule ``marks``, a comparison's ``schedules``), so the report draws
    with the figure functions as they are."""
    taken = inspect.signature(make).parameters
    return make(*args, **{k: v for k, v in options.items() if k in taken})


def _schedules(manifest: dict[str, Any]) -> dict[str, list[SimpleNamespace]]:
    """Each scenario's scheduled policy changes (``month``, ``set``), as the manifest records
    its resolved scenario."""
    return {run["scenario"]["name"]: [SimpleNamespace(**change) for change in
                                      run["scenario"].get("policy", {}).get("schedule", [])]
            for run in manifest["runs"]}


class _Salt:
    """Distinct SVG id salts for the figures of one page."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"cogov-figure-{self.count}"


# ------------------------------------------------------------------------------- tables
def number(value: Any) -> str:
    """A number as shown: 4 significant digits; ``inf``/``-inf``; ``n/a`` when undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.4g}"
    return str(value)


def interval(estimate: Any, low: Any, high: Any) -> str:
    """``estimate [low, high]``; the estimate alone when there is no interval."""
    text = number(estimate)
    if _finite(low) and _finite(high):
        text += f" [{number(low)}, {number(high)}]"
    return text


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def frame_table(frame: pd.DataFrame, caption: str, note: str = "") -> Table:
    """Any DataFrame as a :class:`Table` (numbers by :func:`number`), cut at
    :data:`MAX_TABLE_ROWS` rows with a note saying so."""
    shown = frame.head(MAX_TABLE_ROWS)
    rows = [[number(v) for v in row] for row in shown.itertuples(index=False)]
    if len(frame) > MAX_TABLE_ROWS:
        note = " ".join(filter(None, [note, f"({len(shown)} / {len(frame)})"]))
    return Table(caption, [str(c) for c in frame.columns], rows, note)


def summary_table(summary: pd.DataFrame, caption: str, lang: str) -> Table:
    """Metrics as rows, scenarios as columns, cells ``mean [low, high]`` by the interval rule
    of ``sim.intervals`` (``sim.runner.summary_table``), marked ``*`` where some replicate is
    infinite and ``†`` where some is undefined."""
    from sim.runner import summary_table as tidy

    table = tidy(summary)
    scenarios = list(dict.fromkeys(table["scenario"]))
    cells = {(r.scenario, r.metric): interval(r.mean, r.ci_low, r.ci_high)
             + ("*" if r.inf else "") + ("†" if r.nan else "") for r in table.itertuples()}
    rows = [[name_of(m, lang), *(cells[s, m] for s in scenarios)]
            for m in dict.fromkeys(table["metric"])]
    header = [f"{word('metric', lang)} — {word('mean_interval', lang)}", *map(str, scenarios)]
    return Table(caption, header, rows, _interval_notes(table, lang))


def _interval_notes(table: pd.DataFrame, lang: str, *more: str) -> str:
    """The note under a table of means (``sim.runner.summary_table`` rows): the interval
    rule, ``more``, and what its marks mean."""
    from sim import intervals

    rule = {"zh": RULE_ZH, "en": intervals.RULE}.get(lang, f"{RULE_ZH} {intervals.RULE}")
    notes = [f"{word('interval_rule', lang)}: {rule}", *more]
    if (table["n"] == 1).any():
        notes.append(word("one_replicate", lang))
    if table["inf"].any():
        notes.append(word("inf_note", lang))
    if table["nan"].any():
        notes.append(word("nan_note", lang))
    return sentences(notes, lang)


def sentences(parts: Iterable[str], lang: str) -> str:
    """``parts`` as sentences: each closed by "。" in Chinese, by ". " otherwise."""
    stop = "。" if lang == "zh" else ". "
    return "".join(f"{part}{stop}" for part in parts if part).strip()


def _extra_tables(directory: Path, manifest: dict[str, Any], known: Iterable[str]
                  ) -> list[Table]:
    """The directory's other CSV tables its manifest lists (cost-effectiveness, posterior
    intervals, …), as they are; a wide or long one folded (:data:`FOLD_COLUMNS`,
    :data:`FOLD_ROWS`)."""
    names = [n for n in manifest.get("files", []) if n.endswith(".csv") and n not in known]
    tables = []
    for name in names:
        if (directory / name).exists():
            frame = read_table(directory / name)
            # a district's row names no street office or community: blank, not n/a
            named = [c for c in LEVEL_COLUMNS if c in frame.columns]
            frame[named] = frame[named].fillna("")
            table = frame_table(frame, name)
            table.folded = len(frame.columns) > FOLD_COLUMNS or len(frame) > FOLD_ROWS
            tables.append(table)
    return tables


def difference_table(table: pd.DataFrame, lang: str, names: Sequence[str]) -> Table:
    """The comparison a reader reads (``compare_table.csv``, ``sim.runner.compare_table``):
    per metric of ``names`` (those ``cogov compare`` prints), each scenario's mean [95%
    interval] and each other scenario's difference from the first with its interval (paired
    runs) or none (unpaired)."""
    from sim.runner import DIFFERENCE_RULE

    scenarios = list(dict.fromkeys(table["scenario"]))
    first = scenarios[0]
    rows_of = {(r.scenario, r.metric): r for r in table.itertuples(index=False)}
    rows = []
    for metric in [m for m in names if (first, m) in rows_of]:
        cells = [name_of(metric, lang)]
        for name in scenarios:
            r = rows_of[name, metric]
            cells.append(interval(r.mean, r.ci_low, r.ci_high) + ("*" if r.inf else "")
                         + ("†" if r.nan else ""))
        for name in scenarios[1:]:
            r = rows_of[name, metric]
            cells.append(interval(r.difference, r.diff_low, r.diff_high))
        rows.append(cells)
    header = [f"{word('metric', lang)} — {word('mean_interval', lang)}", *scenarios,
              *(f"{word('difference', lang)}: {name} − {first}" for name in scenarios[1:])]
    difference = {"zh": DIFFERENCE_RULE_ZH, "en": DIFFERENCE_RULE}.get(
        lang, f"{DIFFERENCE_RULE_ZH} {DIFFERENCE_RULE}")
    return Table(word("compare", lang), header, rows,
                 _interval_notes(table, lang, difference))


# ------------------------------------------------------------------------------ by kind
def _run_sections(directory: Path, manifest: dict[str, Any], lang: str, figure_lang: str
                  ) -> list[Section]:
    from sim import plots

    summary = read_table(directory / "summary.csv", SUMMARY_COLUMNS)
    ts = read_table(directory / "timeseries.parquet", TIMESERIES_COLUMNS)
    salt = _Salt()
    figures = []
    schedules = _schedules(manifest)
    for name in pd.unique(ts["scenario"]):
        one = ts[ts["scenario"] == name]
        marks = (plots.schedule_marks(schedules.get(name, []), figure_lang)
                 if hasattr(plots, "schedule_marks") else [])
        for stem, make in plots.RUN_FIGURES.items():
            fig = _draw(make, one, lang=figure_lang, marks=marks)
            figures.append(Figure(f"{name}: {figure_title(stem, lang)}", svg_of(fig, salt())))
    sections = [Section(word("summary", lang),
                        items=[summary_table(summary, word("summary", lang), lang)]),
                Section(word("figures", lang), items=figures)]
    communities = _community_items(ts, schedules, lang, figure_lang, salt)
    if communities:
        sections.append(Section(word("communities", lang), items=communities))
    extra = _extra_tables(directory, manifest, ["summary.csv", "timeseries.csv"])
    if extra:
        sections.append(Section(word("tables", lang), items=extra))
    sections.append(_scenario_section(manifest, lang))
    return sections


SPREAD_METRIC = "participation_any"
"""The metric of the report's communities section (its figure and its ranked table)."""


def _community_items(ts: pd.DataFrame, schedules: dict[str, list[SimpleNamespace]],
                     lang: str, figure_lang: str, salt: _Salt) -> list[Table | Figure]:
    """Per scenario whose time series has community rows (``level`` "community", issue 14):
    the spread between its communities (``sim.plots.community_spread``) and its communities
    ranked by their last-12-month participation, each with its interval over replicates by
    the one interval rule (``sim.plots.community_ranking``, ``sim.intervals``). Nothing for
    a run without a community table."""
    from sim import intervals, plots
    from sim.labels import in_lang

    if "level" not in ts.columns or not (ts["level"] == "community").any():
        return []
    items: list[Table | Figure] = []
    metric = name_of(SPREAD_METRIC, lang)
    for name in pd.unique(ts["scenario"]):
        one = ts[ts["scenario"] == name]
        if not (one["level"] == "community").any():
            continue
        marks = plots.schedule_marks(schedules.get(name, []), figure_lang)
        fig = plots.community_spread(one, SPREAD_METRIC, lang=figure_lang, marks=marks)
        items.append(Figure(f"{name}: {metric}, {word('spread', lang)}", svg_of(fig, salt())))
        ranking = plots.community_ranking(one, SPREAD_METRIC)
        rows = [[str(r.rank), str(r.community), str(r.street_office),
                 interval(r.mean, r.low, r.high)] for r in ranking.itertuples()]
        header = [word("rank", lang), word("community", lang), word("street_office", lang),
                  word("mean_interval", lang)]
        rule = {"zh": RULE_ZH, "en": intervals.RULE}.get(lang, f"{RULE_ZH} {intervals.RULE}")
        notes = [f"{word('interval_rule', lang)}: {rule}"]
        if (ranking["n"] < 2).any():
            notes.append(word("one_replicate", lang))
        zh, en = (text.format(metric=name_of(SPREAD_METRIC, one_lang))
                  for text, one_lang in zip(WORDS["ranking"], ("zh", "en"), strict=True))
        items.append(Table(f"{name}: {in_lang(lang, zh, en)}", header, rows,
                           sentences(notes, lang)))
    return items


def _compare_sections(directory: Path, manifest: dict[str, Any], lang: str, figure_lang: str
                      ) -> list[Section]:
    from sim import plots

    summary = read_table(directory / "compare.csv", SUMMARY_COLUMNS)
    ts = read_table(directory / "timeseries.parquet", TIMESERIES_COLUMNS)
    figure = Figure(word("compare", lang),
                    svg_of(_draw(plots.compare_figure, ts, lang=figure_lang,
                                  schedules=_schedules(manifest)), _Salt()()))
    if (directory / "compare_table.csv").exists():
        table = difference_table(read_table(directory / "compare_table.csv",
                                            COMPARE_TABLE_COLUMNS), lang,
                                 KEY_METRICS)
    else:  # a --posterior comparison: its posterior_compare.csv is among the other tables
        table = summary_table(summary, word("compare", lang), lang)
    sections = [Section(word("summary", lang), items=[table]),
                Section(word("figures", lang), items=[figure])]
    extra = _extra_tables(directory, manifest, ["compare.csv"])
    if extra:
        sections.append(Section(word("tables", lang), items=extra))
    sections.append(_scenario_section(manifest, lang))
    return sections


def _scenario_section(manifest: dict[str, Any], lang: str) -> Section:
    blocks = [(run["scenario"]["name"], to_yaml(run["scenario"])) for run in manifest["runs"]]
    return Section(word("scenario", lang), blocks=blocks)


def _sweep_sections(directory: Path, manifest: dict[str, Any], lang: str, figure_lang: str
                    ) -> list[Section]:
    from sim import analysis

    results = read_table(directory / "results.parquet")
    spec = manifest["experiment"]
    parameters = manifest["parameters"]
    design_points = results.groupby("point").first()
    ok = int((results["status"] == "ok").sum())
    overview = Table(word("design", lang), [word("field", lang), word("value", lang)], [
        [word("design", lang), str(spec["method"])],
        [word("samples", lang), number(spec.get("samples"))],
        [word("replicates", lang), number(spec.get("replicates"))],
        [word("runs", lang), f"{len(results)} ({word('failed', lang)}: {len(results) - ok})"],
        [word("parameter", lang), ", ".join(name_of(p["name"], lang) for p in parameters)],
    ])
    sections = [Section(word("summary", lang), items=[overview])]
    salt = _Salt()
    for status_path in sorted((directory / "analysis").glob("status_*.csv")):
        method = status_path.stem.removeprefix("status_")
        statuses = read_table(status_path, keep_default_na=False)
        section = Section(f"{word('analysis_of', lang)}: {method}")
        tables: dict[str, pd.DataFrame] = {}
        for row in statuses.itertuples(index=False):
            path = directory / "analysis" / f"{method}_{row.metric}.csv"
            if row.status not in analysis.ANALYSED or not path.exists():
                continue
            table = read_table(path)
            tables[row.metric] = table
            status = _status(analysis.MetricStatus, row, results)
            section.items.append(_index_table(method, table, row.metric, lang))
            fig = _draw(analysis.metric_figure, method, table, parameters, row.metric, status,
                        spec["method"], design_points, lang=figure_lang)
            if fig is not None:
                section.items.append(Figure(name_of(row.metric, lang), svg_of(fig, salt())))
        section.items.append(_status_table(statuses, tables, lang))
        sections.append(section)
    sections += _discovery_sections(directory, lang, figure_lang, salt)
    experiment_file = manifest.get("experiment_file")
    blocks = [(Path(experiment_file).name if experiment_file else word("design_block", lang),
               to_yaml(spec))]
    if manifest.get("base_scenario"):
        blocks.append((manifest["base_scenario"]["name"], to_yaml(manifest["base_scenario"])))
    sections.append(Section(word("experiment", lang), blocks=blocks))
    return sections


def _discovery_sections(directory: Path, lang: str, figure_lang: str, salt: _Salt
                        ) -> list[Section]:
    """One section per ``cogov discover`` of this sweep: its boxes with in-sample and
    confirmed statistics, their limits with quasi-p values, PRIM's trade-off figure."""
    from sim import discover

    sections = []
    for manifest, tables in discover.read_discoveries(directory):
        region = "".join(f", {w}" for w in manifest.get("where", []))  # a sub-region
        title = (f"{word('discovery', lang)}: {manifest['condition']} "
                 f"({manifest['method']}{region})")
        section = Section(title)
        summary = tables["summary"]
        note = f"{word('flip_rate', lang)}: {number(manifest['flip_rate'])}"
        if summary["flagged"].any():
            note += f"; {word('flagged', lang)}"
        for warning in manifest.get("warnings", []):  # e.g. why there is no box
            note += f"; {warning}"
        section.items.append(frame_table(summary, word("discovery_boxes", lang), note))
        section.items.append(frame_table(tables["boxes"], word("discovery_limits", lang)))
        if "trajectory" in tables and len(summary):
            first = tables["trajectory"][tables["trajectory"]["box"] == 1]
            fig = discover.tradeoff_figure(first, summary.iloc[0].to_dict(),
                                           manifest["condition"], figure_lang)
            section.items.append(Figure(word("discovery", lang), svg_of(fig, salt())))
        sections.append(section)
    return sections


def _status_table(statuses: pd.DataFrame, tables: dict[str, pd.DataFrame], lang: str) -> Table:
    """Each metric's analysis status, with what limits its indices, in ``lang``: the status
    and the notes in the report's words (from the status row and the metric's table), the
    analysis's own English sentences where English is shown."""
    rows = []
    for row in statuses.to_dict("records"):
        status = str(row["status"])
        key = f"status_{status}"
        said = word(key, lang) if key in WORDS else status
        notes = _notes_zh(row, tables.get(row["metric"]))
        english = [str(row.get(k) or "") for k in ("detail", "notes")]
        if lang == "zh":
            detail, note = "", "；".join(notes)
        elif lang == "en":
            detail, note = english
        else:
            detail, note = english[0], " ".join(filter(None, ["；".join(notes), english[1]]))
        rows.append([name_of(row["metric"], lang), said, detail, note])
    header = [word("metric", lang), word("status", lang), word("detail", lang),
              word("notes", lang)]
    if lang == "zh":  # the details are the analysis's English sentences: the status says it
        header, rows = [header[0], header[1], header[3]], [[r[0], r[1], r[3]] for r in rows]
    return Table(word("status_table", lang), header, rows)


def _notes_zh(row: dict[str, Any], table: pd.DataFrame | None) -> list[str]:
    """The notes of a metric's analysis (``sim.analysis``) in Chinese, from its status row
    and its table: one replicate, a noisy metric, intervals too wide, estimates outside
    [0, 1]."""
    from sim import analysis

    notes = []
    text = str(row.get("notes") or "")
    if "one replicate per design point" in text:
        notes.append(NOTES_ZH["one_replicate"])
    if table is not None and "noise_share" in table:
        noise = float(table["noise_share"].iloc[0])
        if math.isfinite(noise) and noise > analysis.NOISY:
            notes.append(NOTES_ZH["noisy"].format(v=f"{noise:.2f}"))
    if table is not None:
        wide = table[[c for c in table.columns if c.endswith("_wide")]].to_numpy(dtype=bool)
        if wide.any():
            notes.append(NOTES_ZH["wide"].format(n=int(wide.sum()), total=wide.size))
        for index in ("S1", "ST"):
            flag = f"{index}_out_of_range"
            for r in table[table[flag].astype(bool)].itertuples() if flag in table else ():
                notes.append(NOTES_ZH["outside"].format(index=index, v=f"{getattr(r, index):.3g}",
                                                        parameter=name_of(r.parameter, "zh")))
    return notes


def _status(make: type, row: Any, results: pd.DataFrame) -> Any:
    """A metric's ``sim.analysis.MetricStatus`` as its figure needs it, from its row of
    ``status_<method>.csv`` and the sweep's results (the replicates per design point)."""
    ok = results[results["status"] == "ok"]
    per_point = ok.groupby("point")[row.metric].size()
    known = {"failed": int(row.failed), "points_failed": int(row.points_failed),
             "runs": int(row.runs), "points": int(row.points),
             "replicates": (int(per_point.min()), int(per_point.max()))}
    fields = {f.name for f in dataclasses.fields(make)}
    return make(row.metric, row.status, **{k: v for k, v in known.items() if k in fields})


def _index_table(method: str, table: pd.DataFrame, metric: str, lang: str) -> Table:
    """Sensitivity indices with their intervals (Sobol, FAST, Morris), or the grid's means
    with their intervals, one row per parameter or design point."""
    noise = float(table["noise_share"].iloc[0]) if "noise_share" in table else math.nan
    note = f"{word('noise_share', lang)}: " + (number(noise) if math.isfinite(noise)
                                                else word("noise_na", lang))
    caption = name_of(metric, lang)
    if method in INDEX_COLUMNS:
        header = [word("parameter", lang),
                  *(f"{word(c[0], lang)} [95%]" for c in INDEX_COLUMNS[method])]
        if method == "morris":
            header.append(word("sigma", lang))
        rows = []
        for row in table.to_dict("records"):
            cells = [name_of(row["parameter"], lang)]
            for estimate, low, high, wide in INDEX_COLUMNS[method]:
                outside = row.get(f"{estimate}_out_of_range") in (True,)
                cells.append(interval(row[estimate], row[low], row[high])
                             + (OUT_OF_RANGE if outside else "")
                             + (WIDE if row.get(wide) in (True,) else ""))
            if method == "morris":
                cells.append(number(row["sigma"]))
            rows.append(cells)
        marks = [f"{WIDE}: {word('wide', lang)}"]
        if method != "morris":  # only a share of variance can lie outside [0, 1]
            marks.append(f"{OUT_OF_RANGE}: {word('out_of_range', lang)}")
        return Table(caption, header, rows,
                     sentences([note, *marks, word("index_rule", lang)], lang))
    params = [c for c in table.columns if c.startswith("param:")]
    header = [*(name_of(c.removeprefix("param:"), lang) for c in params), "n",
              word("mean_interval", lang)]
    rows = [[*(number(r[c]) for c in params), number(r["n"]), interval(r["mean"], r["low"],
                                                                          r["high"])]
            for r in table.head(MAX_TABLE_ROWS).to_dict("records")]
    return Table(caption, header, rows, note)


def _calibration_sections(directory: Path, manifest: dict[str, Any], lang: str,
                          figure_lang: str) -> list[Section]:
    from sim import calibrate
    from sim.labels import in_lang

    posterior = read_table(directory / "posterior.parquet")
    last = posterior[posterior["generation"] == posterior["generation"].max()]
    settings = manifest.get("settings", {})
    priors = [SimpleNamespace(**p) for p in settings.get("priors", [])]
    labels = {p.key: name_of(p.key, lang) for p in priors}
    axis_labels = {p.key: name_of(p.key, figure_lang) for p in priors}
    credible = calibrate.credible_intervals(last)
    tables = [Table(word("credible", lang),
                    [word("coefficient", lang), f"{word('median', lang)} [90%]"],
                    [[labels.get(r.key, r.key), interval(r.median, r.low, r.high)]
                     for r in credible.itertuples()],
                    in_lang(lang, calibrate.CREDIBLE_RULE_ZH,
                            manifest.get("credible_rule", calibrate.CREDIBLE_RULE)))]
    if (directory / "predictive.csv").exists():
        tables.append(_predictive_table(
            read_table(directory / "predictive.csv"), lang,
            in_lang(lang, calibrate.PREDICTIVE_RULE_ZH,
                    manifest.get("predictive_rule", calibrate.PREDICTIVE_RULE))))
    if (directory / "patterns.csv").exists():
        # one row per draw: its coefficients, then holds:<pattern id> and all_hold
        patterns = read_table(directory / "patterns.csv")
        verdicts = [c for c in patterns.columns if c.startswith("holds:") or c == "all_hold"]
        shares = patterns[verdicts].astype(float).mean()
        tables.append(Table(word("patterns", lang),
                            [word("pattern", lang), word("holds_share", lang)],
                            [[word("all_hold", lang) if k == "all_hold"
                              else name_of(k.removeprefix("holds:"), lang), f"{v:.0%}"]
                             for k, v in shares.items()]))
    tables.append(frame_table(read_table(directory / "generations.csv"),
                              word("generations", lang)))
    salt = _Salt()
    figures = []
    if priors:
        figures.append(Figure(word("marginals", lang), svg_of(_draw(
            calibrate.marginals_figure, last, priors, axis_labels, lang=figure_lang), salt())))
        if 1 < len(priors) <= MAX_PAIRS:
            figures.append(Figure(word("pairs", lang), svg_of(_draw(
                calibrate.pairs_figure, last, priors, axis_labels, lang=figure_lang), salt())))
    settings_yaml = to_yaml({k: v for k, v in manifest.items()
                             if k in ("settings", "stopping", "stop_reason_text")})
    blocks = [(word("settings_block", lang), settings_yaml)]
    return [Section(word("summary", lang), items=tables),
            Section(word("figures", lang), items=figures),
            Section(word("settings", lang), blocks=blocks)]


def _predictive_table(table: pd.DataFrame, lang: str, rule: str) -> Table:
    """Per target: its label, the observed value and the model's median [90% interval],
    hit or miss."""
    label_column = {"zh": "label_zh", "en": "label_en"}.get(lang)
    rows = []
    for r in table.to_dict("records"):
        if label_column and isinstance(r.get(label_column), str):
            label = r[label_column]
        elif isinstance(r.get("label_zh"), str) and isinstance(r.get("label_en"), str):
            label = f"{r['label_zh']} {r['label_en']}"
        else:
            label = str(r["target"])
        hit = r.get("hit")
        verdict = (word("hit", lang) if hit is True or hit == "True" else
                   word("miss", lang) if hit is False or hit == "False" else "n/a")
        rows.append([label, number(r["observed"]), interval(r["median"], r["low"], r["high"]),
                     verdict])
    header = [word("target", lang), word("observed", lang), f"{word('median', lang)} [90%]",
              word("hit", lang)]
    return Table(word("predictive", lang), header, rows, rule)


# ---------------------------------------------------------------------- manifest, commands
def _subject(kind: str, manifest: dict[str, Any], directory: Path) -> str:
    """What the page is about: the scenarios, the experiment file or the targets file (the
    directory's name when the manifest names none)."""
    if kind in ("run", "compare"):
        return ", ".join(run["scenario"]["name"] for run in manifest["runs"])
    if kind == "sweep":
        subject = manifest.get("experiment_file")
    else:
        subject = manifest.get("settings", {}).get("targets_file")
    return Path(subject).name if subject else directory.name


def _facts(kind: str, manifest: dict[str, Any], lang: str) -> Table:
    """Kind, times, code version, seeds and package versions, as a two-column table."""
    git = manifest.get("git") or {}
    commit = git.get("commit") or "n/a"
    if git.get("dirty"):
        commit += f" ({word('dirty', lang)})"
    if kind in ("run", "compare"):
        seeds = "; ".join(f"{r['scenario']['name']}: {r['seed']} × {r['replicates']}"
                          for r in manifest["runs"])
    elif kind == "sweep":
        seeds = str(manifest["experiment"].get("seed"))
    else:
        seeds = str(manifest.get("settings", {}).get("seed"))
    rows = [[word("kind", lang), word(kind, lang)],
            [word("started", lang), str(manifest.get("started") or "n/a")],
            [word("finished", lang), str(manifest.get("finished") or "n/a")],
            [word("commit", lang), commit],
            [word("seeds", lang), seeds],
            [word("versions", lang), ", ".join(f"{k} {v}" for k, v in
                                               (manifest.get("versions") or {}).items())]]
    if manifest.get("seeding"):
        rows.append([word("seeding", lang), _seeding(str(manifest["seeding"]), lang)])
    return Table(word("manifest", lang), [word("field", lang), word("value", lang)], rows)


def _seeding(rule: str, lang: str) -> str:
    """The manifest's seeding rule in ``lang``: cogov's own rule (``sim.runner.SEEDING``) in
    Chinese too; another text as recorded."""
    from sim.runner import SEEDING

    if rule != SEEDING or lang == "en":
        return rule
    return SEEDING_ZH if lang == "zh" else f"{SEEDING_ZH} {rule}"


def _commands(kind: str, manifest: dict[str, Any], directory: Path, lang: str
              ) -> list[Command]:
    """The recorded command (in a subshell of its directory, so that what is pasted after it
    runs where the reader is), the command that reproduces a run or comparison from the
    report alone (its resolved scenarios as downloads), and the report's own command."""
    command = [str(a) for a in manifest.get("command") or []]
    cwd = manifest.get("cwd")
    steps = [command_line(command)] if command else []
    if kind == "sweep" and command:  # analyse the directory the sweep writes, in order
        out = _option(command, "--out")
        target = out if out is not None else str(directory.resolve())
        for status in sorted((directory / "analysis").glob("status_*.csv")):
            method = status.stem.removeprefix("status_")
            steps.append(command_line(["cogov", "analyze", target, "--method", method]))
    if not steps:
        recorded = word("command_missing", lang)
    elif cwd:
        recorded = f"(cd {shlex.quote(cwd)} && {' && '.join(steps)})"
    else:
        recorded = " && ".join(steps)
    commands = [Command(word("command", lang), recorded)]
    if kind in ("run", "compare") and not manifest.get("posterior"):
        commands.append(_reproduce(kind, manifest, directory, lang))
    if kind == "sweep" and not command:
        commands.append(Command(word("analyze_command", lang), command_line(
            ["cogov", "analyze", str(directory.resolve())])))
    commands.append(Command(word("report_command", lang), command_line(
        ["cogov", "report", str(directory.resolve()), "--lang", lang])))
    return commands


def _option(argv: Sequence[str], name: str) -> str | None:
    """The value of option ``name`` in ``argv`` (``--out DIR`` or ``--out=DIR``), or None."""
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
    return None


def _reproduce(kind: str, manifest: dict[str, Any], directory: Path, lang: str) -> Command:
    """``cogov run scenario.yaml --seed S --replicates R --months M --out NEW`` (or ``cogov
    compare``) on the scenario files the page offers for download: the resolved scenarios
    of the manifest, so that the command reproduces the directory's results from the report
    alone, into a new directory."""
    from sim.runner import safe_name

    runs = manifest["runs"]
    names = (["scenario.yaml"] if len(runs) == 1 else
             [f"{i + 1}-{safe_name(run['scenario']['name'])}.yaml" for i, run in enumerate(runs)])
    downloads = [(name, data_url(to_yaml(run["scenario"]), "application/yaml"))
                 for name, run in zip(names, runs, strict=True)]
    first = runs[0]
    argv = ["cogov", kind, *names]
    seeds = {run["seed"] for run in runs}
    if len(seeds) == 1:
        argv += ["--seed", str(first["seed"])]
    argv += ["--replicates", str(first["replicates"]), "--months",
             str(first["scenario"]["months"])]
    replicates = [r["replicate"] for r in first.get("replicate_seeds") or []]
    if replicates and min(replicates) > 0:
        argv += ["--first-replicate", str(min(replicates))]
    argv += ["--out", f"{directory.resolve().name}-rerun"]
    return Command(word("reproduce", lang), command_line(argv), downloads)


def data_url(text: str, media_type: str) -> str:
    """``text`` (UTF-8) as a base64 ``data:`` URL: a download that needs no network."""
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"data:{media_type};charset=utf-8;base64,{encoded}"


def command_line(argv: Sequence[str]) -> str:
    """A command as one shell line, each argument quoted where the shell needs it."""
    return shlex.join(str(a) for a in argv)


def to_yaml(data: Any) -> str:
    """``data`` (JSON-like) as block YAML, keys in their order, Chinese kept as written, a
    text of several lines as a literal block (``|``) that reads as it was written."""
    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import LiteralScalarString

    def blocks(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: blocks(v) for k, v in value.items()}
        if isinstance(value, list):
            return [blocks(v) for v in value]
        if isinstance(value, str) and "\n" in value.rstrip("\n"):
            return LiteralScalarString(value)
        return value

    yaml = YAML(typ="rt", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.width = 4096  # long lines stay whole: no folding inside a sentence
    buffer = io.StringIO()
    yaml.dump(blocks(data), buffer)
    return buffer.getvalue()

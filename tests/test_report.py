"""The self-contained HTML report (sim/report, ``cogov report``, ``--report``): one page per
output directory, parsed as a reader's browser would; offline in Chromium with no request."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from browser_fonts import no_cjk_font_env, rendered_fonts
from test_analysis import ISHIGAMI
from test_app import ARTIFACTS, CHROMIUM_ARGS, needs_chromium
from test_sweep import SMALL_MODEL

from sim import report
from sim.cli import main

CJK = re.compile(r"[\u4e00-\u9fff]")
RUN_YAML = """\
name: 小社区
description: |
  <b>not markup</b> & kept as text
  on two lines
seed: 7
months: 12
structure: {street_offices: 1, communities_per_street: 2, residents_per_community: 200}
policy: {devolution: 0.8, fund_per_community: 200000}
"""
OTHER_YAML = RUN_YAML.replace("name: 小社区", "name: no_fund").replace(
    "fund_per_community: 200000", "fund_per_community: 0, foundation: true")


class Page(HTMLParser):
    """What a browser would see of a page: headings, the text inside SVG ``<text>`` elements,
    ``<pre>`` blocks by class, every tag and every attribute that could make a request."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.headings: list[str] = []
        self.svg_text: list[str] = []
        self.pre: dict[str, list[str]] = {}
        self.links: list[str] = []
        self._open: list[tuple[str, dict]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        self.links += [v for k, v in attrs.items() if k in ("src", "href", "xlink:href") and v]
        if tag not in ("meta", "br", "img", "input", "link"):
            self._open.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data):
        names = [t for t, _ in self._open]
        if names and names[-1] in ("h1", "h2", "h3"):
            self.headings.append(data.strip())
        if "svg" in names and "text" in names:
            self.svg_text.append(data)
        pres = [a.get("class", "") for t, a in self._open if t == "pre"]
        if pres:
            self.pre.setdefault(pres[-1], []).append(data)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """``cogov run --report`` of a scenario named in Chinese, from a file named in Chinese
    (2 replicates, 12 months)."""
    tmp = tmp_path_factory.mktemp("run")
    (tmp / "小社区.yaml").write_text(RUN_YAML, encoding="utf-8")
    assert main(["run", str(tmp / "小社区.yaml"), "--replicates", "2", "--out",
                 str(tmp / "out"), "--report"]) == 0
    return tmp / "out"


@pytest.fixture(scope="module")
def compare_dir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("compare")
    (tmp / "a.yaml").write_text(RUN_YAML, encoding="utf-8")
    (tmp / "b.yaml").write_text(OTHER_YAML, encoding="utf-8")
    assert main(["compare", str(tmp / "a.yaml"), str(tmp / "b.yaml"), "--replicates", "2",
                 "--months", "6", "--out", str(tmp / "out"), "--report"]) == 0
    return tmp / "out"


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    """``cogov sweep --report`` of a 3-point random design of the model: analysed, then
    reported."""
    tmp = tmp_path_factory.mktemp("sweep")
    (tmp / "exp.yaml").write_text(SMALL_MODEL, encoding="utf-8")
    assert main(["sweep", str(tmp / "exp.yaml"), "--workers", "1", "--out", str(tmp / "out"),
                 "--report"]) == 0
    return tmp / "out"


@pytest.fixture(scope="module")
def sobol_dir(tmp_path_factory) -> Path:
    """A Sobol sweep of the Ishigami function, analysed by ``cogov analyze`` (no report)."""
    return ishigami_sweep(tmp_path_factory.mktemp("sobol"), "sobol", 64)


def ishigami_sweep(tmp: Path, method: str, samples: int) -> Path:
    """``tmp/out``: a sweep of the Ishigami function by ``method``, analysed."""
    (tmp / "exp.yaml").write_text(ISHIGAMI.format(method=method, samples=samples),
                                    encoding="utf-8")
    assert main(["sweep", str(tmp / "exp.yaml"), "--workers", "1", "--out",
                 str(tmp / "out")]) == 0
    assert main(["analyze", str(tmp / "out")]) == 0
    return tmp / "out"


@pytest.fixture(scope="module")
def calibration_dir(tmp_path_factory) -> Path:
    """A two-generation ABC-SMC calibration of the known Gaussian model."""
    engine = pytest.importorskip("sim.calibrate")
    pytest.importorskip("pyabc")
    from sim.testfunctions import GAUSSIAN_NOISE, UniformPrior, gaussian_pair

    out = tmp_path_factory.mktemp("calibration") / "out"
    engine.calibrate([UniformPrior("a", -5.0, 5.0), UniformPrior("b", -5.0, 5.0)],
                     {"y1": 1.0, "y2": -150.0}, GAUSSIAN_NOISE, gaussian_pair, out_dir=out,
                     seed=5, population=20, max_generations=2, predictive_draws=10,
                     command=["cogov", "calibrate", "targets.yaml", "--out", str(out)])
    return out


def manifest_of(directory: Path) -> dict:
    return json.loads((directory / "manifest.json").read_text(encoding="utf-8"))


def read(path: Path) -> tuple[str, Page]:
    html = path.read_text(encoding="utf-8")
    return html, Page(html)


def assert_self_contained(page: Page, html: str) -> None:
    """Nothing that a browser would fetch: no script, no stylesheet link, no external URL in
    an attribute or a CSS url()."""
    assert "script" not in page.tags and "link" not in page.tags and "iframe" not in page.tags
    assert all(link.startswith(("data:", "#")) for link in page.links), page.links
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", html)
    assert all(u.startswith(("data:", "#")) for u in urls), [u[:40] for u in urls]


def assert_command_recorded(page: Page, directory: Path) -> None:
    shown = " ".join(page.pre["command"])
    assert shlex.join(manifest_of(directory)["command"]) in shown


# ------------------------------------------------------------------------------- each kind
def test_run_report_has_table_figures_with_real_text_yaml_manifest_and_command(run_dir):
    html, page = read(run_dir / "report.html")
    assert_self_contained(page, html)
    assert page.tags.count("svg") >= 6  # every run figure, inline
    svg_words = " ".join(page.svg_text)
    assert "Participation by activity" in svg_words and "month" in svg_words
    assert_command_recorded(page, run_dir)
    yaml_text = "".join(page.pre["yaml"])
    assert "name: 小社区" in yaml_text and "devolution: 0.8" in yaml_text
    assert "<b>not markup</b> & kept as text" in yaml_text  # escaped: text, never markup
    # a text of several lines reads as written: a literal block, not "…\n…" in quotes
    assert "description: |\n  <b>not markup</b> & kept as text\n  on two lines\n" in yaml_text
    assert "b" not in page.tags
    summary = pd.read_csv(run_dir / "summary.csv")
    mean = summary["participation_any_last12"].mean()
    assert f"{mean:.4g} [" in html  # the summary's mean and its interval
    commit = (manifest_of(run_dir)["git"] or {}).get("commit")
    assert commit is None or commit in html


def test_compare_report_shows_both_scenarios(compare_dir):
    html, page = read(compare_dir / "report.html")
    assert_self_contained(page, html)
    assert "svg" in page.tags
    assert "Scenarios compared" in " ".join(page.svg_text)
    assert "小社区" in " ".join(page.headings + page.svg_text)
    yaml_text = "".join(page.pre["yaml"])
    assert "name: 小社区" in yaml_text and "name: no_fund" in yaml_text
    assert_command_recorded(page, compare_dir)


def test_sweep_report_has_the_analysis_design_and_base_scenario(sweep_dir):
    assert (sweep_dir / "analysis" / "status_grid.csv").exists()  # --report analysed it
    html, page = read(sweep_dir / "report.html")
    assert_self_contained(page, html)
    assert "svg" in page.tags and page.svg_text
    yaml_text = "".join(page.pre["yaml"])
    assert "method: random" in yaml_text and "name: baseline" in yaml_text
    assert_command_recorded(page, sweep_dir)
    assert f"cogov analyze {sweep_dir} --method grid" in " ".join(page.pre["command"])


def test_sobol_report_gives_each_index_with_its_interval(sobol_dir):
    out = report.write(sobol_dir, lang="en")
    html, page = read(out)
    table = pd.read_csv(sobol_dir / "analysis" / "sobol_y.csv")
    for row in table.itertuples():
        assert f"{row.S1:.4g} [{row.S1_low:.4g}, {row.S1_high:.4g}]" in html
        assert f"{row.ST:.4g} [{row.ST_low:.4g}, {row.ST_high:.4g}]" in html
    assert "S1 (first order)" in " ".join(page.svg_text)


def test_calibration_report_has_credible_and_predictive_tables(calibration_dir):
    from sim.calibrate import credible_intervals

    out = report.write(calibration_dir, lang="en")
    html, page = read(out)
    assert_self_contained(page, html)
    posterior = pd.read_parquet(calibration_dir / "posterior.parquet")
    last = posterior[posterior["generation"] == posterior["generation"].max()]
    for row in credible_intervals(last).itertuples():
        assert f"{row.median:.4g} [{row.low:.4g}, {row.high:.4g}]" in html
    predictive = pd.read_csv(calibration_dir / "predictive.csv")
    for row in predictive.itertuples():
        assert f"{row.median:.4g} [{row.low:.4g}, {row.high:.4g}]" in html
    assert "ABC-SMC posterior marginals" in " ".join(page.svg_text)
    assert "population: 20" in "".join(page.pre["yaml"])
    assert_command_recorded(page, calibration_dir)



def table_rows(html: str, caption: str) -> list[list[str]]:
    """The body rows of the page's table captioned ``caption``, as the cells' text."""
    import html as htmllib

    body = re.search(rf"<caption>{re.escape(caption)}</caption>.*?<tbody>(.*?)</tbody>",
                     html, re.S)
    assert body, caption
    return [[htmllib.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_pattern_table_gives_each_patterns_share_of_draws_and_no_coefficient(
        calibration_dir, tmp_path, lang):
    """patterns.csv as calibrate writes it (the draw's coefficients, then holds:<pattern> and
    all_hold): the report's table has one row per pattern, named by its label, and one for
    all at once, each with the share of draws where it holds; never a coefficient's mean
    printed as a percentage."""
    from sim import labels

    directory = tmp_path / "calibration"
    shutil.copytree(calibration_dir, directory)
    pd.DataFrame({"draw": [0, 1, 2, 3], "a": [2.5, 2.7, 2.6, 2.8],
                  "b": [90000.0, 80000.0, 85000.0, 95000.0],
                  "holds:fund_lever": [True, True, True, False],
                  "holds:migrant_gap": [False, False, True, False],
                  "all_hold": [False, False, True, False]}).to_csv(
        directory / "patterns.csv", index=False)
    html = report.build(directory, lang=lang)
    caption = {"en": "Patterns at posterior draws", "zh": "模式检验（后验抽样）"}[lang]
    rows = table_rows(html, caption)
    assert [share for _, share in rows] == ["75%", "25%", "25%"]
    assert [name for name, _ in rows][:2] == [labels.label("fund_lever", lang),
                                              labels.label("migrant_gap", lang)]
    assert "holds" not in rows[2][0] and "_" not in rows[2][0]

def test_compare_report_gives_means_and_paired_differences_with_labels(compare_dir):
    from sim import labels
    from sim.runner import KEY_METRICS

    html, page = read(compare_dir / "report.html")
    table = pd.read_csv(compare_dir / "compare_table.csv")
    first = table[table["scenario"] == "小社区"].set_index("metric")
    other = table[table["scenario"] == "no_fund"].set_index("metric")
    shown = [m for m in KEY_METRICS if pd.notna(other.loc[m, "diff_low"])]
    assert shown  # paired runs: differences with their intervals
    for metric in shown:
        a, b = first.loc[metric], other.loc[metric]
        row = re.search(rf"<tr><td>{re.escape(labels.label(metric, 'both'))}</td>(.*?)</tr>",
                        html)
        assert row, metric
        assert f"{a['mean']:.4g} [{a['ci_low']:.4g}, {a['ci_high']:.4g}]" in row.group(1)
        assert (f"{b['difference']:.4g} [{b['diff_low']:.4g}, {b['diff_high']:.4g}]"
                in row.group(1))
    assert "no_fund − 小社区" in html
    # the whole CSV stays, folded and scrolling sideways, not as the page's main table
    assert re.search(r"<details><summary>compare_table.csv</summary>\s*<div class=\"scroll\">",
                     html)


# -------------------------------------------------------------------------------- language
@pytest.fixture(scope="module")
def zh_report(run_dir, tmp_path_factory) -> Path:
    return report.write(run_dir, tmp_path_factory.mktemp("zh") / "zh.html", lang="zh")


def sections(page: Page) -> list[str]:
    """The page's headings but those naming a scenario (a name is in its own language)."""
    return [h for h in page.headings if h and "小社区" not in h and "no_fund" not in h]


def test_lang_zh_gives_chinese_headings(zh_report):
    _, zh = read(zh_report)
    assert sections(zh) and all(CJK.search(h) for h in sections(zh))
    assert not any(re.search(r"\b(Summary|Figures|Manifest|Commands)\b", h)
                   for h in sections(zh))


def test_lang_en_gives_english_headings(compare_dir, tmp_path):
    _, en = read(report.write(compare_dir, tmp_path / "en.html", lang="en"))
    assert sections(en) and not any(CJK.search(h) for h in sections(en))


@pytest.fixture(scope="module")
def morris_zh(tmp_path_factory) -> tuple[str, Page]:
    """The zh report of a Morris sweep of the Ishigami function."""
    tmp = tmp_path_factory.mktemp("morris")
    return read(report.write(ishigami_sweep(tmp, "morris", 20), tmp / "zh.html", lang="zh"))


def table_headers(html: str) -> list[list[str]]:
    return [re.findall(r"<th>(.*?)</th>", head) for head in re.findall(r"<thead>(.*?)</thead>",
                                                                       html)]


def test_a_zh_morris_report_names_its_indices_and_status_in_chinese(morris_zh):
    html, _ = morris_zh
    headers = table_headers(html)
    assert ["参数", "μ*（平均绝对基本效应） [95%]", "σ（基本效应的标准差）"] in headers
    status = [h for h in headers if "状态" in h]
    assert status and all(CJK.search(cell) for cell in status[0])
    assert "⊘" not in html  # only a Sobol or FAST share can lie outside [0, 1]
    assert not re.search(r"\b(mu_star|sigma|detail|notes|ok)\b",
                         " ".join(cell for h in headers for cell in h))



def test_the_yaml_blocks_of_a_zh_sweep_and_calibration_are_headed_in_chinese_or_by_file(
        morris_zh, calibration_dir, tmp_path):
    """Each block of YAML is headed by the file it came from (the experiment file, the
    scenario's name) or in the page's language, never by an English word of cogov's own
    ("experiment", "settings")."""
    calibration = report.write(calibration_dir, tmp_path / "zh.html", lang="zh")
    for html in (morris_zh[0], calibration.read_text(encoding="utf-8")):
        blocks = re.findall(r"<h3>([^<]*)</h3>\s*<pre class=\"yaml\"", html)
        assert blocks and all(CJK.search(h) or h.endswith(".yaml") for h in blocks), blocks

def test_a_zh_run_report_has_no_english_words_of_its_own(zh_report):
    html, _ = read(zh_report)
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html)
    assert captions and all(re.fullmatch(r"小社区: [^A-Za-z]+", c) for c in captions), captions
    facts = dict(re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", html))
    assert facts["类型"] == "运行"
    assert CJK.search(facts["种子规则"]) and "replicate r of" not in facts["种子规则"]



def test_a_zh_calibration_report_has_no_english_words_of_its_own(calibration_dir, tmp_path):
    """The figures (titles, axes, legend) and the notes giving the interval rules are in
    Chinese; only the method's name, ABC-SMC, stays as it is."""
    html, page = read(report.write(calibration_dir, tmp_path / "zh.html", lang="zh"))
    figure_words = " ".join(page.svg_text).replace("ABC-SMC", "")
    assert CJK.search(figure_words)
    assert not re.search(r"[A-Za-z]{3,}", figure_words), figure_words
    notes = re.findall(r'<p class="note">(.*?)</p>', html, re.S)
    assert len(notes) >= 2 and all(CJK.search(n) and not re.search(r"[A-Za-z]{3,}", n)
                                   for n in notes[:2]), notes

def test_the_page_font_holds_every_character_of_the_page_the_font_has(zh_report):
    """The inline font is subset to the page: every non-ASCII character of its text — the
    headings, tables, YAML, manifest, command and the figures' SVG text — is in it, unless
    the shipped font itself lacks it."""
    import base64
    import html as htmllib
    import io

    from fontTools.ttLib import TTFont

    from sim import fonts

    html = zh_report.read_text(encoding="utf-8")
    woff = re.search(r'url\("data:font/woff;base64,([^"]+)"\)', html).group(1)
    inline = set(TTFont(io.BytesIO(base64.b64decode(woff))).getBestCmap())
    shipped = set(TTFont(fonts.FONT_FILE, lazy=True).getBestCmap())
    text = htmllib.unescape(re.sub(r"<style>.*?</style>", "", html, flags=re.S))
    wanted = {ord(c) for c in text if ord(c) > 0x7E}
    assert {0x5C0F, 0x793E, 0x533A} <= wanted  # 小社区, in the YAML, command and figures
    assert wanted & shipped <= inline, sorted(chr(c) for c in (wanted & shipped) - inline)


# ------------------------------------------------------------------------------ bad input
def test_directories_that_are_no_known_output_are_refused_naming_what_is_missing(
        run_dir, sweep_dir, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty)]) == 2
    assert "no manifest.json" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "absent")]) == 2
    assert "absent: no such directory" in capsys.readouterr().err
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text('{"kind": "patterns"}', encoding="utf-8")
    assert main(["report", str(other)]) == 2
    assert "kind 'patterns' has no report" in capsys.readouterr().err
    broken = tmp_path / "broken"
    shutil.copytree(run_dir, broken)
    (broken / "summary.csv").unlink()
    (broken / "report.html").unlink()
    assert main(["report", str(broken)]) == 2
    assert "missing summary.csv" in capsys.readouterr().err
    unanalysed = tmp_path / "unanalysed"
    shutil.copytree(sweep_dir, unanalysed)
    shutil.rmtree(unanalysed / "analysis")
    (unanalysed / "report.html").unlink()
    assert main(["report", str(unanalysed)]) == 2
    assert f"cogov analyze {unanalysed}" in capsys.readouterr().err
    for refused in (empty, other, broken, unanalysed):
        assert not list(refused.glob("*.html")) and not list(refused.glob(".*.tmp"))
    assert main(["report", str(run_dir), "--out", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert main(["report", str(run_dir / "summary.csv")]) == 2
    assert "summary.csv: is a file, not a directory" in capsys.readouterr().err


@pytest.mark.parametrize("name, content, says", [
    ("timeseries.parquet", b"not parquet at all", "cannot be read as Parquet"),
    ("summary.csv", b"", "is empty"),
])
def test_an_unreadable_table_is_named_with_what_is_wrong(run_dir, tmp_path, capsys, name,
                                                         content, says):
    broken = tmp_path / "broken"
    shutil.copytree(run_dir, broken)
    (broken / "report.html").unlink()
    (broken / name).write_bytes(content)
    assert main(["report", str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"{broken / name}: {says}" in err and "Traceback" not in err
    assert not list(broken.glob("*.html"))


def test_a_table_without_the_columns_it_needs_is_refused_naming_them(run_dir, compare_dir,
                                                                      tmp_path, capsys):
    broken = tmp_path / "run"
    shutil.copytree(run_dir, broken)
    (broken / "report.html").unlink()
    (broken / "summary.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["report", str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"{broken / 'summary.csv'}: lacks the columns scenario, " in err
    assert "Traceback" not in err and not list(broken.glob("*.html"))
    shutil.copy(run_dir / "summary.csv", broken / "summary.csv")
    pd.read_parquet(run_dir / "timeseries.parquet").drop(columns=["scenario"]).to_parquet(
        broken / "timeseries.parquet")
    assert main(["report", str(broken)]) == 2
    assert f"{broken / 'timeseries.parquet'}: lacks the column scenario " in (
        capsys.readouterr().err)
    compared = tmp_path / "compare"
    shutil.copytree(compare_dir, compared)
    (compared / "report.html").unlink()
    (compared / "compare_table.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["report", str(compared)]) == 2
    assert f"{compared / 'compare_table.csv'}: lacks the columns scenario, metric, " in (
        capsys.readouterr().err)
    assert not list(compared.glob("*.html"))


def test_a_manifest_that_is_no_json_object_is_refused(run_dir, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(run_dir, broken)
    (broken / "report.html").unlink()
    (broken / "manifest.json").write_text("[]", encoding="utf-8")
    assert main(["report", str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"{broken / 'manifest.json'}: manifest.json is not a JSON object" in err
    assert not list(broken.glob("*.html"))


def test_a_compare_directory_needs_its_table_unless_drawn_from_a_posterior(compare_dir,
                                                                            tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(compare_dir, broken)
    (broken / "compare_table.csv").unlink()
    (broken / "report.html").unlink()
    assert main(["report", str(broken)]) == 2
    assert "missing compare_table.csv" in capsys.readouterr().err
    manifest = manifest_of(broken)
    manifest["posterior"] = {"draws": 2}
    (broken / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert main(["report", str(broken)]) == 2
    assert "missing posterior_compare.csv" in capsys.readouterr().err
    pd.DataFrame({"metric": ["mean_trust_last12"], "p_above": [0.5]}).to_csv(
        broken / "posterior_compare.csv", index=False)
    assert main(["report", str(broken)]) == 0


def test_a_full_disk_leaves_no_report_and_no_temporary_file(sobol_dir, tmp_path, monkeypatch,
                                                            capsys):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report.os, "replace", full)
    assert main(["report", str(sobol_dir), "--out", str(tmp_path / "r.html")]) == 1
    assert "r.html: writing the report failed (No space left on device)" in \
        capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- reproduction
def reproduction(html: str) -> tuple[dict[str, bytes], list[str]]:
    """The files the report offers for download (name → bytes, from their data: URLs) and
    the argv of its command that reproduces the run from them."""
    import base64
    import html as htmllib

    files = {name: base64.b64decode(data) for name, data in re.findall(
        r'<a download="([^"]+)" href="data:[^,"]+;base64,([^"]+)"', html)}
    block = re.search(r'<p class="downloads">.*?</p>\s*<pre class="command"><code>(.*?)</code>',
                      html, re.S)
    return files, shlex.split(htmllib.unescape(block.group(1)))


def test_the_resolved_scenario_downloads_and_validates_as_it_ran(run_dir, tmp_path):
    from sim.scenario import Scenario

    html, _ = read(run_dir / "report.html")
    files, argv = reproduction(html)
    assert list(files) == ["scenario.yaml"] and argv[:3] == ["cogov", "run", "scenario.yaml"]
    (tmp_path / "scenario.yaml").write_bytes(files["scenario.yaml"])
    ran = manifest_of(run_dir)["runs"][0]
    assert Scenario.load(tmp_path / "scenario.yaml").to_dict() == ran["scenario"]
    assert argv[argv.index("--seed") + 1] == str(ran["seed"])
    assert argv[argv.index("--replicates") + 1] == str(ran["replicates"])
    assert not (run_dir.parent / argv[argv.index("--out") + 1]).exists()  # a new directory


def test_pasted_commands_run_where_they_were_recorded_and_in_order(sweep_dir):
    """The recorded command runs in a subshell of its directory, so that the analysis after
    it and anything pasted later run in the right place."""
    _, page = read(sweep_dir / "report.html")
    line = page.pre["command"][0]
    manifest = manifest_of(sweep_dir)
    assert line.startswith(f"(cd {shlex.quote(manifest['cwd'])} && ") and line.endswith(")")
    steps = line[1:-1].split(" && ")
    out = manifest["command"][manifest["command"].index("--out") + 1]
    assert steps[1] == shlex.join(manifest["command"])
    assert steps[2] == shlex.join(["cogov", "analyze", out, "--method", "grid"])


def test_the_report_alone_reproduces_the_summary_bit_for_bit(run_dir, tmp_path, monkeypatch):
    """The scenario file downloaded from the page and the command shown beside it, run in a
    fresh folder, give the very same summary.csv."""
    html, _ = read(run_dir / "report.html")
    files, argv = reproduction(html)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    assert main(argv[1:]) == 0
    out = tmp_path / argv[argv.index("--out") + 1]
    assert (out / "summary.csv").read_bytes() == (run_dir / "summary.csv").read_bytes()


# -------------------------------------------------------------------------------- browser
@pytest.mark.slow  # about 20 s on a loaded machine: Chromium's start and a page of 6 figures
@needs_chromium
def test_the_report_renders_offline_with_its_own_font_and_makes_no_request(zh_report):
    """In headless Chromium with the network off, the zh report loads only data: URLs, its
    font face loads, and the figures' words are selectable text (a screenshot of the whole
    page goes to test-artifacts/report-zh.png)."""
    from playwright.sync_api import sync_playwright

    from sim import fonts

    html = zh_report.read_text(encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.set_offline(True)
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.set_content(html, wait_until="load")
            loaded = page.evaluate(
                """async (family) => { await document.fonts.ready;
                   return [...document.fonts].filter(f => f.family.replace(/["']/g, '')
                           === family).map(f => f.status); }""", fonts.FAMILY)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / "report-zh.png", full_page=True)
            heading = page.locator("h2").nth(1).inner_text()
            words = page.eval_on_selector_all("svg text", "els => els.map(e => e.textContent)")
            selected = page.evaluate("""() => { const t = document.querySelector('svg text');
                const range = document.createRange(); range.selectNodeContents(t);
                getSelection().removeAllRanges(); getSelection().addRange(range);
                return [t.textContent, getSelection().toString()]; }""")
        finally:
            browser.close()
    assert all(url.startswith(("data:", "about:")) for url in requests), requests
    assert loaded and set(loaded) == {"loaded"}, loaded
    assert CJK.search(heading)
    assert any("month" in w or "月" in w for w in words)
    assert selected[1] == selected[0] and selected[0].strip()  # selectable, copyable text
    assert problems == []


@contextlib.contextmanager
def page_without_cjk_font(report_file: Path, tmp_path: Path):
    """``report_file`` open at 1280 × 720 in Chromium offline, with only Latin system fonts,
    once its fonts are ready: yields the page and a CDP session with DOM and CSS enabled."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS,
                                    env=no_cjk_font_env(tmp_path, dict(os.environ)))
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            context.set_offline(True)
            page = context.new_page()
            page.set_content(report_file.read_text(encoding="utf-8"), wait_until="load")
            page.evaluate("document.fonts.ready")
            cdp = context.new_cdp_session(page)
            cdp.send("DOM.enable")
            cdp.send("CSS.enable")
            yield page, cdp
        finally:
            browser.close()


@needs_chromium
def test_chinese_is_drawn_in_the_shipped_font_on_a_pc_with_no_chinese_font(
        zh_report, compare_dir, tmp_path):
    """Offline, with only Latin system fonts: every Chinese character of the title, a
    heading, a table cell and the command (a monospace block) is drawn by the page's own
    font, none by a system font's missing glyph (the boxes a new user saw). At 1280 px the
    figures fill the column, keeping their shape, and the compare report (150 rows of raw
    CSV folded) does not overflow the page."""
    from sim.fonts import FAMILY

    with page_without_cjk_font(zh_report, tmp_path) as (page, cdp):
        drawn = {}
        for selector in ("h1", "section#command h2", "tbody td", "pre.command code"):
            text = page.locator(selector).first.inner_text()
            drawn[selector] = (len(CJK.findall(text)), rendered_fonts(cdp, selector))
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "report-zh-no-system-cjk-font.png")
        column, width, height, box_width, box_height = page.evaluate("""() => {
            const f = document.querySelector('figure'), s = f.querySelector('svg');
            const r = s.getBoundingClientRect(), box = s.viewBox.baseVal;
            return [f.clientWidth, r.width, r.height, box.width, box.height]; }""")
        page.set_content((compare_dir / "report.html").read_text(encoding="utf-8"),
                         wait_until="load")
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    for selector, (chinese, fonts) in drawn.items():
        assert chinese >= 2 and fonts.get(FAMILY, 0) >= chinese, (selector, chinese, fonts)
    assert abs(width - column) < 1 and column > 900, (width, column)
    assert height / width == pytest.approx(box_height / box_width, rel=0.01)
    assert overflow <= 0, overflow


# ------------------------------------------------------------------- communities (issue 14)
@pytest.fixture(scope="module")
def community_run_dir(tmp_path_factory) -> Path:
    """A run directory whose time series has community rows beside the district's (as
    ``cogov run`` writes for a scenario with a community table): the communities of a real
    8-community run, named in Chinese, under the district rows of a synthetic result."""
    import dataclasses

    from conftest import synthetic_result
    from worlds import community_frame

    from sim.runner import write_outputs

    result = synthetic_result("海沧", replicates=3, months=24)
    communities = community_frame()
    streets = {"1": "海沧街道", "2": "嵩屿街道"}
    communities["community"] = [f"{streets[s]}-{c.split('-')[1]}" for s, c in
                                zip(communities["street_office"], communities["community"],
                                    strict=True)]
    communities["street_office"] = communities["street_office"].map(streets)
    district = result.timeseries.assign(level="district", street_office="", community="")
    rows = communities.assign(level="community", scenario="海沧", seed=7)
    structure = result.scenario.structure.model_copy(update={"communities": ()})
    table = dataclasses.replace(
        result, scenario=result.scenario.model_copy(update={"structure": structure}),
        timeseries=pd.concat([district, rows], ignore_index=True))
    out = tmp_path_factory.mktemp("communities") / "out"
    write_outputs(out, table, ["cogov", "run", "haicang.yaml"], plots=False)
    return out


def community_table(html: str) -> list[list[str]]:
    """The rows of the ranked table of communities (the table headed by rank)."""
    for table in re.findall(r"<table>(.*?)</table>", html, re.S):
        if re.search(r"<th>(排名|rank)", table):
            return [re.findall(r"<td>(.*?)</td>", row)
                    for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)]
    return []


@pytest.mark.parametrize("lang, heading", [("zh", "社区"), ("en", "Communities"),
                                            ("both", "社区 Communities")])
def test_a_run_with_communities_has_their_section_figure_and_ranked_table(
        community_run_dir, tmp_path, lang, heading):
    html, page = read(report.write(community_run_dir, tmp_path / "r.html", lang=lang))
    assert heading in page.headings
    section = html.split(f"<h2>{heading}</h2>")[1].split("<h2>")[0]
    assert section.count("<svg") == 1 and "海沧街道-1" in section  # names as real SVG text
    rows = community_table(html)
    ts = pd.read_parquet(community_run_dir / "timeseries.parquet")
    communities = ts[ts["level"] == "community"]
    assert sorted(r[1] for r in rows) == sorted(communities["community"].unique())
    assert [r[0] for r in rows] == [str(i) for i in range(1, len(rows) + 1)]
    shown = [re.fullmatch(r"(\S+) \[(\S+), (\S+)\]", r[3]).groups() for r in rows]
    means = [float(m) for m, _, _ in shown]
    assert means == sorted(means, reverse=True)
    # each mean is the community's last-12-month mean (a plain mean: every replicate has all
    # 12 months), and its interval lies in [0, 1] around it
    last = communities[communities["month"] > 12].groupby("community")["participation_any"]
    assert means == pytest.approx([last.mean()[r[1]] for r in rows], rel=1e-3)
    assert all(0 <= float(low) <= float(m) <= float(high) <= 1 for m, low, high in shown)
    assert_self_contained(page, html)


def test_a_run_without_communities_has_no_community_section(run_dir):
    _, page = read(run_dir / "report.html")
    assert not [h for h in page.headings if h in ("社区", "Communities", "社区 Communities")]


@needs_chromium
def test_every_chinese_word_of_the_figures_is_drawn_in_the_shipped_font(zh_report, tmp_path):
    """Offline, with only Latin system fonts: each Chinese character of every figure's text
    (titles, axes, legends, schedule marks) is drawn by the page's own font. Figure text
    names the shipped font after matplotlib's Latin fonts; Chromium drew the first figure
    words it met before that font had loaded in a Latin font, as boxes, and kept them so."""
    from sim.fonts import FAMILY

    with page_without_cjk_font(zh_report, tmp_path) as (page, cdp):
        words = page.evaluate("""() => [...document.querySelectorAll('svg text')]
            .map((t, i) => { t.setAttribute('data-word', i); return t.textContent; })""")
        drawn = [(text, len(CJK.findall(text)),
                  rendered_fonts(cdp, f'svg text[data-word="{i}"]'))
                 for i, text in enumerate(words) if CJK.search(text)]
    assert len(drawn) >= 10, drawn
    boxes = [(text, fonts) for text, chinese, fonts in drawn if fonts.get(FAMILY, 0) < chinese]
    assert boxes == []


def test_an_extra_table_leaves_a_district_rows_community_blank(run_dir, tmp_path):
    # cost_effectiveness.csv of a table of communities: the district's row names no community
    # (empty cells in the file), which is not an undefined number
    directory = tmp_path / "run"
    shutil.copytree(run_dir, directory)
    (directory / "cost_effectiveness.csv").write_text(
        "scenario,level,street_office,community,metric,n,per_10k_yuan\n"
        "s,district,,,needs_met_last12,2,0.5\n"
        "s,community,海沧街道,海沧社区,needs_met_last12,2,\n", encoding="utf-8")
    manifest = manifest_of(directory)
    manifest["files"].append("cost_effectiveness.csv")
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    rows = table_rows(report.build(directory, lang="en"), "cost_effectiveness.csv")
    assert rows == [["s", "district", "", "", "needs_met_last12", "2", "0.5"],
                    ["s", "community", "海沧街道", "海沧社区", "needs_met_last12", "2", "n/a"]]

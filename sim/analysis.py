"""Sensitivity analysis of a finished sweep (INTERFACE.md ``cogov analyze``).

Reads ``results.parquet``, ``design.npy`` and ``manifest.json`` of a sweep directory (the SALib
problem is saved with the results, as agentpy does), averages replicates per design point, and
runs SALib's analysis for the design's method: Sobol S1/ST (and S2) with confidence intervals,
Morris mu*/mu*_conf/sigma, FAST S1/ST. Beside every index table stands the **noise share**: the
share of the output variance that is stochastic variation between replicates of one design point
(within-point sum of squares / total sum of squares). Near 1, noise swamps the levers and the
indices mean little. Grid designs get response tables and plots (lines for one parameter, a
heatmap for two). This module never prints and never exits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.scenario import ScenarioError

METHODS_BY_DESIGN = {"sobol": "sobol", "morris": "morris", "fast": "fast", "grid": "grid",
                     "random": "grid"}


@dataclass
class Analysis:
    method: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def analyze(out_dir: str | Path, method: str | None = None,
            metric_names: list[str] | None = None) -> Analysis:
    """Analyse the sweep in ``out_dir``; write ``analysis/*.csv`` and ``analysis/*.png``.
    Raises ScenarioError (bad input: exit 2) for a missing sweep, a method that does not match
    the design, or an unknown metric."""
    out_dir = Path(out_dir)
    manifest_path, results_path = out_dir / "manifest.json", out_dir / "results.parquet"
    if not manifest_path.exists() or not results_path.exists():
        raise ScenarioError(f"{out_dir}: no finished sweep here (manifest.json and "
                            "results.parquet are written when `cogov sweep` ends)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    spec = manifest["experiment"]
    design_method = spec["method"]
    method = method or METHODS_BY_DESIGN[design_method]
    if method != "grid" and method != design_method:
        raise ScenarioError(f"{out_dir}: --method {method} needs a {method} design; this sweep "
                            f"used {design_method}")
    results = pd.read_parquet(results_path)
    names = metric_names or spec["metrics"]
    unknown = [m for m in names if m not in results.columns]
    if unknown:
        raise ScenarioError(f"{out_dir}: unknown metric(s) {', '.join(unknown)}; the results "
                            f"have: {', '.join(spec['metrics'])}")
    ok = results[results["status"] == "ok"]
    n_points = int(results["point"].max()) + 1
    missing = sorted(set(range(n_points)) - set(ok["point"]))
    if missing and method != "grid":
        raise ScenarioError(f"{out_dir}: design points {missing[:10]} have no successful run; "
                            f"{method} needs every point")
    problem = manifest["problem"]
    analysis = Analysis(method)
    target = out_dir / "analysis"
    target.mkdir(exist_ok=True)
    for name in names:
        per_point = ok.groupby("point")[name].mean().reindex(range(n_points)).to_numpy()
        noise = noise_share(ok, name)
        if method == "grid":
            table = grid_table(ok, manifest["parameters"], name)
        else:
            table = _indices(method, problem, spec, per_point, out_dir, name, analysis, target)
        table["noise_share"] = noise
        analysis.tables[name] = table
        path = target / f"{method}_{name}.csv"
        table.to_csv(path, index=False)
        analysis.files.append(path)
        analysis.files.extend(_plot(method, table, manifest["parameters"], name, noise, target,
                                    ok))
    return analysis


def noise_share(ok: pd.DataFrame, name: str) -> float:
    """Share of the runs' variation that lies between replicates of one design point:
    within-point sum of squares / total sum of squares, in [0, 1] (NaN with a single replicate
    per point or no variation at all)."""
    if ok.groupby("point")[name].count().max() < 2:
        return float("nan")
    values = ok[name].to_numpy(dtype=float)
    point_means = ok.groupby("point")[name].transform("mean").to_numpy(dtype=float)
    total = float(((values - values.mean()) ** 2).sum())
    within = float(((values - point_means) ** 2).sum())
    return within / total if total > 0 else float("nan")


def _indices(method: str, problem: dict, spec: dict, y: np.ndarray, out_dir: Path, name: str,
             analysis: Analysis, target: Path) -> pd.DataFrame:
    from SALib.analyze import fast, morris, sobol

    names = problem["names"]
    seed = spec["seed"]
    if method == "sobol":
        res = sobol.analyze(problem, y, calc_second_order=spec["second_order"], seed=seed)
        table = pd.DataFrame({"parameter": names, "S1": res["S1"], "S1_conf": res["S1_conf"],
                              "ST": res["ST"], "ST_conf": res["ST_conf"]})
        if spec["second_order"]:
            rows = [{"parameter_i": names[i], "parameter_j": names[j], "S2": res["S2"][i, j],
                     "S2_conf": res["S2_conf"][i, j]}
                    for i in range(len(names)) for j in range(i + 1, len(names))]
            path = target / f"sobol_S2_{name}.csv"
            pd.DataFrame(rows).to_csv(path, index=False)
            analysis.files.append(path)
    elif method == "morris":
        x = np.load(out_dir / "design.npy")
        res = morris.analyze(problem, x, y, num_levels=spec["morris_levels"], seed=seed)
        table = pd.DataFrame({"parameter": names, "mu": res["mu"], "mu_star": res["mu_star"],
                              "mu_star_conf": res["mu_star_conf"], "sigma": res["sigma"]})
    else:
        res = fast.analyze(problem, y, M=spec["fast_m"], seed=seed)
        table = pd.DataFrame({"parameter": names, "S1": res["S1"], "S1_conf": res["S1_conf"],
                              "ST": res["ST"], "ST_conf": res["ST_conf"]})
    return table


def grid_table(ok: pd.DataFrame, parameters: list[dict], name: str) -> pd.DataFrame:
    """Mean, standard deviation, replicate count and 95% band half-width per design point."""
    columns = [f"param:{p['name']}" for p in parameters]
    grouped = ok.groupby(["point", *columns], dropna=False)[name]
    table = grouped.agg(["mean", "std", "count"]).reset_index()
    table["ci95"] = 1.96 * table["std"] / np.sqrt(table["count"])
    return table.drop(columns="point")


# ---------------------------------------------------------------------------------- plots
def _plot(method: str, table: pd.DataFrame, parameters: list[dict], name: str, noise: float,
          target: Path, ok: pd.DataFrame) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    subtitle = f"noise share {noise:.2f}" if np.isfinite(noise) else "one replicate per point"
    fig, ax = plt.subplots(figsize=(7, 4.2), constrained_layout=True)
    if method in {"sobol", "fast"}:
        x = np.arange(len(table))
        width = 0.38
        ax.bar(x - width / 2, table["S1"], width, yerr=table["S1_conf"], capsize=3,
               label="S1 (first order)")
        ax.bar(x + width / 2, table["ST"], width, yerr=table["ST_conf"], capsize=3,
               label="ST (total)")
        ax.set_xticks(x, table["parameter"], rotation=30, ha="right")
        ax.set_ylabel("sensitivity index (share of variance)")
        ax.legend()
    elif method == "morris":
        ax.errorbar(table["mu_star"], table["sigma"], xerr=table["mu_star_conf"], fmt="o",
                    capsize=3)
        for _, row in table.iterrows():
            ax.annotate(row["parameter"], (row["mu_star"], row["sigma"]), fontsize=8,
                        xytext=(4, 4), textcoords="offset points")
        ax.set_xlabel("μ* (mean absolute elementary effect)")
        ax.set_ylabel("σ (interactions, non-linearity)")
    else:
        if not _grid_plot(ax, table, parameters, name, fig):
            plt.close(fig)
            return []
    ax.set_title(f"{name} — {method} ({subtitle})")
    path = target / f"{method}_{name}.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return [path]


def _grid_plot(ax, table: pd.DataFrame, parameters: list[dict], name: str, fig) -> bool:
    """Lines with bands for one varying parameter, a heatmap for two; nothing for more."""
    parameters = [p for p in parameters if table[f"param:{p['name']}"].nunique() > 1]
    columns = [f"param:{p['name']}" for p in parameters]
    if len(columns) == 1:
        x = table[columns[0]].astype(str) if table[columns[0]].dtype == object \
            else table[columns[0]]
        ax.plot(x, table["mean"], marker="o")
        ax.fill_between(x, table["mean"] - table["ci95"], table["mean"] + table["ci95"],
                        alpha=0.25, label="95% band over replicates")
        ax.set_xlabel(parameters[0]["name"])
        ax.set_ylabel(name)
        ax.legend()
        return True
    if len(columns) == 2:
        pivot = table.pivot_table(index=columns[0], columns=columns[1], values="mean")
        image = ax.imshow(pivot.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
        ax.set_yticks(range(len(pivot.index)), [f"{v:g}" if isinstance(v, float) else str(v)
                                                 for v in pivot.index])
        ax.set_xticks(range(len(pivot.columns)), [f"{v:g}" if isinstance(v, float) else str(v)
                                                   for v in pivot.columns], rotation=30)
        ax.set_ylabel(parameters[0]["name"])
        ax.set_xlabel(parameters[1]["name"])
        fig.colorbar(image, ax=ax, label=f"{name} (mean over replicates)")
        return True
    return False

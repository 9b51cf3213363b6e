"""Derived statistics of a run, measured month by month: the model's side of the calibration
anchors (docs/ODD.md §9.2; MODEL.md "Calibration anchors"; docs/calibration.md).

The summary metrics of sim/metrics.py are means over months of district-wide shares; an anchor
is often another kind of number: the share who did something at least once in a year, turnout of
one group against another, a count per 10,000 people, the decline of one group's public spirit.
:class:`Recorder` watches one run and measures them; :data:`STATISTICS` names each with its unit,
range, bilingual label and definition. ``benchmarks/calibration.py`` and ``sim.targets.simulate``
both measure through :func:`measure`, so there is one piece of code for each quantity.

Definitions (a *cycle year* is months 12k+1 … 12k+12 of the fund calendar, ``sim.fund``):

- **annual turnout** of a group: the share of the group's members at the end of the cycle
  year who deliberated at least once in that year (deliberation is open in cycle months 1–3),
  averaged over the complete cycle years of the run. Households move (ODD §7.9: about half the
  slots of a 2,000-adult community change hands in five years): what a resident who moves in
  did is counted from the month they arrive, what one who left did leaves with them, and group
  membership is read at the end of each year, so a share is always of the same people in its
  numerator and its denominator. The same holds for volunteering at least once a year and for
  repeat participants.
- **odds ratio** of turnout, group 1 against group 0: [p₁/(1 − p₁)] ÷ [p₀/(1 − p₀)] of the two
  annual turnouts p₁, p₀ of the run. An anchor's turnout (an election's, 14–78%) and the model's
  (a council's, a few per cent) differ in level; a ratio of shares is squeezed toward 1 at high
  levels and approaches the odds ratio at low levels, so only the odds ratio can be set beside
  an anchor measured at another level. NaN when p₀ is 0 or 1, or p₁ is 1.
- **repeat participants**: adults who took part in any activity in at least
  :data:`REPEAT_MONTHS` of the last 12 months of the run.

Every statistic is NaN where it is undefined (a run shorter than one cycle year has no annual
turnout; nobody repeating has no repeat ratio); nothing here raises for it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim import fund
from sim.population import ELDER, YOUTH
from sim.schema import Label

if TYPE_CHECKING:
    from sim.model import CoGovModel
    from sim.scenario import Scenario

REPEAT_MONTHS = 6
"""A repeat participant took part in at least this many of the last 12 months."""
PER = 10_000
"""Organizations are counted per this many adults."""
GROUPS = ("all", "youth", "elder", "party", "nonparty")
"""Groups of the annual deliberation turnout (youth 18–34, elders 60+; MODEL.md §2)."""


@dataclass(frozen=True)
class Statistic:
    """A named derived statistic: ``unit``, ``value_range`` (closed; an observed value outside
    it is refused by sim.targets), ``label`` (zh/en), ``definition`` (words) and
    ``min_months``, the shortest run in which it is defined (12 for a yearly statistic: a
    target on it over a shorter run is refused by sim.targets, as it would always be NaN)."""

    name: str
    unit: str
    value_range: tuple[float, float]
    label: Label
    definition: str
    min_months: int = 1


SHARE = (0.0, 1.0)
POSITIVE = (0.0, math.inf)


def _stat(name: str, unit: str, value_range: tuple[float, float], zh: str, en: str,
          definition: str) -> Statistic:
    """A statistic; one whose definition reads over "complete cycle years" needs a year."""
    yearly = "complete cycle years" in definition or name.startswith("deliberation_odds")
    return Statistic(name, unit, value_range, Label(zh, en), definition,
                     min_months=12 if yearly else 1)


_GROUP_WORDS = {"all": ("全体", "all adults"), "youth": ("青年", "youth 18–34"),
                "elder": ("老年", "elders 60+"), "party": ("党员", "party members"),
                "nonparty": ("非党员", "non-members")}

STATISTICS: dict[str, Statistic] = {s.name: s for s in (
    *(_stat(f"deliberation_turnout_{g}", "share of the group in [0,1]", SHARE,
            f"年度议事参与率（{zh}）", f"annual deliberation turnout, {en}",
            f"share of {en} living there at the end of a cycle year who deliberated at least "
            "once in it (months 1–3 of the fund cycle; a newcomer counted from arrival), mean "
            "over the run's complete cycle years")
      for g, (zh, en) in _GROUP_WORDS.items()),
    _stat("deliberation_odds_elder_youth", "odds ratio", POSITIVE,
          "年度议事参与比值比（老年对青年）", "odds ratio of annual deliberation turnout, elders "
          "vs youth", "[p₁/(1 − p₁)] ÷ [p₀/(1 − p₀)] with p₁, p₀ the annual deliberation "
          "turnouts of elders (60+) and youth (18–34); NaN if p₀ ∈ {0, 1} or p₁ = 1"),
    _stat("deliberation_odds_party_nonparty", "odds ratio", POSITIVE,
          "年度议事参与比值比（党员对非党员）", "odds ratio of annual deliberation turnout, party "
          "members vs others", "[p₁/(1 − p₁)] ÷ [p₀/(1 − p₀)] with p₁, p₀ the annual "
          "deliberation turnouts of party members and of non-members; NaN if p₀ ∈ {0, 1} or "
          "p₁ = 1"),
    _stat("volunteer_monthly", "share of adults in [0,1]", SHARE, "月度志愿参与率",
          "volunteered this month", "share of adults who volunteered in a month, mean over "
          "every month of the run"),
    _stat("volunteer_annual", "share of adults in [0,1]", SHARE, "年度至少志愿一次的比例",
          "volunteered at least once a year", "share of adults living there at the end of a "
          "cycle year who volunteered at least once in it (a newcomer counted from arrival), "
          "mean over the run's complete cycle years"),
    _stat("no_neighbour_tie", "share of adults in [0,1]", SHARE, "与楼内邻居无联系的比例",
          "no tie to a neighbour", "share of adults with no tie to an adult of another "
          "household in their building, at the start of the run (the base network)"),
    _stat("orgs_per_10k_start", "organizations per 10,000 adults", POSITIVE,
          "每万人专业社会组织数（期初）", "professional organizations per 10,000, at start",
          "professional social organizations (zombie or not) per 10,000 adults at month 0"),
    _stat("orgs_per_10k_end", "organizations per 10,000 adults", POSITIVE,
          "每万人活跃社会组织数（期末）", "active organizations per 10,000, at the end",
          "professional social organizations that are not zombies, per 10,000 adults, at the "
          "last month"),
    _stat("zombies_per_10k_end", "organizations per 10,000 adults", POSITIVE,
          "每万人僵尸社会组织数（期末）", "zombie organizations per 10,000, at the end",
          "zombie professional social organizations per 10,000 adults at the last month"),
    _stat("registered_orgs_per_10k_end", "organizations per 10,000 adults", POSITIVE,
          "每万人登记社会组织数（期末）", "registered organizations per 10,000, at the end",
          "professional social organizations, active or zombie (what a register counts), per "
          "10,000 adults at the last month"),
    _stat("projects_per_community_year", "projects per community per year", POSITIVE,
          "每社区每年完成的资金项目数", "fund projects per community per year",
          "fund projects delivered over the run ÷ communities ÷ years (months ÷ 12)"),
    _stat("repeat_share", "share of adults in [0,1]", SHARE, "重复参与者比例",
          "share of repeat participants", f"share of adults who took part in at least "
          f"{REPEAT_MONTHS} of the last 12 months (since arriving, for a newcomer)"),
    _stat("repeat_spirit_ratio", "ratio", POSITIVE, "重复参与者公共精神的变化",
          "repeat participants' public spirit, end ÷ start", "mean public spirit of repeat "
          "participants at the last month ÷ the mean of their own baseline public spirit; NaN "
          "if nobody repeats"),
    _stat("repeat_spirit_min", "public spirit in [0,1]", SHARE, "重复参与者公共精神最低值",
          "lowest public spirit among repeat participants", "the smallest public spirit of a "
          "repeat participant at the last month; NaN if nobody repeats"),
    _stat("public_spirit_ratio", "ratio", POSITIVE, "公共精神（期末÷期初）",
          "public spirit, end ÷ start", "mean public spirit of all adults at the last month ÷ "
          "the mean of their baseline public spirit"),
    _stat("party_share", "share of adults in [0,1]", SHARE, "党员占成年人比例",
          "party members, share of adults", "share of adults who are party members at the "
          "start (an input: population.party_share)"),
    _stat("party_elder_share", "share of party members in [0,1]", SHARE, "党员中老年人比例",
          "elders among party members", "share of party members aged 60+ at the start (an "
          "input: population.party_elder_fraction)"),
)}
"""Every named derived statistic, by name."""


def odds_ratio(p1: float, p0: float) -> float:
    """[p1/(1 − p1)] ÷ [p0/(1 − p0)]: turnout of one group against another (shares in [0, 1]);
    NaN where it is undefined or infinite (p0 = 0 or a share of 1)."""
    if not (0.0 < p0 < 1.0) or p1 >= 1.0 or not math.isfinite(p1):
        return float("nan")
    return (p1 / (1.0 - p1)) / (p0 / (1.0 - p0))


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


class Recorder:
    """Watches one run of a :class:`~sim.model.CoGovModel`: build it on the model before the
    first month, call :meth:`observe` after every ``model.step()``, then :meth:`result`.

    Also keeps the yearly trajectories ``spirit_y<k>`` (mean public spirit ÷ mean baseline
    public spirit at the end of cycle year k) and ``participation_y<k>`` (share of adults who
    took part in any activity, mean over the 12 months of year k), which :meth:`result` returns
    beside the named statistics."""

    def __init__(self, model: CoGovModel):
        res = self.residents = model.residents
        self.model = model
        n = len(res.party)
        self.out: dict[str, float] = {
            "party_share": float(res.party.mean()),
            "party_elder_share": float((res.party & (res.age_group == ELDER)).sum()
                                       / max(res.party.sum(), 1)),
            "no_neighbour_tie": no_neighbour_tie(model),
            "orgs_per_10k_start": sum(organizations_per_10k(model)),
        }
        self.annual_delib: dict[str, list[float]] = {g: [] for g in GROUPS}
        self.annual_vol: list[float] = []
        self.monthly_vol: list[float] = []
        self.monthly_any: list[float] = []
        self.took_months = np.zeros((12, n), dtype=bool)
        self.ever_delib = np.zeros(n, dtype=bool)
        self.ever_vol = np.zeros(n, dtype=bool)
        self.delivered = 0.0

    def groups(self) -> dict[str, np.ndarray]:
        """The groups of :data:`GROUPS` among the residents living here now."""
        res = self.residents
        return {"all": np.ones(len(res.party), dtype=bool), "youth": res.age_group == YOUTH,
                "elder": res.age_group == ELDER, "party": res.party.copy(),
                "nonparty": ~res.party}

    def observe(self) -> None:
        """Record the month the model has just simulated."""
        from sim.participation import DELIBERATE, VOLUNTEER

        model, res = self.model, self.residents
        moved = model.moved  # their slots hold newcomers now: forget the leavers' acts
        self.ever_delib[moved] = False
        self.ever_vol[moved] = False
        self.took_months[:, moved] = False
        took = res.took
        self.ever_delib |= took[:, DELIBERATE]
        self.ever_vol |= took[:, VOLUNTEER]
        self.monthly_vol.append(took[:, VOLUNTEER].mean())
        self.monthly_any.append(res.took_any.mean())
        self.took_months[(model.month - 1) % 12] = res.took_any
        self.delivered += model.current["projects_delivered"]
        if model.month % fund.CYCLE_MONTHS == 0:  # a fund cycle ends
            for g, mask in self.groups().items():
                size = np.count_nonzero(mask)
                self.annual_delib[g].append(np.count_nonzero(self.ever_delib & mask) / size
                                            if size else float("nan"))
            self.annual_vol.append(self.ever_vol.mean())
            year = model.month // fund.CYCLE_MONTHS
            self.out[f"spirit_y{year}"] = float(res.public_spirit.mean()
                                                / res.baseline_public_spirit.mean())
            self.out[f"participation_y{year}"] = float(np.mean(self.monthly_any[-12:]))
            self.ever_delib[:] = False
            self.ever_vol[:] = False

    def result(self) -> dict[str, float]:
        """Every statistic of :data:`STATISTICS` (and the yearly trajectories) of the run so
        far; NaN where undefined."""
        model, res, out = self.model, self.residents, dict(self.out)
        for g in GROUPS:
            out[f"deliberation_turnout_{g}"] = _mean(self.annual_delib[g])
        out["deliberation_odds_elder_youth"] = odds_ratio(out["deliberation_turnout_elder"],
                                                          out["deliberation_turnout_youth"])
        out["deliberation_odds_party_nonparty"] = odds_ratio(
            out["deliberation_turnout_party"], out["deliberation_turnout_nonparty"])
        out["volunteer_monthly"] = _mean(self.monthly_vol)
        out["volunteer_annual"] = _mean(self.annual_vol)
        active, zombie = organizations_per_10k(model)
        out["orgs_per_10k_end"], out["zombies_per_10k_end"] = active, zombie
        out["registered_orgs_per_10k_end"] = active + zombie
        years = model.month / 12
        out["projects_per_community_year"] = (self.delivered / model.layout.n_communities / years
                                              if years else float("nan"))
        repeat = self.took_months.sum(axis=0) >= REPEAT_MONTHS
        out["repeat_share"] = float(repeat.mean())
        if repeat.any():
            out["repeat_spirit_ratio"] = float(res.public_spirit[repeat].mean()
                                               / res.baseline_public_spirit[repeat].mean())
            out["repeat_spirit_min"] = float(res.public_spirit[repeat].min())
        else:
            out["repeat_spirit_ratio"] = out["repeat_spirit_min"] = float("nan")
        out["public_spirit_ratio"] = float(res.public_spirit.mean()
                                           / res.baseline_public_spirit.mean())
        return out


def organizations_per_10k(model: CoGovModel) -> tuple[float, float]:
    """(active, zombie) professional social organizations per 10,000 adults, now."""
    per = PER / model.layout.n_residents
    pro = [o for o in model.organizations if o.kind == "professional"]
    return (sum(not o.zombie for o in pro) * per, sum(o.zombie for o in pro) * per)


def no_neighbour_tie(model: CoGovModel) -> float:
    """Share of adults with no tie to an adult of another household in their building."""
    lay = model.layout
    ties = model.network.matrix.tocoo()
    near = (lay.building[ties.row] == lay.building[ties.col]) & (
        lay.household[ties.row] != lay.household[ties.col])
    has = np.zeros(lay.n_residents, dtype=bool)
    has[ties.row[near]] = True
    return float(1.0 - has.mean())


def measure(scenario: Scenario, replicate: int = 0) -> dict[str, float]:
    """Run replicate ``replicate`` of ``scenario`` (seeded as ``cogov run`` seeds it:
    ``sim.runner.make_model``) month by month; return its summary metrics
    (``sim.metrics.summary_names``) and every derived statistic (:data:`STATISTICS`, plus the
    yearly trajectories of :class:`Recorder`)."""
    from sim.runner import make_model, release  # the model and runner: heavy, so not at import

    model = make_model(scenario, replicate)
    try:
        recorder = Recorder(model)
        while model.running:
            model.step()
            recorder.observe()
        return {**model.summary(), **recorder.result()}
    finally:
        release(model)


def names() -> list[str]:
    """Every statistic a targets file may name: the summary metrics, then :data:`STATISTICS`."""
    from sim import metrics

    return [*metrics.summary_names(), *STATISTICS]


def range_of(name: str) -> tuple[float, float]:
    """The range of a summary metric or a named statistic."""
    from sim import metrics

    return STATISTICS[name].value_range if name in STATISTICS else metrics.range_of(name)


def finite_or_nan(values: Mapping[str, float]) -> dict[str, float]:
    """``values`` with every non-finite number (an infinite ratio) as NaN: undefined."""
    return {k: (float(v) if math.isfinite(float(v)) else float("nan")) for k, v in values.items()}

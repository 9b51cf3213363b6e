"""The scenario: typed, validated, frozen configuration (MODEL.md §5–6, INTERFACE.md "Files").

Every default of the model lives here, once, with its unit, range and source in the field
description. Scenario files are YAML; they may ``extends:`` another file, and any key can be
overridden from the command line (``--set policy.devolution=0.8``). Problems are reported with the
file, the line and the key path: ``scenarios/x.yaml:14 policy.devolution: must be between 0 and 1,
got 1.5``.

Seed file names (``seed 000`` …) refer to ``shared/seeds/``; see docs/ODD.md for the full table.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from sim.errors import ScenarioError

CATEGORIES = ("elder_care", "childcare", "environment", "safety", "culture", "facilities")
"""The K = 6 project categories of MODEL.md §2 (needs simplex)."""

ACTIVITIES = ("deliberate", "volunteer", "monitor")
"""议事, 志愿, 监督 (MODEL.md §2, took_part[a])."""

AGE_GROUPS = ("youth", "adult", "elder")

Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


@dataclass(frozen=True)
class ActiveWhen:
    """Field metadata: the key acts on the model only while the scenario key ``switch`` is one
    of ``values`` (or, for a number, above ``above``); otherwise any value of it is inert.
    Declared beside the field it qualifies (``Annotated[float, ActiveWhen(...)]``); read by
    :func:`dependencies`, :func:`inert_settings` and the experiment checks."""

    switch: str
    values: tuple[Any, ...] = ()
    above: float | None = None

    def __init__(self, switch: str, *values: Any, above: float | None = None):
        object.__setattr__(self, "switch", switch)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "above", above)

    def on(self, value: Any) -> bool:
        """Whether the switch's ``value`` lets the key act."""
        if self.above is not None:
            return value > self.above
        return value in self.values

    def condition(self) -> str:
        """The condition in words, e.g. ``policy.incentive.scheme is points``."""
        if self.above is not None:
            return f"{self.switch} > {self.above:g}"
        shown = [_yaml_word(v) for v in self.values]
        return f"{self.switch} is {' or '.join(shown)}"


def _yaml_word(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class _Config(BaseModel):
    """Base: unknown keys are errors, non-finite numbers (.inf, .nan) are refused, instances are
    immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)


# ----------------------------------------------------------------------------------- structure
class Structure(_Config):
    """District → street offices → communities → grids → buildings (MODEL.md §2)."""

    street_offices: int = Field(
        1, ge=1, le=1000, description="street offices (街道) in the district"
    )
    communities_per_street: int = Field(
        1, ge=1, le=1000, description="communities (社区) per street office"
    )
    residents_per_community: int = Field(
        2000, ge=20, le=200_000,
        description="adult residents per community; communities have 1,000–3,000 households "
        "(provincial standards)",
    )
    adults_per_household: float = Field(
        2.0, ge=1.0, le=6.0, description="adults per household; households = residents / this"
    )
    households_per_building: int = Field(
        40, ge=1, le=1000, description="households per building/yard (院落)"
    )
    building_tie_prob: Share = Field(
        0.016, description="p_building: chance two adults of one building know each other; "
        "(1 − p)^79 ≈ 28% of adults then have no tie in their building (27.5% almost never "
        "talk with neighbours, Shanghai Urban Neighbourhood Survey 2017); MODEL.md §2",
    )
    small_world_degree: int = Field(
        4, ge=0, le=50, description="k: mean degree of the Watts–Strogatz layer (even); MODEL.md §2"
    )
    small_world_rewiring: Share = Field(
        0.1, description="beta: Watts–Strogatz rewiring probability; the ring runs over the "
        "community's adults in random order (acquaintances beyond the building); MODEL.md §2"
    )
    community_workers_per_10k: float = Field(
        18.0, ge=0.0, le=500.0,
        description="residents' committee workers per 10,000 residents (provincial standard ≥18)",
    )
    hours_per_worker: float = Field(
        160.0, ge=0.0, le=400.0, description="working hours per committee worker per month"
    )
    street_staff_hours_per_community: float = Field(
        240.0, ge=0.0, description="street-office service staff hours per community per month "
        "(staff_hours of MODEL.md §7.7)",
    )
    social_orgs_per_10k: float = Field(
        6.3, ge=0.0, le=100.0,
        description="professional social organizations per 10,000 residents at start "
        "(6.3 nationally 2022, Blue book 2023; Haicang ≈7, seed 003)",
    )

    @field_validator("small_world_degree")
    @classmethod
    def _even_degree(cls, k: int) -> int:
        if k % 2:
            raise ValueError(f"must be even (k/2 neighbours on each side), got {k}")
        return k


# ---------------------------------------------------------------------------------- population
class Beta(_Config):
    """A Beta(a, b) distribution for an attitude in [0, 1]."""

    a: float = Field(gt=0.0, le=1000.0, description="first shape parameter")
    b: float = Field(gt=0.0, le=1000.0, description="second shape parameter")


class ByAge(_Config):
    """One number per age group (youth 18–34, adult 35–59, elder 60+)."""

    youth: float = Field(ge=0.0)
    adult: float = Field(ge=0.0)
    elder: float = Field(ge=0.0)

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.youth, self.adult, self.elder)


class ShareByAge(ByAge):
    youth: Share
    adult: Share
    elder: Share


class ByCategory(_Config):
    """One number per project category (MODEL.md §2, K = 6)."""

    elder_care: float = Field(gt=0.0)
    childcare: float = Field(gt=0.0)
    environment: float = Field(gt=0.0)
    safety: float = Field(gt=0.0)
    culture: float = Field(gt=0.0)
    facilities: float = Field(gt=0.0)

    def as_tuple(self) -> tuple[float, ...]:
        return tuple(getattr(self, c) for c in CATEGORIES)


class NeedsPrior(_Config):
    """Dirichlet concentration of needs by age group (MODEL.md §2)."""

    youth: ByCategory = ByCategory(
        elder_care=0.5, childcare=1.5, environment=1.5, safety=1.2, culture=1.5, facilities=0.8
    )
    adult: ByCategory = ByCategory(
        elder_care=1.5, childcare=2.0, environment=1.2, safety=1.2, culture=0.6, facilities=0.8
    )
    elder: ByCategory = ByCategory(
        elder_care=3.0, childcare=0.8, environment=1.0, safety=1.5, culture=1.2, facilities=0.8
    )


class Population(_Config):
    """Who lives there and their starting attitudes (MODEL.md §2 Resident table)."""

    migrant_share: Share = Field(
        0.3, description="share of adults who are migrants (流动人口); Haicang 16.47 of 29.49 "
        "(10k) = 0.56, seed 003",
    )
    party_share: Share = Field(
        0.08, description="share of adults who are party members (~7% of population, party "
        "statistics bulletin 2023; Chenghua, seed 004)",
    )
    party_elder_fraction: Share = Field(
        0.28, description="share of party members aged ≥60 (28% aged ≥61, bulletin 2023)"
    )
    age_shares: ShareByAge = Field(
        ShareByAge(youth=0.3, adult=0.45, elder=0.25), description="adults by age group"
    )
    employed: ShareByAge = Field(
        ShareByAge(youth=0.8, adult=0.8, elder=0.1), description="share employed by age group"
    )
    care_duty: ShareByAge = Field(
        ShareByAge(youth=0.1, adult=0.3, elder=0.3),
        description="share with care duties (children, grandchildren, frail kin) by age group",
    )
    public_spirit: Beta = Field(Beta(a=2, b=3), description="P (公共精神) of non-party adults")
    public_spirit_party: Beta = Field(Beta(a=4, b=2), description="P of party members")
    efficacy: Beta = Field(Beta(a=2, b=4), description="E (能力), perceived capacity")
    trust: Beta = Field(Beta(a=3, b=3), description="T (公信力), trust in community/street office")
    attachment_local: Beta = Field(Beta(a=3, b=2), description="A (归属感) of locals")
    attachment_migrant: Beta = Field(Beta(a=2, b=3), description="A of migrants")
    dependency: Share = Field(0.3, description="D (靠等要) at start, all residents")
    propensity_sd: float = Field(
        1.5, ge=0.0, le=5.0,
        description="σ_u: standard deviation of each adult's persistent inclination to take part "
        "(logit units; time, temperament: what the attitudes leave out). It concentrates "
        "participation in the same people, so far fewer volunteer in a year than the 19.7–23% "
        "registered (press reports of city statistics)",
    )
    satisfaction: Share = Field(
        0.25, description="S with community services at start: near the pre-reform steady state "
        "of the default model (≈0.23; MODEL.md: 0.5), so satisfaction gains, and "
        "yuan_per_satisfaction, are measured from rest rather than from an arbitrary start",
    )
    needs_prior: NeedsPrior = Field(NeedsPrior(), description="Dirichlet prior of needs by age")

    @model_validator(mode="after")
    def _age_shares_sum_to_one(self) -> Population:
        total = sum(self.age_shares.as_tuple())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"age_shares must add up to 1, got {total:g}")
        return self


# ------------------------------------------------------------------------------------ behavior
class ByActivity(_Config):
    deliberate: float
    volunteer: float
    monitor: float

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.deliberate, self.volunteer, self.monitor)


class Cost(_Config):
    """Time cost of taking part, in logit units (MODEL.md §7.1 'cost')."""

    youth: NonNegative = Field(
        2.6, description="base cost for youth (study, careers, little free time); with the "
        "employment cost it puts the elder/youth odds ratio of annual council turnout near the "
        "election anchor (77.7% vs 13.8%: odds ratio ≈ 22, Shanghai social survey; measured in "
        "docs/ODD.md §9.2)",
    )
    adult: NonNegative = Field(1.1, description="base cost for adults 35–59")
    elder: NonNegative = Field(0.0, description="base cost for elders (most free time)")
    employed: NonNegative = Field(0.8, description="added cost of being employed")
    migrant: NonNegative = Field(0.6, description="added cost for migrants (shift work, tenure)")
    care_duty: NonNegative = Field(0.5, description="added cost of care duties")
    dual_registration_relief: Annotated[
        NonNegative, ActiveWhen("policy.party.dual_registration", True)
    ] = Field(
        0.6, description="cost cut for employed party members under 双报到 (seed 001)"
    )


class Behavior(_Config):
    """Behaviour coefficients (MODEL.md §7). Logit coefficients are per unit of the variable."""

    # 7.1 participation logit
    alpha: ByActivity = Field(
        ByActivity(deliberate=-5.9, volunteer=-6.15, monitor=-7.4),
        description="α_a: intercepts of the participation logit per activity",
    )
    beta_public_spirit: float = Field(2.0, description="β_P")
    beta_efficacy: float = Field(1.5, description="β_E")
    beta_trust: float = Field(1.0, description="β_T")
    beta_stake: float = Field(2.5, description="β_stake")
    beta_network: float = Field(2.0, description="β_N: weight of neighbours' last-month share")
    beta_recruit: float = Field(0.9, description="β_R: contacted by a party member or grid worker")
    beta_incentive: Annotated[
        float, ActiveWhen("policy.incentive.scheme", "points", "time_bank", "recognition")
    ] = Field(
        0.6, description="β_I: per unit incentive value")
    beta_cost: float = Field(1.0, description="β_C")
    beta_dependency: float = Field(1.5, description="β_D")
    beta_party: float = Field(0.3, description="β_party: vanguard bonus of party members")
    beta_self_org: float = Field(0.8, description="bonus for members of a self-organization")
    beta_habit: float = Field(
        1.5, description="weight of engagement (memory of one's own recent participation): "
        "the same people come back, so registered volunteers (~20%) far outnumber the active",
    )
    cost: Cost = Field(Cost(), description="time-cost components")
    stake_fund_scale: float = Field(
        100.0, gt=0.0, description="f0, yuan per household per year in log(1 + fund/f0)"
    )
    incentive_yuan_scale: Annotated[float, ActiveWhen("policy.incentive.scheme", "points")] = Field(
        0.2, gt=0.0, description="yuan0: I = log(1 + yuan per activity / yuan0) under points"
    )
    recruit_memory: int = Field(2, ge=1, le=24, description="months a contact keeps working")
    # 7.1 organising capacity gate
    hours_per_admin_item: NonNegative = Field(
        0.7, description="committee hours per admin item per month (537 items ≈ 80% of hours)"
    )
    deliberation_hours_per_resident: NonNegative = Field(
        0.2, description="committee hours needed per resident in a deliberation month"
    )
    # 7.2 attitudes
    efficacy_learning: Share = Field(0.3, description="η_E at evaluation")
    efficacy_ignored_loss: Share = Field(
        0.3, description="share of η_E·E lost by voters who heard that no project was delivered "
        "in their top-need category"
    )
    efficacy_relax: Share = Field(0.02, description="monthly relaxation of E toward baseline")
    training_efficacy_gain: Annotated[Share, ActiveWhen("policy.training_rate", above=0)] = Field(
        0.2, description="Δ_train: E += Δ_train·(1 − E)")
    trust_learning: Share = Field(0.05, description="η_T per month")
    trust_responsiveness_weight: Share = Field(
        0.5, description="weight of street-office responsiveness in performance (rest: quality)"
    )
    trust_leak_hit: Share = Field(0.3, description="trust lost per unit leaked share, if exposed")
    public_spirit_reinforcement: Share = Field(
        0.01, description="P += η·(1 − P) per month of taking part (identity)"
    )
    public_spirit_fatigue: Share = Field(
        0.02, description="P −= η·P per month of taking part unrecognised: contributions decline "
        "with repetition, never to zero (Ledyard 1995; Fischbacher & Gächter 2010)",
    )
    public_spirit_party_example: Share = Field(
        0.02, description="P += η·share of neighbours who are active party members·(1 − P)"
    )
    public_spirit_relax: Share = Field(0.01, description="monthly relaxation of P toward baseline")
    crowding_out: Annotated[Share, ActiveWhen("policy.incentive.scheme", "points")] = Field(
        0.04, description="κ_crowd: P −= κ·P/(1 + I) per paid month under points (Frey; "
        "Gneezy & Rustichini 2000)",
    )
    crowding_in: Annotated[Share, ActiveWhen("policy.incentive.scheme", "time_bank")] = Field(
        0.01, description="P += κ_in·(1 − P) per month under time_bank")
    dependency_topdown: Share = Field(
        0.1, description="D += η·(1 − council share of committed cost)·log(1 + (spent + "
        "leaked) per household/f0)·(1 − D) per year: 给与式治理 breeds 靠等要 (seed 003)"
    )
    dependency_participation: Share = Field(
        0.03, description="D −= η·D per month of taking part (靠等要 ↔ co-creation)"
    )
    attachment_learning: Share = Field(0.03, description="η_A per month")
    attachment_tie_weight: Share = Field(0.3, description="weight of ties in attachment target")
    attachment_participation_weight: Share = Field(
        0.3, description="weight of taking part in attachment target"
    )
    attachment_degree_ref: float = Field(8.0, gt=0.0, description="degree at which ties saturate")
    satisfaction_learning: Share = Field(0.1, description="η_S per month")
    satisfaction_needs_weight: Share = Field(
        0.4, description="weight of needs met in satisfaction target (rest: performance)"
    )
    engagement_memory: Share = Field(
        0.2, description="engagement ← (1 − m)·engagement + m·took_any, monthly"
    )
    # 7.3–7.5 fund cycle
    project_cost: float = Field(
        100_000.0, gt=0.0, description="mean project cost, yuan (1.4亿 / 1,297 projects, seed 000)"
    )
    project_cost_cv: float = Field(
        0.5, ge=0.0, le=2.0, description="coefficient of variation of project cost (lognormal)"
    )
    yuan_per_household_served: float = Field(
        100.0, gt=0.0, description="yuan a project needs per household to serve a category's need "
        "for a year; coverage = min(1, cost / (households · this))",
    )
    candidates_per_category: int = Field(3, ge=1, le=50, description="candidate projects per cycle")
    override_propensity: Share = Field(
        0.5, description="ω: override = ω·(1 − σ), the street office replacing council choices"
    )
    office_preference: ByCategory = Field(
        ByCategory(
            elder_care=0.3, childcare=0.3, environment=2.0, safety=0.5, culture=2.0, facilities=4.0
        ),
        description="street office's project preference weights (showcase projects, seed 002)",
    )
    base_leakage: Share = Field(0.25, description="leaked share of spending with no monitoring")
    monitor_full_share: float = Field(
        0.03, gt=0.0, le=1.0, description="share of residents monitoring that gives full oversight"
    )
    office_capacity_base: Share = Field(
        0.4, description="street office delivery quality at σ = 0 (all effort on investment)"
    )
    office_capacity_per_focus: Share = Field(
        0.4, description="delivery quality the street office gains from σ = 0 to σ = 1: "
        "capacity = base + this · σ (归位 improves service, seed 002)",
    )
    quality_without_projects: Share = Field(
        0.3, description="service quality residents perceive in a cycle with no delivered "
        "project (performance, §7.2 trust)",
    )
    hours_per_demand: float = Field(4.0, gt=0.0, description="street-office hours per demand")
    demand_per_contact: Share = Field(0.15, description="chance a contact registers a demand")
    demand_per_participant: Share = Field(
        0.2, description="chance a deliberating resident registers a demand"
    )
    sigma_accountability: Annotated[Share, ActiveWhen("policy.resident_evaluation", True)] = Field(
        0.3, description="σ += η·(1 − S̄)·(1 − σ) per year under resident evaluation"
    )
    donation_yuan_per_month: Annotated[NonNegative, ActiveWhen("policy.foundation", True)] = Field(
        2.0, description="monthly donation, yuan, of a resident with T·A = 1 (foundation)"
    )
    foundation_payout: Annotated[Share, ActiveWhen("policy.foundation", True)] = Field(
        0.5, description="share of the foundation balance granted to each cycle's budget"
    )
    # 7.6 network
    tie_formation: Share = Field(
        0.0003, description="p_tie: chance two co-participants of a month form a tie"
    )
    tie_decay: Share = Field(0.03, description="monthly chance an unused new tie dissolves")
    # 7.8 organizations
    capacity_learning: Share = Field(0.05, description="η_κ per contract month")
    capacity_decay: Share = Field(0.01, description="κ lost per idle month")
    capacity_training_gain: Annotated[Share, ActiveWhen("policy.training_rate", above=0)] = Field(
        0.1, description="κ gained per unit training rate/yr")
    reputation_learning: Share = Field(0.3, description="η_rep at evaluation")
    zombie_after: int = Field(24, ge=1, le=600, description="idle months before an org is a zombie")
    self_org_min: int = Field(4, ge=2, le=500, description="engaged residents to form a self-org")
    self_org_formation: Share = Field(
        0.05, description="monthly chance a qualifying building group forms a self-org"
    )
    self_org_engagement: Share = Field(
        0.5, description="engagement above which an unaffiliated resident counts as engaged "
        "for forming a self-organization",
    )
    self_org_dissolve_engagement: Share = Field(
        0.15, description="a self-org dissolves when its members' mean engagement falls below"
    )
    second_specialty_share: Share = Field(
        0.5, description="share of new professional organizations with a second specialty"
    )
    initial_reputation: Share = Field(0.5, description="reputation of a new organization")
    initial_responsiveness: Share = Field(
        0.5, description="street-office responsiveness before any demand is registered"
    )
    professional_capacity: Beta = Field(Beta(a=5, b=3), description="κ of new professional orgs")
    self_org_capacity: Share = Field(0.3, description="κ of a new self-organization")


# -------------------------------------------------------------------------------------- policy
class Incentive(_Config):
    """Incentive scheme (MODEL.md §6; Chenghua 100 points = 1 yuan, seed 004)."""

    scheme: Literal["none", "points", "time_bank", "recognition"] = Field(
        "none", description="none, points (积分), time_bank (时间银行), recognition (表彰)"
    )
    points_per_activity: Annotated[
        NonNegative, ActiveWhen("policy.incentive.scheme", "points")
    ] = Field(
        10.0, description="points per activity (Chenghua)")
    yuan_per_100_points: Annotated[
        NonNegative, ActiveWhen("policy.incentive.scheme", "points")
    ] = Field(
        1.0, description="yuan per 100 points (seed 004)")
    time_bank_value: Annotated[
        NonNegative, ActiveWhen("policy.incentive.scheme", "time_bank")
    ] = Field(
        0.6, description="incentive value of an hour banked (reciprocal credit), incentive units"
    )
    recognition_value: Annotated[
        NonNegative, ActiveWhen("policy.incentive.scheme", "recognition")
    ] = Field(
        0.3, description="incentive value of public honour (表彰), incentive units"
    )


class Grid(_Config):
    """Grid management (网格化, Haicang seed 003: 300–400 households, 1–2 workers, ≥60 visits)."""

    households_per_grid: int = Field(350, ge=10, le=5000, description="households per grid")
    workers_per_grid: int = Field(1, ge=0, le=20, description="grid workers per grid")
    visits_per_worker: Annotated[int, ActiveWhen("policy.grid.workers_per_grid", above=0)] = Field(
        60, ge=0, le=1000, description="household visits per month")
    migrant_priority: Annotated[
        NonNegative, ActiveWhen("policy.grid.workers_per_grid", above=0)
    ] = Field(
        2.0, description="extra visit weight of migrant households (floating-population "
        "registration, seed 003)",
    )
    resolve_share: Annotated[Share, ActiveWhen("policy.grid.workers_per_grid", above=0)] = Field(
        0.5, description="share of demands found on grid visits that the grid worker resolves "
        "on the spot (切实帮群众解决实事, seed 003); the rest go to the street office",
    )
    recent_contact_weight: Annotated[
        Share, ActiveWhen("policy.grid.workers_per_grid", above=0)
    ] = Field(
        0.2, description="visit weight of a household still counted as recruited at the start of "
        "the month (workers seek out the unreached: 主动走访, seed 003)",
    )


class Party(_Config):
    """Party-member vanguard action (党员联系户 seed 004; 双报到 seed 001)."""

    contacts_per_month: int = Field(
        6, ge=0, le=200,
        description="households each active party member contacts per month (党员联系户, seed 004)",
    )
    dual_registration: bool = Field(False, description="双报到: in-service members report home")


class ScheduledChange(_Config):
    """A policy change applied at the start of ``month`` (1-based)."""

    month: int = Field(ge=1, le=100_000)
    set: dict[str, Any] = Field(description="policy keys (dotted paths allowed) and new values")


class Policy(_Config):
    """The levers (MODEL.md §6). 还权 devolution, 赋能 empowerment, 归位 proper roles."""

    devolution: Share = Field(
        0.0, description="还权: share of the fund's project choices made by the council"
    )
    transparency: Share = Field(0.3, description="还权: chance a resident learns outcomes (公开)")
    fund_per_community: NonNegative = Field(
        0.0, description="赋能: community fund, yuan per community per year (≥200,000, seed 000)"
    )
    fund_growth: Annotated[
        float, Field(ge=0.0, le=1.0), ActiveWhen("policy.fund_per_community", above=0)
    ] = Field(
        0.0, description="yearly growth of the fund, share per year (逐年递增, seed 000)"
    )
    training_rate: Share = Field(0.0, description="赋能: share of residents trained per year")
    resident_evaluation: bool = Field(False, description="赋能: residents evaluate the office")
    purchase_share: Share = Field(
        0.0, description="赋能: share of projects contracted to social organizations (三社联动)"
    )
    service_focus: Share = Field(
        0.4, description="归位: σ, street office effort on public service (vs investment)"
    )
    admin_items: int = Field(
        537, ge=0, le=5000, description="归位: admin items pushed to each committee (537 → 69)"
    )
    incentive: Incentive = Field(Incentive(), description="incentive scheme")
    grid: Grid = Field(Grid(), description="grid outreach")
    party: Party = Field(Party(), description="party outreach")
    foundation: bool = Field(
        False, description="a community foundation collects donations (Chenghua 2019, seed 004)"
    )
    foundation_match: Annotated[Share, ActiveWhen("policy.foundation", True)] = Field(
        0.0, description="share of donations matched")
    supervision: bool = Field(False, description="zombie organizations cleared yearly")
    incubation_rate: NonNegative = Field(
        0.5, description="new professional orgs per 10,000 residents per year"
    )
    schedule: tuple[ScheduledChange, ...] = Field((), description="policy changes mid-run")

    @model_validator(mode="after")
    def _schedule_is_valid(self) -> Policy:
        policy, problems = self.model_copy(update={"schedule": ()}), []
        for i, change in enumerate(self.schedule):
            try:
                policy = apply_policy_changes(policy, change.set)
            except ValidationError as exc:
                for err in exc.errors():
                    key = ".".join(str(p) for p in err["loc"])
                    msg = _message(err, Policy, tuple(err["loc"]))
                    problems.append(f"schedule[{i}].set.{key}: {msg}")
            except ScenarioError as exc:
                problems.append(f"schedule[{i}].set.{exc.problems[0]}")
        if problems:
            raise ValueError("\n".join(problems))
        return self


# ------------------------------------------------------------------------------------ scenario
class Scenario(_Config):
    """A complete, validated scenario. Build with :meth:`load` or :meth:`from_dict`."""

    name: str = Field("unnamed", min_length=1)
    description: str = ""
    seed: int = Field(0, ge=0, le=2**63 - 1, description="master seed of the run")
    months: int = Field(60, ge=1, le=1200, description="horizon, months (五年 = 60)")
    structure: Structure = Structure()
    population: Population = Population()
    behavior: Behavior = Behavior()
    policy: Policy = Policy()

    # -- construction -------------------------------------------------------------------------
    @model_validator(mode="after")
    def _schedule_within_horizon(self) -> Scenario:
        late = [
            f"policy.schedule[{i}].month: month {change.month} is after the horizon "
            f"(months: {self.months}), so the change would never take effect; drop it or run "
            f"at least {change.month} months"
            for i, change in enumerate(self.policy.schedule) if change.month > self.months
        ]
        if late:
            raise ValueError("\n".join(late))
        return self

    @classmethod
    def load(cls, path: str | Path, overrides: Mapping[str, Any] | None = None,
             origin: str | Mapping[str, str] = "--set") -> Scenario:
        """Read a scenario YAML file (following ``extends:``), apply ``overrides`` (dotted key
        paths → values, e.g. from ``--set`` and ``--months``) and validate the result once, so
        that rules across keys (a scheduled change within ``months``) are judged on what will
        run. ``origin`` labels the overrides in messages (one label, or one per key path).
        Raises ScenarioError with every problem located (file:line or the override's label)."""
        return load_located(path, overrides, origin)[0]

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], where: dict | None = None, source: str = "<dict>"
    ) -> Scenario:
        """Validate a plain mapping; ``where`` maps key paths to (file, line) for messages."""
        data = dict(data)
        data.pop("extends", None)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(_locate(exc, cls, where or {}, source)) from None

    def with_overrides(self, overrides: Mapping[str, Any], origin: str = "--set") -> Scenario:
        """A copy with dotted key paths replaced, e.g. ``{"policy.devolution": 0.8}``."""
        data, where = _overridden(self.model_dump(mode="python"), {}, overrides, origin)
        return Scenario.from_dict(data, where=where, source=origin)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every resolved value (for manifests)."""
        return self.model_dump(mode="json")


def load_located(path: str | Path, overrides: Mapping[str, Any] | None = None,
                 origin: str | Mapping[str, str] = "--set") -> tuple[Scenario, dict]:
    """:meth:`Scenario.load`, also returning where each key was set: key path → (file, line),
    or (override label, None); for located warnings such as :func:`inert_settings`."""
    data, where = load_yaml_tree(Path(path))
    if overrides:
        data, where = _overridden(data, where, overrides, origin)
    return Scenario.from_dict(data, where=where, source=str(path)), where


def _overridden(data: dict, where: dict, overrides: Mapping[str, Any],
                origin: str | Mapping[str, str]) -> tuple[dict, dict]:
    """``data`` with dotted key paths replaced, and ``where`` pointing them at their origin."""
    data, where = copy.deepcopy(data), dict(where)
    for path, value in overrides.items():
        keys = tuple(path.split("."))
        _set_path(data, keys, value)
        label = origin if isinstance(origin, str) else origin.get(path, "--set")
        where[keys] = (f"{label} {path}", None)
    return data, where


def apply_policy_changes(policy: Policy, changes: Mapping[str, Any]) -> Policy:
    """Policy with ``changes`` (dotted paths or nested mappings) applied and re-validated."""
    data = policy.model_dump(mode="python")
    for path, value in changes.items():
        keys = tuple(str(path).split("."))
        if isinstance(value, Mapping) and isinstance(_get_path(data, keys), dict):
            for sub, sub_value in _flatten(value):
                _set_path(data, keys + sub, sub_value)
        else:
            _set_path(data, keys, value)
    return Policy.model_validate(data)


# ----------------------------------------------------------------------------- inert settings
@cache
def dependencies() -> dict[str, ActiveWhen]:
    """Key path → its :class:`ActiveWhen` for every scenario key that acts only under a switch
    (read from the fields' metadata, where each dependency is declared once)."""
    out: dict[str, ActiveWhen] = {}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for key, info in model.model_fields.items():
            ann = info.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, f"{prefix}{key}.")
            for meta in info.metadata:
                if isinstance(meta, ActiveWhen):
                    out[f"{prefix}{key}"] = meta

    walk(Scenario, "")
    return out


def switch_values(scenario: Scenario, switch: str) -> list[Any]:
    """The values the key ``switch`` takes during a run: at the start, then after each
    scheduled change in month order (policy keys only change by schedule)."""
    keys = tuple(switch.split("."))
    values = [_get_path(scenario.model_dump(mode="python"), keys)]
    if keys[0] == "policy":
        policy = scenario.policy.model_copy(update={"schedule": ()})
        for change in sorted(scenario.policy.schedule, key=lambda c: c.month):
            policy = apply_policy_changes(policy, change.set)
            values.append(_get_path(policy.model_dump(mode="python"), keys[1:]))
    return values


def inert_keys(scenario: Scenario) -> dict[str, ActiveWhen]:
    """Keys whose value cannot matter in ``scenario``: their switch is off at the start and no
    scheduled change turns it on."""
    return {key: dep for key, dep in dependencies().items()
            if not any(dep.on(value) for value in switch_values(scenario, dep.switch))}


def inert_settings(scenario: Scenario, where: Mapping | None = None,
                   source: str = "<scenario>") -> list[str]:
    """Warnings, one per key set to a non-default value that has no effect because its switch
    is off throughout the run: ``file:line key.path: warning: has no effect: ...``
    (``where`` as from :func:`load_yaml_tree`). Empty when every setting acts."""
    current, default = scenario.model_dump(mode="python"), _default_dump()
    warnings = []
    for key, dep in inert_keys(scenario).items():
        keys = tuple(key.split("."))
        if _get_path(current, keys) == _get_path(default, keys):
            continue
        state = _yaml_word(_get_path(current, tuple(dep.switch.split("."))))
        scheduled = " and no scheduled change turns it on" if scenario.policy.schedule else ""
        warnings.append(f"{_where(keys, where or {}, source)} {key}: warning: has no effect: it "
                        f"acts only when {dep.condition()}, and {dep.switch} is {state} here"
                        f"{scheduled}")
    return warnings


@cache
def _default_dump() -> dict[str, Any]:
    return Scenario().model_dump(mode="python")


# ------------------------------------------------------------------------------------- errors
def _locate(exc: ValidationError, cls: type[BaseModel], where: dict, source: str) -> list[str]:
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        for msg in _message(err, cls, loc).split("\n"):
            at = loc
            nested = _SCHEDULE_PROBLEM.match(msg)
            if nested:  # a scheduled change names its own key path: point at it
                section = ("policy",) if nested["section"] else ()
                at = (*loc, *section, "schedule", int(nested["index"]),
                      *nested["key"].split("."))
                msg = nested["msg"]
            problems.append(f"{_where(at, where, source)} {_dotted(at) or '(top level)'}: {msg}")
    return problems


_SCHEDULE_PROBLEM = re.compile(
    r"^(?P<section>policy\.)?schedule\[(?P<index>\d+)\]\.(?P<key>set\.[^:]+|month): (?P<msg>.*)$")


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _where(loc: tuple, where: dict, source: str) -> str:
    for n in range(len(loc), -1, -1):
        hit = where.get(tuple(loc[:n]))
        if hit:
            file, line = hit
            return f"{file}:{line}" if line else str(file)
    return source


def _message(err: dict, cls: type[BaseModel], loc: tuple) -> str:
    kind, given = err["type"], err.get("input")
    if kind == "extra_forbidden":
        options = _fields_at(cls, loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), options, n=1, cutoff=0.6)
        if hint:
            return f"unknown key '{loc[-1]}' (did you mean '{hint[0]}'?)"
        return f"unknown key '{loc[-1]}'; allowed: {', '.join(options)}"
    if kind == "missing":
        return "is required"
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        low, high = _bounds(cls, loc)
        if low is not None and high is not None:
            return f"must be between {low:g} and {high:g}, got {given!r}"
    msg = err["msg"]
    msg = msg.removeprefix("Value error, ")
    msg = msg[:1].lower() + msg[1:]
    if kind not in {"value_error", "assertion_error"} and not isinstance(given, dict | list):
        msg += f", got {given!r}"
    return msg


def _field_at(cls: type[BaseModel], loc: tuple):
    """The pydantic FieldInfo at ``loc`` inside model ``cls`` (None if not a model path)."""
    model, info = cls, None
    for part in loc:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return None
        info = model.model_fields[part]
        ann = info.annotation
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return info


def _fields_at(cls: type[BaseModel], loc: tuple) -> list[str]:
    info = _field_at(cls, loc) if loc else None
    model = cls if not loc else (info.annotation if info is not None else None)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _bounds(cls: type[BaseModel], loc: tuple) -> tuple[float | None, float | None]:
    info = _field_at(cls, loc)
    low = high = None
    for meta in getattr(info, "metadata", []) if info is not None else []:
        if isinstance(meta, annotated_types.Ge | annotated_types.Gt):
            low = getattr(meta, "ge", getattr(meta, "gt", None))
        if isinstance(meta, annotated_types.Le | annotated_types.Lt):
            high = getattr(meta, "le", getattr(meta, "lt", None))
    return low, high


# ------------------------------------------------------------------------------------- YAML
def load_yaml_tree(path: Path, _seen: tuple[Path, ...] = ()) -> tuple[dict, dict]:
    """Load ``path`` and everything it ``extends``; return (merged data, key path → (file, line)).

    Later files win; lists are replaced whole. ``extends`` paths are relative to the file.
    """
    path = Path(path)
    if path.resolve() in _seen:
        chain = " → ".join(str(p) for p in (*_seen, path.resolve()))
        raise ScenarioError(f"{path}: extends: cycle {chain}")
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        kind = ("nothing" if raw is None else "a list" if isinstance(raw, list)
                else f"a single value ({raw!r})")
        raise ScenarioError(f"{path}:1 (top level): must be a mapping of keys, got {kind}")
    where: dict = {}
    try:
        _record_lines(raw, (), path, where)
        data = _plain(raw)
    except RecursionError:
        raise ScenarioError(f"{path}: YAML: nested too deeply (or an alias refers to its own "
                            "anchor)") from None
    parent = data.pop("extends", None)
    if parent is None:
        return data, where
    if not isinstance(parent, str):
        line = where.get(("extends",), (None, 1))[1]
        raise ScenarioError(f"{path}:{line} extends: must be a path")
    base_path = (path.parent / parent)
    if not base_path.is_file():
        line = where.get(("extends",), (path, None))[1]
        what = "is a directory, not a file" if base_path.is_dir() else "file not found"
        raise ScenarioError(f"{path}:{line} extends: {what}: {base_path}")
    base, base_where = load_yaml_tree(base_path, (*_seen, path.resolve()))
    return _merge(base, data), {**base_where, **where}


def read_yaml(path: Path) -> Any:
    """Parse one YAML file with line information; syntax errors become ScenarioError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}") from None
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else "?"
        raise ScenarioError(f"{path}:{line} YAML syntax: {exc.problem}") from None
    except RecursionError:
        raise ScenarioError(f"{path}: YAML: nested too deeply") from None
    except Exception as exc:  # ruamel raises several unrelated classes for bad input
        raise ScenarioError(f"{path}: YAML: {exc}") from None


def _record_lines(node: Any, prefix: tuple, path: Path, where: dict, line: int = 1) -> None:
    """Key path → (file, line) for every key and item under ``node`` (``line``: the node's
    own line, used where YAML keeps none)."""
    if isinstance(node, CommentedMap):
        for key in node:
            here = _key_line(node, key) or line
            where[(*prefix, str(key))] = (str(path), here)
            _record_lines(node[key], (*prefix, str(key)), path, where, here)
    elif isinstance(node, CommentedSeq):
        for i, item in enumerate(node):
            position = node.lc.data.get(i) if isinstance(node.lc.data, dict) else None
            here = position[0] + 1 if position else line
            where[(*prefix, i)] = (str(path), here)
            _record_lines(item, (*prefix, i), path, where, here)


def _key_line(node: CommentedMap, key: Any, _depth: int = 0) -> int | None:
    """The 1-based line of ``key`` in ``node``, or in the mapping it was merged from
    (YAML merge keys ``<<: *anchor``); None if unknown."""
    position = node.lc.data.get(key) if isinstance(node.lc.data, dict) else None
    if position:
        return position[0] + 1
    if _depth < 100:
        for source in getattr(node, "merge", None) or ():
            if isinstance(source, CommentedMap) and key in source:
                return _key_line(source, key, _depth + 1)
    return None


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    for kind in (bool, int, float, str):  # ruamel's Scalar* subclasses become plain values
        if isinstance(node, kind):
            return kind(node)
    return node


def _merge(base: dict, top: dict) -> dict:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _flatten(mapping: Mapping, prefix: tuple = ()) -> Iterable[tuple[tuple, Any]]:
    for key, value in mapping.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, (*prefix, str(key)))
        else:
            yield (*prefix, str(key)), value


def _get_path(data: Any, keys: tuple) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _set_path(data: dict, keys: tuple, value: Any) -> None:
    for depth, key in enumerate(keys[:-1]):
        nxt = data.setdefault(key, {})
        if nxt is None:
            nxt = data[key] = {}
        if not isinstance(nxt, dict):
            where = ".".join(keys[: depth + 1])
            raise ScenarioError(f"{'.'.join(keys)}: '{where}' is a value, not a section")
        data = nxt
    data[keys[-1]] = value


def parse_assignments(items: Iterable[str], origin: str = "--set") -> dict[str, Any]:
    """Parse ``key.path=value`` strings; values are read as YAML scalars (0.8, true, points)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"{origin} {item}: expected key.path=value")
        try:
            value = YAML(typ="safe").load(text) if text.strip() else None
        except Exception:
            raise ScenarioError(f"{origin} {item}: cannot read value {text!r}") from None
        out[key.strip()] = value
    return out

"""CoGovModel: builds the district, runs the monthly schedule and observes it (MODEL.md §3, §5,
§8; ODD §3, §5, §8).

The model holds the world — the layout, the residents' arrays (``population.Residents``), each
community's state (``community.CommunityState``), the network, the street offices and the
social organizations (Mesa agents) — and ``step`` runs the phases of MODEL.md §3 in their fixed
order, each implemented in the module named for it: ``outreach``, ``participation``,
``fund_cycle`` (with ``street_office``'s yearly review of σ), ``demands``, ``organizations``,
``attitudes``, ``network`` and ``metrics`` (observation). All randomness comes from the model's
``rng`` through one child stream per submodel (spawned in a fixed order), so a policy that
changes how many draws one submodel makes leaves the others' streams alone: the same seed gives
the same residents and network in every scenario (common random numbers), and one (scenario,
rng) gives one run, bit for bit.

In the submodels ``coef`` is the scenario's behaviour coefficients (``Scenario.behavior``).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim import (
    attitudes,
    behavior,
    demands,
    district,
    fund,
    fund_cycle,
    incentives,
    metrics,
    mobility,
    outreach,
    participation,
    street_office,
)
from sim.agents import PartyMember, Resident, SelfOrganization, SocialOrganization, StreetOffice
from sim.community import CommunityState
from sim.fund import CommunityFund
from sim.network import Network, TieRules, adjacency, random_pairs_within_groups, small_world_pairs
from sim.organizations import Organizations
from sim.participation import DELIBERATE, MONITOR, VOLUNTEER  # noqa: F401  (public names)
from sim.population import (
    CommunityShares,
    Layout,
    build_layout,
    draw_residents,
    group_offsets,
)
from sim.scenario import Policy, Scenario, Structure, apply_policy_changes

STREAMS = ("population", "network", "outreach", "participation", "fund", "organizations",
           "attitudes", "growth", "mobility", "demands")


def replicate_rng(seed: int, replicate: int = 0) -> np.random.Generator:
    """The generator of replicate ``replicate`` under master ``seed``: equal to
    ``SeedSequence(seed).spawn(R)[replicate]`` for any R ≥ replicate + 1."""
    sequence = np.random.SeedSequence(seed, spawn_key=(replicate,))
    return np.random.Generator(np.random.PCG64(sequence))


def build_network(layout: Layout, structure: Structure, rng: np.random.Generator) -> Network:
    """Base ties (§7.6): building neighbours plus a small-world layer in each community."""
    building_start, building_size = group_offsets(layout.building,
                                                  int(layout.building.max()) + 1)
    bi, bj = random_pairs_within_groups(building_start, building_size,
                                        structure.building_tie_prob, rng)
    wi, wj = small_world_pairs(layout.community_start, layout.community_size,
                               structure.small_world_degree, structure.small_world_rewiring, rng)
    return Network(adjacency(layout.n_residents, np.concatenate([bi, wi]),
                             np.concatenate([bj, wj])))


def _report(model: CoGovModel, name: str) -> float:
    """DataCollector reporter (a named function, so it pickles across processes)."""
    return model.current[name]


class CoGovModel(mesa.Model):
    """Community co-governance: residents, party members, social organizations and street
    offices under the policies of a :class:`~sim.scenario.Scenario` (see docs/ODD.md).

    Args:
        scenario: the validated scenario (structure, population, behavior, policy).
        rng: a numpy Generator or seed; default ``replicate_rng(scenario.seed, 0)``, i.e.
            replicate 0 of ``cogov run``.

    Any other keyword argument is a TypeError: a misspelt lever must not pass silently.
    """

    def __init__(self, scenario: Scenario | None = None, rng: Any = None):
        scenario = scenario if scenario is not None else Scenario()
        if rng is None:
            rng = replicate_rng(scenario.seed, 0)
        super().__init__(rng=rng)
        self.scenario = scenario
        self.policy: Policy = scenario.policy
        self._pending: list[dict] = []
        self.streams = dict(zip(STREAMS, self.rng.spawn(len(STREAMS)), strict=True))
        coef, structure = scenario.behavior, scenario.structure

        self.layout = layout = build_layout(structure)
        self.community_settings = district.community_settings(scenario, layout.n_communities)
        self.shares = CommunityShares.of(scenario.population, self.community_settings,
                                         layout.n_communities)
        self.residents = draw_residents(layout, scenario.population, self.streams["population"],
                                        self.shares)
        self.network = build_network(layout, structure, self.streams["network"])
        self.tie_rules = TieRules(layout.community, layout.n_communities,
                                  coef.tie_formation, coef.tie_decay, coef.tie_decay_used)
        mobility.start(self.residents, layout, self.network, scenario.population.mobility,
                       self.streams["mobility"])
        self.moved = np.zeros(layout.n_residents, dtype=bool)
        self.communities = CommunityState.start(layout.n_communities, coef,
                                                self.streams["fund"])
        self.incentive_state = incentives.IncentiveState.start(layout.n_communities, coef)
        self.offices = [
            StreetOffice(self, street, np.flatnonzero(layout.street_of_community == street),
                         self.policy.service_focus)
            for street in range(len(layout.street_names))
        ]
        self.orgs = Organizations(self, self.residents, layout, self.streams["organizations"])
        self.orgs.incubate(structure.social_orgs_per_10k, coef)
        self._resident_agents: list[Resident] | None = None  # built on first use
        self._on_policy_change(None)
        self.observer = metrics.Observer(self.residents)
        self.current: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(_report, name=name) for name in metrics.METRICS}
        )
        self.running = True

    # ------------------------------------------------------------------------------ schedule
    def step(self) -> None:
        """One month, in the fixed order of MODEL.md §3."""
        month = self.month  # Mesa counts the month in ``steps`` before calling ``step``
        self._apply_policy_changes(month)
        drivers = self._drivers()  # last month's neighbours, read before anyone acts
        self._outreach()
        self._participation(month, drivers)
        flows = self._fund_cycle(month)
        self._incentives(flows)
        self._street_offices()
        self._organizations(month)
        self._attitudes(drivers)
        self._network()
        self._mobility()
        self.residents.end_month()
        self._observe(flows)

    def run(self, months: int | None = None) -> CoGovModel:
        """Step until ``months`` (default the scenario's horizon) have been simulated."""
        target = self.scenario.months if months is None else months
        while self.month < target:
            self.step()
        return self

    def set_policy(self, changes: dict[str, Any]) -> None:
        """Queue policy changes (dotted keys) for the start of next month, like the schedule.
        Raises pydantic's ValidationError at once if a value is bad."""
        apply_policy_changes(self.policy, changes)
        self._pending.append(dict(changes))

    @property
    def month(self) -> int:
        """Months simulated; during ``step``, the month being simulated (1, 2, …)."""
        return self.steps

    # -------------------------------------------------------------------------------- phases
    def _apply_policy_changes(self, month: int) -> None:
        """Policy schedule entries due this month, then changes queued by ``set_policy``. A
        change for one community or street office sets its keys in ``community_settings``
        there only; any other change sets the district's policy, and a key of it that may
        differ per community takes the new value in every community."""
        due = [(c.set, c.target) for c in self.scenario.policy.schedule if c.month == month]
        due += [(changes, None) for changes in self._pending]
        self._pending = []
        for changes, target in due:
            if target is not None:
                where = district.target_mask(self.layout, *target)
                for key, value in changes.items():
                    self.community_settings[f"policy.{key}"][where] = value
                continue
            previous = self.policy
            self.policy = apply_policy_changes(self.policy, changes)
            self._on_policy_change(previous)

    def _on_policy_change(self, previous: Policy | None) -> None:
        """Recompute what depends on policy; σ is reset only when service_focus itself changed."""
        policy, coef, structure = self.policy, self.scenario.behavior, self.scenario.structure
        for key, values in self.community_settings.items():
            section, _, name = key.partition(".")
            if (section == "policy" and previous is not None
                    and getattr(previous, name) != getattr(policy, name)):
                values[:] = getattr(policy, name)
        if previous is not None and previous.service_focus != policy.service_focus:
            for office in self.offices:
                office.service_focus = policy.service_focus
        if previous is None or previous.grid != policy.grid:
            self.grids = outreach.assign_grids(self.layout, self.residents, policy.grid,
                                               self.streams["outreach"])
        if previous is not None and previous.incentive.scheme != policy.incentive.scheme:
            self.incentive_state = incentives.IncentiveState.start(self.layout.n_communities, coef)
        self.cost = participation.policy_costs(self.residents, policy, coef)
        self.communities.gate = participation.organising_gates(self.layout.community_size,
                                                               structure, policy, coef)

    def _drivers(self) -> participation.Drivers:
        """What moves residents this month: policy terms and last month's neighbours."""
        residents = self.residents
        neighbours = self.network.neighbour_shares(
            np.column_stack([residents.took, residents.party & residents.took_any]))
        shift, value = incentives.terms(self.incentive_state, self.policy,
                                        self.scenario.behavior, self.layout.community)
        return participation.Drivers(self.policy, self.scenario.behavior, self.cost,
                                     shift, neighbours, self.network.degree, value)

    def _outreach(self) -> None:
        outreach.reach_out(self.layout, self.residents, self.grids, self.policy,
                           recruit_memory=self.scenario.behavior.recruit_memory,
                           party_activation=self.scenario.behavior.party_activation,
                           rng=self.streams["outreach"])

    def _participation(self, month: int, drivers: participation.Drivers) -> None:
        policy, coef = self.policy, self.scenario.behavior
        d_eff, _ = behavior.effective_devolution(policy.devolution, coef.override_propensity,
                                                      self.service_focus_by_community())
        year = (month - 1) // fund.CYCLE_MONTHS
        openings = participation.Openings(
            deliberation_open=fund.cycle_month(month) in fund.DELIBERATION_MONTHS,
            running=self.communities.running,
            council_share=self.communities.council_share,
            effective_devolution=d_eff,
            fund_per_household=fund_cycle.fund_per_household(
                self.communities, self.layout, policy, coef, year,
                self.community_settings["policy.fund_per_community"]),
            gate=self.communities.gate,
        )
        participation.participate(self.residents, self.layout.community, openings, drivers,
                                  self.streams["participation"])

    def _fund_cycle(self, month: int) -> fund_cycle.Flows:
        """Donations every month; the cycle's tally, vote, implementation and evaluation in
        their months (ODD §3, the fund calendar)."""
        community, residents, layout = self.communities, self.residents, self.layout
        policy, coef = self.policy, self.scenario.behavior
        cycle_month = fund.cycle_month(month)
        fund_cycle.collect_donations(community, residents, layout, policy, coef)
        if cycle_month in fund.DELIBERATION_MONTHS:
            fund_cycle.tally_needs(community, residents, layout,
                                   first_month=cycle_month == fund.DELIBERATION_MONTHS[0])
        if cycle_month == fund.VOTE_MONTH:
            actors = fund_cycle.Actors(self.offices, self.orgs.all(),
                                       layout.street_of_community)
            reserves = incentives.reserves(self.incentive_state, residents, layout.community,
                                           policy)
            fund_cycle.vote_and_contract(community, policy, coef, (month - 1) // fund.CYCLE_MONTHS,
                                         actors, reserves,
                                         self.community_settings["policy.fund_per_community"])
        flows = fund_cycle.Flows.none(layout.n_communities)
        if cycle_month in fund.IMPLEMENTATION_MONTHS:
            flows = fund_cycle.implement(community, residents, layout, policy, coef)
        if cycle_month == fund.EVALUATION_MONTH:
            fund_cycle.evaluate(community, residents, layout, policy, coef,
                                self.streams["attitudes"])
            street_office.review_offices(self.offices, residents, layout,
                                         policy.resident_evaluation)
        return flows

    def _incentives(self, flows: fund_cycle.Flows) -> None:
        """Points and credits earned and redeemed (ODD §7.1 "Incentives")."""
        flows.incentive_paid, flows.time_bank_hours = incentives.month(
            self.incentive_state, self.residents, self.layout.community, self.funds,
            self.policy, self.scenario.behavior)

    def _street_offices(self) -> None:
        demands.resolve_problems(self.residents, self.layout, self.communities, self.offices,
                                 self.policy, self.scenario.behavior, self.streams["demands"])

    def _organizations(self, month: int) -> None:
        self.orgs.month(month, self.funds, self.policy, self.scenario.behavior)

    def _attitudes(self, drivers: participation.Drivers) -> None:
        attitudes.update_monthly(self.residents, self.communities, self.layout.community,
                                 drivers, self.streams["attitudes"],
                                 self.scenario.population.mobility)

    def _network(self) -> None:
        self.network.grow(self.residents.took, self.residents.took_any, self.tie_rules,
                          self.streams["growth"])

    def _mobility(self) -> None:
        """Households move out and in (§7.9); what is cached per resident is recomputed."""
        self.moved = mobility.move(self.residents, self.layout, self.network,
                                   self.scenario.structure, self.scenario.population,
                                   self.streams["mobility"], self.shares)
        if self.moved.any():
            self.orgs.leave(self.moved, self.scenario.behavior)
            self.cost = participation.policy_costs(
                self.residents, self.policy, self.scenario.behavior)
            self._resident_agents = None  # party members may have come or gone

    def _observe(self, flows: fund_cycle.Flows) -> None:
        """The district's metrics (``current``, collected by Mesa) and each community's
        (``observer.community_history``)."""
        self.current = self.observer.observe(flows, self.orgs, self.communities,
                                             self.network.degree,
                                             moved=int(self.moved.sum()))
        self.observer.observe_communities(flows, self.orgs, self.communities,
                                          self.network.degree, self.moved, self.layout)
        self.datacollector.collect(self)
        if self.month >= self.scenario.months:
            self.running = False

    # --------------------------------------------------------------------------- observation
    def timeseries(self) -> pd.DataFrame:
        """One row per simulated month: ``month`` then every metric of MODEL.md §8."""
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        frame.insert(0, "month", np.arange(1, len(frame) + 1))
        return frame[["month", *metrics.METRICS]]

    def community_timeseries(self) -> pd.DataFrame:
        """One row per (simulated month, community): ``month``, ``street_office``,
        ``community`` (names, ``metrics.community_names``), then every metric of MODEL.md §8
        within that community (``metrics.Observer.observe_communities``); communities in layout
        order within each month."""
        streets, names = metrics.community_names(self.layout)
        history = self.observer.community_history
        n_communities = self.layout.n_communities
        frame = pd.DataFrame(
            np.concatenate(history) if history else np.empty((0, len(metrics.METRICS))),
            columns=list(metrics.METRICS))
        months = np.arange(1, len(history) + 1)
        frame.insert(0, "community", np.tile(np.asarray(names, dtype=object), len(history)))
        frame.insert(0, "street_office", np.tile(np.asarray(streets, dtype=object),
                                                 len(history)))
        frame.insert(0, "month", np.repeat(months, n_communities))
        return frame

    def summary(self) -> dict[str, float]:
        """Per-run summary (``<metric>_final``, ``<metric>_last12``, the extras and the spread
        across communities, ``metrics.summary_names``)."""
        migrant = self.residents.migrant
        out = metrics.summarize(
            self.timeseries(),
            migrant_population_share=float(migrant.mean()),
            migrants=int(migrant.sum()),
            locals_=int((~migrant).sum()),
            initial_satisfaction=self.scenario.population.satisfaction,
        )
        return {**out, **metrics.community_spread(self._community_summary())}

    def community_summary(self) -> pd.DataFrame:
        """One row per community, in layout order: ``street_office``, ``community``, then every
        name of ``metrics.summary_names`` computed from that community's own months
        (``metrics.summarize_communities``: its representation gap, its yuan per unit of
        satisfaction and yuan paid); the spread names, a district's figure, are NaN."""
        streets, names = metrics.community_names(self.layout)
        frame = self._community_summary()
        for name in metrics.spread_names():
            frame[name] = float("nan")
        frame.insert(0, "community", list(names))
        frame.insert(0, "street_office", list(streets))
        return frame

    def _community_summary(self) -> pd.DataFrame:
        migrant = self.residents.migrant
        of, n = self.layout.community, self.layout.n_communities
        migrants = np.bincount(of[migrant], minlength=n)
        return metrics.summarize_communities(
            self.community_timeseries(),
            migrants=migrants,
            locals_=self.layout.community_size - migrants,
            initial_satisfaction=self.scenario.population.satisfaction,
        )

    # ------------------------------------------------------------------- views of the world
    @property
    def resident_agents(self) -> list[Resident]:
        """One Mesa agent per resident (``PartyMember`` for party members), a view onto the
        arrays; built on first use, since most runs never read them."""
        if self._resident_agents is None:
            party = self.residents.party
            self._resident_agents = [(PartyMember if party[i] else Resident)(self, i)
                                     for i in range(len(self.residents))]
        return self._resident_agents

    @property
    def organizations(self) -> list[SocialOrganization]:
        """Professional and self-organizations, in order of founding (kept by Mesa)."""
        return self.orgs.all()

    @property
    def self_orgs(self) -> dict[int, SelfOrganization]:
        """Residents' self-organizations by slot."""
        return self.orgs.self_organizations()

    @property
    def funds(self) -> list[CommunityFund]:
        return self.communities.funds

    @property
    def foundation(self) -> np.ndarray:
        return self.communities.foundation

    @property
    def gate(self) -> np.ndarray:
        return self.communities.gate

    @property
    def grid_of_resident(self) -> np.ndarray:
        return self.grids.of_resident

    @property
    def n_communities(self) -> int:
        return self.layout.n_communities

    def service_focus_by_community(self) -> np.ndarray:
        """σ of each community's street office."""
        return street_office.service_focus_by_community(self.offices,
                                                        self.layout.street_of_community)

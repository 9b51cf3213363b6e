"""CoGovModel: the district, its residents' arrays and the monthly schedule (MODEL.md §3).

``step`` reads as the schedule: policy changes, outreach, participation, fund cycle, street
offices, organizations, attitudes, network, data collection. Per-resident work is vectorized over
the arrays of ``sim.population``; the few organizations and offices act in Python loops. All
randomness comes from the model's ``rng`` through one child stream per submodel (spawned in a
fixed order), so a policy that changes how many draws one submodel makes leaves the others'
streams alone: the same seed gives the same residents and network in every scenario (common
random numbers), and one (scenario, rng) gives one run, bit for bit.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim import behavior, fund, metrics
from sim.agents import PartyMember, Resident, SocialOrganization, StreetOffice
from sim.network import Network, TieRules, adjacency, random_pairs_within_groups, small_world_pairs
from sim.population import build_layout, draw_residents, group_offsets
from sim.scenario import ACTIVITIES, CATEGORIES, Policy, Scenario, apply_policy_changes

STREAMS = ("population", "network", "outreach", "participation", "fund", "organizations",
           "attitudes", "growth")
DELIBERATE, VOLUNTEER, MONITOR = range(len(ACTIVITIES))
K = len(CATEGORIES)


def replicate_rng(seed: int, replicate: int = 0) -> np.random.Generator:
    """The generator of replicate ``replicate`` under master ``seed``: equal to
    ``SeedSequence(seed).spawn(R)[replicate]`` for any R ≥ replicate + 1."""
    sequence = np.random.SeedSequence(seed, spawn_key=(replicate,))
    return np.random.Generator(np.random.PCG64(sequence))


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
    """

    def __init__(self, scenario: Scenario | None = None, rng: Any = None, **kwargs: Any):
        scenario = scenario if scenario is not None else Scenario()
        if rng is None:
            rng = replicate_rng(scenario.seed, 0)
        super().__init__(rng=rng)
        self.scenario = scenario
        self.policy: Policy = scenario.policy
        self._pending: list[dict] = []
        streams = self.rng.spawn(len(STREAMS))
        self.streams = dict(zip(STREAMS, streams, strict=True))
        self.month = 0  # months completed

        s = scenario.structure
        self.layout = lay = build_layout(s)
        self.residents = r = draw_residents(lay, scenario.population, self.streams["population"])
        self.network = self._build_network()
        b = scenario.behavior
        self.tie_rules = TieRules(lay.community, lay.n_communities, b.tie_formation, b.tie_decay)
        self.n_communities = lay.n_communities
        self._groups = self._group_masks()
        self._group_size = {name: int(mask.sum()) for name, mask in self._groups.items()}
        self._party_index = np.flatnonzero(r.party)

        # community-level state (the residents' committee is state, not an agent: MODEL §2)
        C = lay.n_communities
        b0 = scenario.behavior
        self.funds = [fund.CommunityFund(c, votes=np.zeros(K)) for c in range(C)]
        self.fund_streams = [dict(zip(("candidates", "override", "contract"), g.spawn(3),
                                      strict=True))
                             for g in self.streams["fund"].spawn(C)]
        self.foundation = np.zeros(C)  # yuan
        self.responsiveness = np.full(C, b0.initial_responsiveness)  # share of demands resolved
        self.quality = np.zeros(C)  # quality of the last delivered projects (or none delivered)
        self.category_met = np.zeros((C, K))
        self.contacts = np.zeros(C, dtype=np.int64)  # households contacted this month
        self.grid_visits = np.zeros(C, dtype=np.int64)  # of which by grid workers

        self.offices = [
            StreetOffice(self, i, np.flatnonzero(lay.street_of_community == i),
                         self.policy.service_focus)
            for i in range(s.street_offices)
        ]
        self.quality[:] = b0.quality_without_projects
        self.organizations: list[SocialOrganization] = []
        self.self_orgs: dict[int, SocialOrganization] = {}
        self._next_slot = 0
        per_street = s.social_orgs_per_10k * self._street_residents() / 10_000
        for street, mean in enumerate(per_street):
            for _ in range(self.streams["organizations"].poisson(mean)):
                self._incubate(street)

        self.resident_agents = [
            (PartyMember if r.party[i] else Resident)(self, i) for i in range(len(r))
        ]
        self._on_policy_change(None)
        self.current: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(_report, name=name) for name in metrics.METRICS}
        )
        self.running = True

    # ------------------------------------------------------------------------------ schedule
    def step(self) -> None:
        """One month, in the fixed order of MODEL.md §3."""
        m = self.month + 1
        cm = fund.cycle_month(m)
        self._apply_policy_changes(m)  # 1
        shares = self._neighbour_shares()  # last month's behaviour, read before anyone acts
        self._outreach()  # 2
        self._participate(cm, shares)  # 3
        flows = self._fund_cycle(m, cm)  # 4
        self._street_offices()  # 5
        self._organizations(cm)  # 6
        self._attitudes(shares[:, -1])  # 7
        self.network.grow(self.residents.took, self.residents.took_any, self.tie_rules,
                          self.streams["growth"])  # 8
        self.residents.months_since_contact += 1
        self.month = m
        self.current = self._observe(flows)  # 9
        self.datacollector.collect(self)
        if self.month >= self.scenario.months:
            self.running = False

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

    # ----------------------------------------------------------------------- 1 policy changes
    def _apply_policy_changes(self, month: int) -> None:
        due = [c.set for c in self.scenario.policy.schedule if c.month == month] + self._pending
        self._pending = []
        for changes in due:
            previous = self.policy
            self.policy = apply_policy_changes(self.policy, changes)
            self._on_policy_change(previous)

    def _on_policy_change(self, previous: Policy | None) -> None:
        """Recompute what depends on policy; σ is reset only when service_focus itself changed."""
        p, r, b = self.policy, self.residents, self.scenario.behavior
        if previous is not None and previous.service_focus != p.service_focus:
            for office in self.offices:
                office.service_focus = p.service_focus
        if previous is None or previous.grid != p.grid:
            self._assign_grids()
        self.cost = behavior.time_cost(r.age_group, r.employed, r.migrant, r.care_duty, r.party,
                                       b.cost, p.party.dual_registration)
        self.incentive = behavior.incentive_value(p.incentive, b.incentive_yuan_scale)
        s, size = self.scenario.structure, self.layout.community_size
        staff_hours = s.community_workers_per_10k * size / 10_000 * s.hours_per_worker
        self.gate = np.array([
            behavior.organising_gate(h, p.admin_items, b.hours_per_admin_item,
                                     b.deliberation_hours_per_resident * n)
            for h, n in zip(staff_hours, size, strict=True)
        ])

    # ---------------------------------------------------------------------------- 2 outreach
    def _outreach(self) -> None:
        """Grid workers visit households (migrants and the unreached weighted up); party members
        moved by public spirit contact households of their grid. Contacted adults count as
        recruited for recruit_memory months."""
        lay, r, p = self.layout, self.residents, self.policy
        rng = self.streams["outreach"]
        H = lay.n_households
        grid_visited = np.zeros(H, dtype=bool)
        n_visits = np.minimum(self.grid_size, p.grid.workers_per_grid * p.grid.visits_per_worker)
        if n_visits.any():
            first = lay.household_start
            recent = r.months_since_contact[first] < self.scenario.behavior.recruit_memory
            weight = ((1.0 + p.grid.migrant_priority * r.migrant[first])
                      * np.where(recent, p.grid.recent_contact_weight, 1.0))
            # weighted sampling without replacement (Efraimidis–Spirakis): the smallest
            # Exp(1)/weight in each grid; mapped into [0, 1) so one sort orders grid, then key
            key = np.minimum(-np.expm1(-rng.exponential(size=H) / weight), 1 - 1e-6)
            order = np.argsort(self.grid_of_household + key, kind="stable")
            rank = np.arange(H) - self.grid_start[self.grid_of_household[order]]
            grid_visited[order[rank < n_visits[self.grid_of_household[order]]]] = True
        visited = grid_visited.copy()
        # the vanguard this month: each member acts with probability = public spirit
        party = self._party_index
        members = party[rng.random(len(party)) < r.public_spirit[party]]
        c = p.party.contacts_per_month
        if c and len(members):
            g = np.repeat(self.grid_of_resident[members], c)
            pick = self.grid_start[g] + (rng.random(len(g)) * self.grid_size[g]).astype(np.int64)
            visited[pick] = True
        self.grid_visits = np.bincount(lay.household_community[grid_visited],
                                       minlength=self.n_communities)
        self.contacts = np.bincount(lay.household_community[visited], minlength=self.n_communities)
        r.months_since_contact[visited[lay.household]] = 0

    # ----------------------------------------------------------------------- 3 participation
    def _participate(self, cm: int, shares: np.ndarray) -> None:
        """MODEL.md §7.1 for all residents and the activities open this month."""
        r, lay, p, b = self.residents, self.layout, self.policy, self.scenario.behavior
        comm = lay.community
        sigma = self.service_focus_by_community()
        d_eff, _ = behavior.effective_devolution(p.devolution, b.override_propensity, sigma)
        running = np.array([f.running for f in self.funds])
        # only activities open somewhere this month are computed (closed ones: p = 0)
        acts = tuple(a for a, is_open in ((DELIBERATE, cm in fund.DELIBERATION_MONTHS),
                                          (VOLUNTEER, True), (MONITOR, running.any()))
                     if is_open)
        stake_by_activity = {
            DELIBERATE: lambda: behavior.deliberation_stake(
                d_eff, 1.0, self.fund_per_household(), b.stake_fund_scale)[comm]
            * r.need_intensity,
            VOLUNTEER: lambda: r.attachment,
            MONITOR: lambda: (p.transparency * running)[comm],
        }
        stake = np.column_stack([stake_by_activity[a]() for a in acts])
        logit = behavior.participation_logit(
            b, public_spirit=r.public_spirit, efficacy=r.efficacy, trust=r.trust,
            dependency=r.dependency, party=r.party, self_org_member=r.self_org >= 0,
            engagement=r.engagement, propensity=r.propensity,
            recruited=r.months_since_contact < b.recruit_memory, cost=self.cost, stake=stake,
            neighbours=shares[:, acts], incentive=self.incentive, activities=acts,
        )
        open_ = np.column_stack([running if a == MONITOR else np.ones(len(running))
                                 for a in acts])[comm]
        prob = behavior.participation_probability(logit, open_, self.gate[comm], acts)
        draws = self.streams["participation"].random((len(r), len(ACTIVITIES)))  # always 3
        took = np.zeros((len(r), len(ACTIVITIES)), dtype=bool)
        took[:, acts] = draws[:, acts] < prob
        r.record_participation(took)
        if p.incentive.scheme == "points":
            r.points += p.incentive.points_per_activity * r.took.sum(axis=1)

    # ---------------------------------------------------------------------- 4 fund cycle
    def fund_per_household(self) -> np.ndarray:
        """Money the council can decide on this cycle, yuan per household (stake, §7.1)."""
        p = self.policy
        year = self.month // fund.CYCLE_MONTHS
        expected = (p.fund_per_community * (1 + p.fund_growth) ** year
                    + self.scenario.behavior.foundation_payout * self.foundation * p.foundation
                    + np.array([f.unallocated for f in self.funds]))
        return expected / self.layout.households_per_community

    def _fund_cycle(self, m: int, cm: int) -> dict[str, float]:
        r, p, b, lay = self.residents, self.policy, self.scenario.behavior, self.layout
        comm = lay.community
        if p.foundation:
            gifts = b.donation_yuan_per_month * r.trust * r.attachment
            self.foundation += (np.bincount(comm, weights=gifts, minlength=self.n_communities)
                                * (1.0 + p.foundation_match))
        flows = {"spent": 0.0, "leaked": 0.0, "delivered": 0}
        if cm in fund.DELIBERATION_MONTHS:  # 两下三上: tally participants' needs
            if cm == fund.DELIBERATION_MONTHS[0]:
                r.voted[:] = False
                for f in self.funds:
                    f.votes = np.zeros(K)
            delib = r.took[:, DELIBERATE]
            r.voted |= delib
            tally = np.stack([np.bincount(comm[delib], weights=r.needs[delib, k],
                                          minlength=self.n_communities) for k in range(K)], 1)
            for c, f in enumerate(self.funds):
                f.votes = f.votes + tally[c]
        if cm == fund.VOTE_MONTH:
            self._vote_and_contract((m - 1) // fund.CYCLE_MONTHS)
        if cm in fund.IMPLEMENTATION_MONTHS:
            monitor_share = np.bincount(comm, weights=r.took[:, MONITOR],
                                        minlength=self.n_communities) / lay.community_size
            oversight = np.minimum(1.0, p.transparency * monitor_share / b.monitor_full_share)
            for c, f in enumerate(self.funds):
                spent, leaked, delivered = f.implement_month(b.base_leakage * (1 - oversight[c]))
                flows["spent"] += spent
                flows["leaked"] += leaked
                flows["delivered"] += delivered
        if cm == fund.EVALUATION_MONTH:
            self._evaluate()
        return flows

    def _vote_and_contract(self, year: int) -> None:
        """§7.3–7.4 month 3: budget, candidates, council vote, override, office picks, and a
        contract for each project (social organization with purchase_share, else the office).
        Each community draws candidates, overrides and contracts from its own three streams, so
        a lever that changes how many draws one of them makes leaves the others alone."""
        p, b = self.policy, self.scenario.behavior
        sigma = self.service_focus_by_community()
        _, override = behavior.effective_devolution(p.devolution, b.override_propensity, sigma)
        office_pref = np.asarray(b.office_preference.as_tuple())
        fund_now = p.fund_per_community * (1 + p.fund_growth) ** year
        for c, f in enumerate(self.funds):
            grant = b.foundation_payout * self.foundation[c] if p.foundation else 0.0
            self.foundation[c] -= grant
            f.open(year, fund_now, grant)
            rngs = self.fund_streams[c]
            category, cost = fund.draw_candidates(K, b.candidates_per_category, b.project_cost,
                                                  b.project_cost_cv, rngs["candidates"])
            picks = fund.allocate(f.budget, f.votes, office_pref, p.devolution, override[c],
                                  category, cost, rngs["override"])
            projects = []
            for j, who in picks:
                implementer = self._contractor(c, int(category[j]), rngs["contract"])
                projects.append(fund.Project(c, int(category[j]), float(cost[j]), who,
                                             implementer, implementer.capacity))
            f.commit(projects)

    def _contractor(self, community: int, category: int, rng: np.random.Generator):
        """With purchase_share a social organization with the specialty, chosen with weight
        reputation × capacity; otherwise (or if none qualifies) the street office."""
        office = self._office_of(community)
        if rng.random() >= self.policy.purchase_share:
            return office
        able = [o for o in self.organizations if not o.zombie and category in o.specialties
                and (o.street == office.index) and o.community in (None, community)]
        if not able:
            return office
        weight = np.array([o.reputation * o.capacity for o in able]) + 1e-9
        return able[int(rng.choice(len(able), p=weight / weight.sum()))]

    def _evaluate(self) -> None:
        """§7.5 month 12: residents evaluate delivered projects (民主评议)."""
        r, p, b, lay = self.residents, self.policy, self.scenario.behavior, self.layout
        comm = lay.community
        rng = self.streams["attitudes"]
        leak_share = np.zeros(self.n_communities)
        topdown = np.zeros(self.n_communities)
        best_quality = np.zeros((self.n_communities, K))
        for c, f in enumerate(self.funds):
            best_quality[c] = fund.category_quality(f.projects, K)
            self.category_met[c] = fund.category_service(
                f.projects, K, lay.households_per_community[c], b.yuan_per_household_served)
            delivered = [pr for pr in f.projects if pr.delivered]
            for pr in delivered:  # residents rate the organizations that delivered (§7.5)
                if isinstance(pr.implementer, SocialOrganization):
                    pr.implementer.evaluated(pr.quality)
            self.quality[c] = (float(np.mean([pr.quality for pr in delivered])) if delivered
                               else b.quality_without_projects)
            paid = f.spent + f.leaked
            leak_share[c] = f.leaked / paid if paid > 0 else 0.0
            council = sum(pr.cost for pr in f.projects if pr.chosen_by == "council")
            chosen_share = council / f.committed if f.committed > 0 else 1.0
            per_household = paid / lay.households_per_community[c]
            topdown[c] = (1 - chosen_share) * np.log1p(per_household / b.stake_fund_scale)
            f.close()
        r.needs_met = (r.needs * self.category_met[comm]).sum(axis=1)
        heard = rng.random(len(r)) < p.transparency
        top_quality = best_quality[comm, r.top_need]
        r.efficacy = behavior.efficacy_at_evaluation(r.efficacy, r.voted, heard, top_quality, b)
        r.dependency = behavior.dependency_at_evaluation(r.dependency, topdown[comm], b)
        r.trust = np.clip(r.trust - b.trust_leak_hit * leak_share[comm] * heard, 0.0, 1.0)
        if p.resident_evaluation:
            for office in self.offices:
                in_street = np.isin(comm, office.communities)
                office.evaluated(float(r.satisfaction[in_street].mean()))

    # ---------------------------------------------------------------------- 5 street office
    def _street_offices(self) -> None:
        """§7.7: demands registered by contacts and deliberators; grid workers resolve a share
        of what their visits find, the street office resolves the rest up to its capacity;
        responsiveness = resolved / registered (unchanged in a month with no demands)."""
        r, b = self.residents, self.scenario.behavior
        rng = self.streams["outreach"]
        delib = np.bincount(self.layout.community[r.took[:, DELIBERATE]],
                            minlength=self.n_communities)
        from_grid = rng.binomial(self.grid_visits, b.demand_per_contact)
        demands = (from_grid + rng.binomial(self.contacts - self.grid_visits, b.demand_per_contact)
                   + rng.binomial(delib, b.demand_per_participant))
        on_the_spot = rng.binomial(from_grid, self.policy.grid.resolve_share)
        for office in self.offices:
            cap = office.demand_capacity()
            for c in office.communities:
                if demands[c] > 0:
                    resolved = on_the_spot[c] + min(cap, demands[c] - on_the_spot[c])
                    self.responsiveness[c] = resolved / demands[c]

    # ---------------------------------------------------------------------- 6 organizations
    def _organizations(self, cm: int) -> None:
        """§7.8: learning and idling, zombies and supervision, incubation, self-organizations."""
        p = self.policy
        busy: dict[int, int] = {}
        for f in self.funds:
            for pr in f.projects:
                # every project is worked on in every implementation month (4–11)
                if isinstance(pr.implementer, SocialOrganization):
                    busy[id(pr.implementer)] = busy.get(id(pr.implementer), 0) + 1
        for org in self.organizations:
            org.contracts = busy.get(id(org), 0) if cm in fund.IMPLEMENTATION_MONTHS else 0
            org.month_of_work(p.training_rate)
        if cm == fund.EVALUATION_MONTH and p.supervision:
            for org in [o for o in self.organizations if o.zombie]:
                self._drop(org)
        if cm == 1 and self.month > 0:
            rate = p.incubation_rate * self._street_residents() / 10_000
            for street, mean in enumerate(rate):
                for _ in range(self.streams["organizations"].poisson(mean)):
                    self._incubate(street)
        self._self_organize()

    def _incubate(self, street: int) -> SocialOrganization:
        rng, b = self.streams["organizations"], self.scenario.behavior
        n_spec = 1 + int(rng.random() < b.second_specialty_share)
        specialties = tuple(int(k) for k in rng.choice(K, size=n_spec, replace=False))
        cap = float(rng.beta(b.professional_capacity.a, b.professional_capacity.b))
        org = SocialOrganization(self, "professional", specialties, cap, street)
        self.organizations.append(org)
        return org

    def _drop(self, org: SocialOrganization) -> None:
        self.organizations.remove(org)
        if org.kind == "self_org":
            self.residents.self_org[org.members] = -1
            del self.self_orgs[org.slot]
        org.remove()

    def _self_organize(self) -> None:
        """Self-organizations form where ≥ self_org_min engaged, unaffiliated residents of one
        building share a top need; they dissolve when their members' engagement fades."""
        r, b, lay = self.residents, self.scenario.behavior, self.layout
        rng = self.streams["organizations"]
        if self.self_orgs:
            member = r.self_org >= 0
            slots = r.self_org[member]
            total = np.bincount(slots, weights=r.engagement[member], minlength=self._next_slot)
            count = np.bincount(slots, minlength=self._next_slot)
            for slot, org in list(self.self_orgs.items()):
                if total[slot] / max(count[slot], 1) < b.self_org_dissolve_engagement:
                    self._drop(org)
        free = np.flatnonzero((r.engagement > b.self_org_engagement) & (r.self_org < 0))
        if len(free) < b.self_org_min:
            return
        top = r.top_need[free]
        key = lay.building[free] * K + top
        groups, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        forming = np.flatnonzero((counts >= b.self_org_min)
                                 & (rng.random(len(groups)) < b.self_org_formation))
        for g in forming:
            members = free[inverse == g]
            c = int(lay.community[members[0]])
            org = SocialOrganization(self, "self_org", (int(groups[g] % K),), b.self_org_capacity,
                                     int(lay.street_of_community[c]), community=c,
                                     members=members, slot=self._next_slot)
            r.self_org[members] = org.slot
            self.self_orgs[org.slot] = org
            self.organizations.append(org)
            self._next_slot += 1

    # --------------------------------------------------------------------------- 7 attitudes
    def _attitudes(self, party_example: np.ndarray) -> None:
        """§7.2 monthly updates; evaluation-time updates happen in the fund cycle (month 12)."""
        r, p, b = self.residents, self.policy, self.scenario.behavior
        comm = self.layout.community
        rng = self.streams["attitudes"]
        took_any = r.took_any
        trained_now = rng.random(len(r)) < p.training_rate / 12
        r.trained |= trained_now
        r.efficacy = behavior.efficacy_monthly(r.efficacy, r.baseline_efficacy, took_any,
                                               trained_now, b)
        perf = behavior.performance(self.responsiveness, self.quality, b)
        r.trust = behavior.trust_monthly(r.trust, perf[comm], b)
        r.public_spirit = behavior.public_spirit_monthly(
            r.public_spirit, r.baseline_public_spirit, took_any, party_example,
            p.incentive.scheme, self.incentive, b)
        r.dependency = behavior.dependency_monthly(r.dependency, took_any, b)
        r.engagement = behavior.engagement_monthly(r.engagement, took_any, b)
        r.attachment = behavior.attachment_monthly(r.attachment, r.baseline_attachment,
                                                   self.network.degree, r.engagement, b)
        r.satisfaction = behavior.satisfaction_monthly(r.satisfaction, r.needs_met, perf[comm], b)

    # ---------------------------------------------------------------------------- 9 observe
    def _observe(self, flows: dict[str, float]) -> dict[str, float]:
        r, g = self.residents, self._groups
        took_any = r.took_any
        out = {
            "participation_any": float(took_any.mean()),
            "participation_deliberate": float(r.took[:, DELIBERATE].mean()),
            "participation_volunteer": float(r.took[:, VOLUNTEER].mean()),
            "participation_monitor": float(r.took[:, MONITOR].mean()),
        }
        for name, mask in g.items():  # count_nonzero of a logical and: no copies, no BLAS
            size = self._group_size[name]
            took_n = np.count_nonzero(took_any & mask)
            out[f"participation_{name}"] = took_n / size if size else 0.0
        out.update(
            mean_efficacy=float(r.efficacy.mean()),
            mean_trust=float(r.trust.mean()),
            mean_public_spirit=float(r.public_spirit.mean()),
            mean_dependency=float(r.dependency.mean()),
            mean_attachment=float(r.attachment.mean()),
            mean_satisfaction=float(r.satisfaction.mean()),
            needs_met=float(r.needs_met.mean()),
            self_orgs_active=len(self.self_orgs),
            social_orgs_active=sum(o.kind == "professional" and not o.zombie
                                   for o in self.organizations),
            social_orgs_zombie=sum(o.zombie for o in self.organizations),
            projects_delivered=flows["delivered"],
            fund_spent=flows["spent"],
            fund_leaked=flows["leaked"],
            fund_carried=float(sum(f.unallocated for f in self.funds)),
            foundation_balance=float(self.foundation.sum()),
            mean_degree=float(self.network.degree.mean()),
        )
        return out

    def timeseries(self) -> pd.DataFrame:
        """One row per simulated month: ``month`` then every metric of MODEL.md §8."""
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        frame.insert(0, "month", np.arange(1, len(frame) + 1))
        return frame[["month", *metrics.METRICS]]

    def summary(self) -> dict[str, float]:
        """Per-run summary (``<metric>_final``, ``<metric>_last12`` and the extras)."""
        migrant = self.residents.migrant
        return metrics.summarize(
            self.timeseries(),
            migrant_population_share=float(migrant.mean()),
            migrants=int(migrant.sum()),
            locals_=int((~migrant).sum()),
            initial_satisfaction=self.scenario.population.satisfaction,
        )

    # ---------------------------------------------------------------------------- helpers
    def _office_of(self, community: int) -> StreetOffice:
        return self.offices[self.layout.street_of_community[community]]

    def service_focus_by_community(self) -> np.ndarray:
        """σ of each community's street office."""
        sigma = np.array([o.service_focus for o in self.offices])
        return sigma[self.layout.street_of_community]

    def _neighbour_shares(self) -> np.ndarray:
        """(N, 4): neighbours' last-month shares per activity, then active party neighbours."""
        r = self.residents
        columns = np.column_stack([r.took, r.party & r.took_any])
        return self.network.neighbour_shares(columns)

    def _street_residents(self) -> np.ndarray:
        lay = self.layout
        return np.bincount(lay.street_of_community, weights=lay.community_size,
                           minlength=len(self.offices))

    def _build_network(self) -> Network:
        s, lay = self.scenario.structure, self.layout
        rng = self.streams["network"]
        b_start, b_size = group_offsets(lay.building, int(lay.building.max()) + 1)
        bi, bj = random_pairs_within_groups(b_start, b_size, s.building_tie_prob, rng)
        wi, wj = small_world_pairs(lay.community_start, lay.community_size,
                                   s.small_world_degree, s.small_world_rewiring, rng)
        return Network(adjacency(lay.n_residents, np.concatenate([bi, wi]),
                                 np.concatenate([bj, wj])))

    def _assign_grids(self) -> None:
        """Grids of ``households_per_grid`` consecutive households in each community; grid
        workers chosen in each grid, party members first (Haicang 网格员, seed 003)."""
        lay, g = self.layout, self.policy.grid
        per_comm = -(-lay.households_per_community // g.households_per_grid)
        offset = np.concatenate([[0], np.cumsum(per_comm)[:-1]])
        self.grid_of_household = (offset[lay.household_community]
                                  + lay.household_local // g.households_per_grid)
        self.n_grids = int(per_comm.sum())
        self.grid_start, self.grid_size = group_offsets(self.grid_of_household, self.n_grids)
        self.grid_of_resident = self.grid_of_household[lay.household]
        r = self.residents
        key = self.streams["outreach"].random(len(r)) - r.party  # party members first
        order = np.lexsort((key, self.grid_of_resident))
        res_start, _ = group_offsets(self.grid_of_resident, self.n_grids)
        rank = np.arange(len(r)) - res_start[self.grid_of_resident[order]]
        r.grid_worker[:] = False
        r.grid_worker[order[rank < g.workers_per_grid]] = True

    def _group_masks(self) -> dict[str, np.ndarray]:
        r = self.residents
        return {
            "local": ~r.migrant, "migrant": r.migrant, "party": r.party, "nonparty": ~r.party,
            "youth": r.age_group == 0, "adult": r.age_group == 1, "elder": r.age_group == 2,
        }

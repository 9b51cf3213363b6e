"""Residents' problems: how they arise, are heard and are resolved (MODEL.md §7.7 "demands",
ODD §7.7 "Problems, surfacing and the backlog").

Problems (grievances, service needs that only the committee or street office can meet) arise
for every adult each month at a rate, whether or not anyone listens: more often for elders and
for those with care duties. An open problem is *heard* (surfaced) when someone hears of it: the
party member or grid worker who contacts the household this month (seed 001: party members
"及时了解居民的需求和诉求", a 桥梁纽带; seed 003: grid workers visit to "切实帮群众解决实事"),
the committee when the resident takes part in anything, or the 12345 hotline (接诉即办, seed
001). Grid workers resolve on the spot a share of what their own visits surface; the street office
works through its community's backlog of heard problems, oldest first, up to its capacity: the
staff hours not tied up in projects it implements itself, times σ, over the hours a problem
takes. Open problems — heard or not — go away by themselves only slowly (coping).

Each resident remembers how their own problems went (experience x in [0, 1], ``sim.attitudes``
reads it for trust and satisfaction): a resolved problem raises it, every month of waiting
lowers it, being heard lifts it a little.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.agents import StreetOffice
from sim.community import CommunityState
from sim.population import ELDER, Layout, Residents
from sim.scenario import Behavior, Policy

_ARISE, _TOLD, _RAISED, _HOTLINE, _SPOT, _ORDER, _COPE = range(7)
"""Columns of the (N, 7) uniforms drawn every month, then one per community for rounding the
office's capacity (the same count whatever the policy)."""


def arise_rate(residents: Residents, coef: Behavior) -> np.ndarray:
    """(N,) monthly chance of a new problem: rate · (1 + elder factor·elder) · (1 + care factor·
    care duty)."""
    d = coef.demands
    return (d.arise_rate * (1.0 + d.elder_factor * (residents.age_group == ELDER))
            * (1.0 + d.care_factor * residents.care_duty))


def office_projects(community: CommunityState) -> np.ndarray:
    """(C,) fund projects the street office is implementing itself in each community now."""
    return np.array([sum(1 for p in fund.projects
                         if isinstance(p.implementer, StreetOffice) and not p.delivered)
                     for fund in community.funds], dtype=float)


def resolve_problems(residents: Residents, layout: Layout, community: CommunityState,
                     offices: Sequence[StreetOffice], policy: Policy, coef: Behavior,
                     rng: np.random.Generator) -> None:
    """One month: problems arise, are heard, resolved on the spot or from the backlog, or
    coped with; residents' experience x is updated; ``community.resolved`` and
    ``community.backlog`` are set. Reads this month's contacts (``residents.contacted``,
    ``residents.grid_visited``, from ``outreach.reach_out``) and participation (``took_any``)."""
    d = coef.demands
    n = len(residents)
    u = rng.random((n, 7))
    rounding = rng.random(len(community))
    is_open, heard = residents.problem_open, residents.problem_heard

    new = ~is_open & (u[:, _ARISE] < arise_rate(residents, coef))
    is_open |= new
    heard[new] = False
    residents.problem_wait[new] = 0

    unheard = is_open & ~heard
    told = is_open & residents.contacted & (u[:, _TOLD] < d.contact_surface)
    heard_now = unheard & (told
                           | residents.took_any & (u[:, _RAISED] < d.participant_surface)
                           | (u[:, _HOTLINE] < d.hotline_rate))
    heard |= heard_now

    # the grid worker solves on the spot a share of the problems their visit learns of, whether
    # or not someone heard of them before
    on_the_spot = told & residents.grid_visited & (u[:, _SPOT] < policy.grid.resolve_share)
    by_office = _work_backlog(is_open & heard & ~on_the_spot, residents.problem_wait,
                              layout.community, _capacity(offices, community),
                              u[:, _ORDER], rounding)
    resolved = on_the_spot | by_office
    is_open &= ~resolved
    coped = is_open & (u[:, _COPE] < d.coping_rate)
    is_open &= ~coped
    heard &= is_open
    residents.problem_wait = np.where(is_open, residents.problem_wait + 1, 0)

    x = residents.experience
    x = x + d.experience_heard * heard_now * (1.0 - x)
    x = x + d.experience_resolved * resolved * (1.0 - x)
    residents.experience = x - d.experience_waiting * is_open * x

    c = len(community)
    community.resolved = np.bincount(layout.community[resolved], minlength=c)
    community.backlog = np.bincount(layout.community[is_open & heard], minlength=c)


def _capacity(offices: Sequence[StreetOffice], community: CommunityState) -> np.ndarray:
    """(C,) problems the street office can resolve in each community this month."""
    running = office_projects(community)
    capacity = np.empty(len(community))
    for office in offices:
        capacity[office.communities] = office.demand_capacity(running[office.communities])
    return capacity


def _work_backlog(backlog: np.ndarray, wait: np.ndarray, of_resident: np.ndarray,
                  capacity: np.ndarray, tie_break: np.ndarray,
                  rounding: np.ndarray) -> np.ndarray:
    """(N,) bool: the problems of ``backlog`` the office resolves — in each community the
    longest-waiting first (ties in random order), ⌊capacity⌋ of them plus one more with
    probability equal to the fraction (``rounding``: one uniform per community)."""
    slots = np.floor(capacity) + (rounding < capacity - np.floor(capacity))
    waiting = np.flatnonzero(backlog)
    order = waiting[np.lexsort((tie_break[waiting], -wait[waiting], of_resident[waiting]))]
    community = of_resident[order]
    first = np.searchsorted(community, community, side="left")
    rank = np.arange(len(order)) - first
    out = np.zeros(len(backlog), dtype=bool)
    out[order[rank < slots[community]]] = True
    return out

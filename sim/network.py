"""The social network (MODEL.md §2 "Social network", §7.6 network growth).

Base ties: building neighbours (each pair with ``building_tie_prob``) plus a Watts–Strogatz
small-world layer inside each community (ring over residents in random order, mean degree k,
rewiring beta). New ties: co-participants of the same activity and community form a tie with
``tie_formation`` per pair and month; a grown tie is "used" in a month when both its ends took
part in something; an unused one dissolves with ``tie_decay`` a month and a used one with
``tie_decay_used``, so grown ties settle where formation balances decay. Residential mobility
(§7.9, ``sim.mobility``): a resident who moves out loses every tie; a newcomer arrives with none
and a set of would-be ties drawn like the starting network's, each of which becomes real at a
monthly rate (``Network.acquaint``). The adjacency is a symmetric 0/1 scipy.sparse CSR matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


def random_pairs_within_groups(
    start: np.ndarray, size: np.ndarray, pair_prob: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random pairs (i, j), i ≠ j, inside contiguous groups [start, start + size).

    Each group gets Binomial(size·(size − 1)/2, pair_prob) pairs, drawn uniformly; the rare
    self-pair is dropped and duplicates merge when the matrix is built.
    """
    pairs_possible = size * (size - 1) // 2
    count = rng.binomial(pairs_possible, pair_prob) if pair_prob > 0 else np.zeros_like(size)
    group = np.repeat(np.arange(len(size)), count)
    i = start[group] + (rng.random(len(group)) * size[group]).astype(np.int64)
    j = start[group] + (rng.random(len(group)) * size[group]).astype(np.int64)
    keep = i != j
    return i[keep], j[keep]


def small_world_pairs(
    community_start: np.ndarray,
    community_size: np.ndarray,
    k: int,
    beta: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Watts–Strogatz edges inside each community: a ring over the community's members in random
    order (so ring ties reach beyond the building) with k/2 neighbours each side, each edge's
    far end rewired to a uniform member of the community with probability beta."""
    n = int(community_size.sum())
    if k == 0 or n == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    community = np.repeat(np.arange(len(community_size)), community_size)
    first, size = community_start[community], community_size[community]
    local = np.arange(n) - first
    ring = np.lexsort((rng.random(n), community))  # members of each community, shuffled
    heads, tails = [], []
    for offset in range(1, k // 2 + 1):
        tail = ring[first + (local + offset) % size]
        rewire = rng.random(n) < beta
        tail = np.where(rewire, first + (rng.random(n) * size).astype(np.int64), tail)
        heads.append(ring)
        tails.append(tail)
    i, j = np.concatenate(heads), np.concatenate(tails)
    keep = i != j
    return i[keep], j[keep]


def adjacency(n: int, i: np.ndarray, j: np.ndarray) -> sp.csr_matrix:
    """Symmetric 0/1 CSR adjacency from undirected pairs (duplicates merged)."""
    rows = np.concatenate([i, j])
    cols = np.concatenate([j, i])
    mat = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, n))
    mat.sum_duplicates()
    mat.data[:] = 1.0
    return mat


@dataclass(frozen=True)
class TieRules:
    """Where and how fast grown ties form and fade (§7.6): co-participants of one activity in
    one community meet with ``formation`` per pair and month; a grown tie dissolves with
    ``decay`` a month when unused and with ``decay_used`` when both ends took part."""

    community: np.ndarray  # (N,) int, community of each resident, sorted
    n_communities: int
    formation: float
    decay: float
    decay_used: float = 0.0


def co_participant_pairs(took: np.ndarray, rules: TieRules,
                         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """This month's meetings (§7.6): random pairs (i, j) of co-participants of each activity
    inside each community, ``rules.formation`` per pair; duplicates possible."""
    found_i, found_j = [], []
    for activity in range(took.shape[1]):
        who = np.flatnonzero(took[:, activity])  # sorted, hence grouped by community
        size = np.bincount(rules.community[who], minlength=rules.n_communities)
        start = np.concatenate([[0], np.cumsum(size)[:-1]])
        pi, pj = random_pairs_within_groups(start, size, rules.formation, rng)
        found_i.append(who[pi])
        found_j.append(who[pj])
    return np.concatenate(found_i), np.concatenate(found_j)


class Network:
    """Fixed ties (the starting network and the acquaintances newcomers make) plus ties grown by
    co-participation, kept apart: the fixed ties are multiplied as a sparse matrix; grown ties
    are few and counted edge by edge. All are kept as sorted ``key = i·n + j`` (i < j), so a
    month merges only its changes into them. Would-be ties of newcomers (``pending``) are keys
    too, not yet ties. Under mobility the matrix is not rebuilt every month: a mover's entries
    are zeroed in place, ties made since the last rebuild (``_recent``) are counted edge by edge
    like grown ones, and the matrix is rebuilt when those changes reach ``REBUILD_SHARE`` of the
    fixed ties."""

    REBUILD_SHARE = 0.1

    def __init__(self, base: sp.csr_matrix):
        self.n = base.shape[0]
        upper = sp.triu(base, k=1).tocoo()
        self._set_base(np.sort(upper.row.astype(np.int64) * self.n + upper.col))
        self._grown_keys = np.empty(0, np.int64)
        self._pending_keys = np.empty(0, np.int64)
        self.new_i = np.empty(0, np.int64)
        self.new_j = np.empty(0, np.int64)
        self.degree = self._base_degree

    def _set_base(self, keys: np.ndarray) -> None:
        """Fixed ties from sorted keys: the CSR matrix rebuilt, nothing recent or zeroed."""
        self._base_keys = keys
        self._matrix = adjacency(self.n, keys // self.n, keys % self.n)
        self._entry_row = np.repeat(np.arange(self.n), np.diff(self._matrix.indptr))
        self._zeroed = 0
        self._set_recent(np.empty(0, np.int64))
        self._base_degree = np.diff(self._matrix.indptr)

    def _set_recent(self, keys: np.ndarray) -> None:
        self._recent = keys
        self._recent_i, self._recent_j = keys // self.n, keys % self.n

    def _fixed_changed(self) -> None:
        """After keys were added or removed: degrees, and a rebuild if the changes carried
        outside the matrix have grown large."""
        if len(self._recent) + self._zeroed > self.REBUILD_SHARE * max(len(self._base_keys), 1):
            self._set_base(self._base_keys)
        else:
            keys = self._base_keys
            self._base_degree = (np.bincount(keys // self.n, minlength=self.n)
                                 + np.bincount(keys % self.n, minlength=self.n))
        self._update_degree()

    @property
    def base(self) -> sp.csr_matrix:
        """The fixed ties as a symmetric 0/1 CSR matrix."""
        if not len(self._recent) and not self._zeroed:
            return self._matrix
        keys = self._base_keys
        return adjacency(self.n, keys // self.n, keys % self.n)

    @property
    def n_new_ties(self) -> int:
        return len(self.new_i)

    @property
    def n_pending(self) -> int:
        return len(self._pending_keys)

    @property
    def matrix(self) -> sp.csr_matrix:
        """The whole symmetric 0/1 adjacency (fixed and grown ties never overlap)."""
        whole = self.base + adjacency(self.n, self.new_i, self.new_j)
        whole.eliminate_zeros()
        return whole

    def neighbour_shares(self, columns: np.ndarray) -> np.ndarray:
        """Share of each resident's neighbours with each column true: (N, m) in [0, 1]."""
        x = columns.astype(np.float32)
        counts = self._matrix @ x
        for col in range(x.shape[1]):  # grown and recent ties are few: count them edge by edge
            for i, j in ((self.new_i, self.new_j), (self._recent_i, self._recent_j)):
                if len(i):
                    counts[:, col] += np.bincount(i, weights=x[j, col], minlength=self.n)
                    counts[:, col] += np.bincount(j, weights=x[i, col], minlength=self.n)
        return counts / np.maximum(self.degree, 1)[:, None]

    def grow(self, took: np.ndarray, took_any: np.ndarray, rules: TieRules,
             rng: np.random.Generator) -> None:
        """One month of §7.6: grown ties decay (unused ones faster), co-participants form new
        ties.

        ``took`` is this month's (N, activities) participation and ``took_any`` its any-row.
        """
        before = self.n_new_ties
        if before:
            used = took_any[self.new_i] & took_any[self.new_j]
            keep = rng.random(before) >= np.where(used, rules.decay_used, rules.decay)
            self._grown_keys = self._grown_keys[keep]
            self.new_i, self.new_j = self.new_i[keep], self.new_j[keep]
        i, j = co_participant_pairs(took, rules, rng)
        added = self._new_keys(np.minimum(i, j) * self.n + np.maximum(i, j))
        if len(self._grown_keys) == before and not len(added):
            return  # nothing dissolved, nothing new: the degrees stand
        if len(added):
            # a merge of two sorted runs: linear in the ties held, with no sort of them
            at = np.searchsorted(self._grown_keys, added)
            self._grown_keys = np.insert(self._grown_keys, at, added)
            self.new_i = np.insert(self.new_i, at, added // self.n)
            self.new_j = np.insert(self.new_j, at, added % self.n)
        self._update_degree()

    def move_out(self, movers: np.ndarray) -> None:
        """Residents ``movers`` (an (N,) bool mask) leave: every tie and would-be tie that
        touches one of them is gone."""
        if not movers.any():
            return
        self._pending_keys = self._pending_keys[~_touches(self._pending_keys, movers, self.n)]
        gone = _touches(self._base_keys, movers, self.n)
        if gone.any():
            self._base_keys = self._base_keys[~gone]
            self._set_recent(self._recent[~_touches(self._recent, movers, self.n)])
            data = self._matrix.data
            zero = (movers[self._entry_row] | movers[self._matrix.indices]) & (data != 0)
            data[zero] = 0.0
            self._zeroed += int(zero.sum()) // 2
        gone = _touches(self._grown_keys, movers, self.n)
        if gone.any():
            self._grown_keys = self._grown_keys[~gone]
            self.new_i, self.new_j = self.new_i[~gone], self.new_j[~gone]
        self._fixed_changed()

    def introduce(self, i: np.ndarray, j: np.ndarray) -> None:
        """Would-be ties (i, j): pairs who will get to know each other (``acquaint``); pairs
        already tied or already pending are ignored."""
        keys = np.unique(np.minimum(i, j) * self.n + np.maximum(i, j))
        keys = keys[keys // self.n != keys % self.n]
        keys = keys[~(_contains(self._base_keys, keys) | _contains(self._pending_keys, keys))]
        self._pending_keys = _merge(self._pending_keys, keys)

    def fixed_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(i, j), i < j, of every fixed tie, in key order."""
        return self._base_keys // self.n, self._base_keys % self.n

    def unknow(self, which: np.ndarray) -> None:
        """Fixed ties ``which`` (a bool mask in ``fixed_pairs`` order) become would-be ties:
        the pair has not got to know each other yet."""
        if which.any():
            self._pending_keys = _merge(self._pending_keys, self._base_keys[which])
            self._set_base(self._base_keys[~which])
            self._update_degree()

    def acquaint(self, rate: float, rng: np.random.Generator) -> None:
        """Each would-be tie becomes a fixed tie with ``rate`` this month (a grown tie between
        the pair becomes fixed too)."""
        if not self.n_pending:
            return
        real = rng.random(self.n_pending) < rate
        if not real.any():
            return
        keys = self._pending_keys[real]
        self._pending_keys = self._pending_keys[~real]
        grown = _contains(keys, self._grown_keys)
        if grown.any():
            self._grown_keys = self._grown_keys[~grown]
            self.new_i, self.new_j = self.new_i[~grown], self.new_j[~grown]
        self._base_keys = _merge(self._base_keys, keys)
        self._set_recent(_merge(self._recent, keys))
        self._fixed_changed()

    def _update_degree(self) -> None:
        grown_degree = np.bincount(self.new_i, minlength=self.n) + np.bincount(self.new_j,
                                                                                minlength=self.n)
        self.degree = self._base_degree + grown_degree

    def _new_keys(self, candidates: np.ndarray) -> np.ndarray:
        """The sorted distinct candidates that are neither fixed nor already grown ties."""
        keys = np.unique(candidates)
        return keys[~(_contains(self._base_keys, keys) | _contains(self._grown_keys, keys))]


def _merge(sorted_keys: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Two sorted runs of distinct keys, disjoint, merged: linear, with no sort of the first."""
    return np.insert(sorted_keys, np.searchsorted(sorted_keys, new), new)


def _touches(keys: np.ndarray, who: np.ndarray, n: int) -> np.ndarray:
    """Which tie keys have an end in the (N,) bool mask ``who``."""
    return who[keys // n] | who[keys % n]


def _contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Which of ``keys`` are in the sorted array ``sorted_keys``."""
    if not len(sorted_keys):
        return np.zeros(len(keys), bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[pos] == keys

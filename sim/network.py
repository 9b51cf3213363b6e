"""The social network (MODEL.md §2 "Social network", §7.6 network growth).

Base ties: building neighbours (each pair with ``building_tie_prob``) plus a Watts–Strogatz
small-world layer inside each community (ring over residents in building order, mean degree k,
rewiring beta). New ties: co-participants of the same activity and community form a tie with
``tie_formation`` per pair and month; a new tie whose two ends both stayed away that month
dissolves with ``tie_decay``. The adjacency is a symmetric 0/1 scipy.sparse CSR matrix.
"""

from __future__ import annotations

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
    """Watts–Strogatz edges inside each community: ring of k/2 neighbours each side, each edge's
    far end rewired to a uniform member of the community with probability beta."""
    n = int(community_size.sum())
    if k == 0 or n == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    community = np.repeat(np.arange(len(community_size)), community_size)
    first, size = community_start[community], community_size[community]
    local = np.arange(n) - first
    heads, tails = [], []
    for offset in range(1, k // 2 + 1):
        tail = first + (local + offset) % size
        rewire = rng.random(n) < beta
        tail = np.where(rewire, first + (rng.random(n) * size).astype(np.int64), tail)
        heads.append(np.arange(n))
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


class Network:
    """Base ties plus ties grown by co-participation."""

    def __init__(self, base: sp.csr_matrix):
        self.base = base
        self.new_i = np.empty(0, np.int64)
        self.new_j = np.empty(0, np.int64)
        self.matrix = base
        self.degree = np.diff(base.indptr)

    @property
    def n_new_ties(self) -> int:
        return len(self.new_i)

    def neighbour_shares(self, columns: np.ndarray) -> np.ndarray:
        """Share of each resident's neighbours with each column true: (N, m) in [0, 1]."""
        counts = self.matrix @ columns.astype(np.float32)
        return counts / np.maximum(self.degree, 1)[:, None]

    def grow(
        self,
        took: np.ndarray,
        community_start: np.ndarray,
        community: np.ndarray,
        tie_formation: float,
        tie_decay: float,
        rng: np.random.Generator,
    ) -> None:
        """One month of §7.6: unused new ties decay, co-participants form new ties."""
        took_any = took.any(axis=1)
        if self.n_new_ties:
            used = took_any[self.new_i] & took_any[self.new_j]
            keep = used | (rng.random(self.n_new_ties) >= tie_decay)
            self.new_i, self.new_j = self.new_i[keep], self.new_j[keep]
        n_comm = len(community_start)
        found_i, found_j = [self.new_i], [self.new_j]
        for a in range(took.shape[1]):
            who = np.flatnonzero(took[:, a])  # sorted, hence grouped by community
            size = np.bincount(community[who], minlength=n_comm)
            start = np.concatenate([[0], np.cumsum(size)[:-1]])
            pi, pj = random_pairs_within_groups(start, size, tie_formation, rng)
            found_i.append(who[pi])
            found_j.append(who[pj])
        i, j = np.concatenate(found_i), np.concatenate(found_j)
        n = self.base.shape[0]
        key = np.unique(np.minimum(i, j) * n + np.maximum(i, j))
        self.new_i, self.new_j = key // n, key % n
        self.matrix = self.base + adjacency(n, self.new_i, self.new_j)
        self.matrix.data[:] = 1.0
        self.degree = np.diff(self.matrix.indptr)

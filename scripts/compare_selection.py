"""The peer for `mtk bench group`: the same network-selection problem as a MILP, solved by HiGHS
through scipy.optimize.milp.

Reads a table written by `mtk bench group --write-tables DIR` (a header of task names, one row per
candidate group, a score in each member's column, empty for non-members; higher is better) and
solves: maximise sum_t sum_{c ∋ t} s[c,t] y[t,c] subject to sum_{c ∋ t} y[t,c] = 1 for every task
(each task served by exactly one chosen group: the best, at the optimum), y[t,c] <= x[c],
sum_c x[c] <= k, x and y binary. Prints one JSON line with the wall time of the solve (model
building excluded), the objective as a mean over tasks (as mtk prints it) and the chosen groups.

Usage: python compare_selection.py TABLE.csv K [--threads N]
"""
import argparse
import json
import time

import numpy as np
import scipy
from scipy.optimize import LinearConstraint, Bounds, milp
from scipy.sparse import coo_matrix


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("table")
    ap.add_argument("k", type=int)
    ap.add_argument("--time-limit", type=float, default=600)
    a = ap.parse_args()
    lines = [l.rstrip("\n").split(",") for l in open(a.table) if l.strip()]
    tasks, rows = lines[0], lines[1:]
    n, C = len(tasks), len(rows)
    pairs = [(c, t, float(v)) for c, row in enumerate(rows) for t, v in enumerate(row) if v.strip()]
    P = len(pairs)
    # variables: x[0..C), y[0..P)
    cost = np.concatenate([np.zeros(C), -np.array([s for _, _, s in pairs])])
    r, cidx, vals = [], [], []
    for p, (c, t, _) in enumerate(pairs):          # each task served exactly once
        r.append(t); cidx.append(C + p); vals.append(1.0)
    A1 = coo_matrix((vals, (r, cidx)), shape=(n, C + P))
    r, cidx, vals = [], [], []
    for p, (c, t, _) in enumerate(pairs):          # y[t,c] - x[c] <= 0
        r += [p, p]; cidx += [C + p, c]; vals += [1.0, -1.0]
    A2 = coo_matrix((vals, (r, cidx)), shape=(P, C + P))
    A3 = coo_matrix((np.ones(C), (np.zeros(C, dtype=int), np.arange(C))), shape=(1, C + P))
    constraints = [LinearConstraint(A1, 1, 1), LinearConstraint(A2, -np.inf, 0), LinearConstraint(A3, 0, a.k)]
    start = time.perf_counter()
    res = milp(cost, constraints=constraints, integrality=np.ones(C + P), bounds=Bounds(0, 1),
               options={"time_limit": a.time_limit})
    seconds = time.perf_counter() - start
    chosen = [] if res.x is None else sorted(c for c in range(C) if res.x[c] > 0.5)
    print(json.dumps({"workload": "network_selection", "engine": "SciPy " + scipy.__version__ + " milp (HiGHS)",
                      "tasks": n, "candidates": C, "max_groups": a.k, "seconds": seconds, "status": res.message,
                      "objective": None if res.x is None else -res.fun / n,
                      "chosen": [[t for t, v in enumerate(rows[c]) if v.strip()] for c in chosen]}))


if __name__ == "__main__":
    main()

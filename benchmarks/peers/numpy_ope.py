"""NumPy peer for benchmarks/ope-speed.ts: the same seven estimators (point estimates) on the same arrays.

OBP is not installable from Debian's packages, so this implements OBP's formulas directly in NumPy.
Reads little-endian binaries written by the harness; prints one JSON line.
"""
import json
import sys
import time

import numpy as np

d = sys.argv[1]
n, actions, repeats = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
a = np.fromfile(f"{d}/actions.bin", dtype=np.int32)
r = np.fromfile(f"{d}/rewards.bin", dtype=np.float64)
p = np.fromfile(f"{d}/propensities.bin", dtype=np.float64)
pi = np.fromfile(f"{d}/target.bin", dtype=np.float64).reshape(n, actions)
q = np.fromfile(f"{d}/model.bin", dtype=np.float64).reshape(n, actions)


def all_estimators():
    rows = np.arange(n)
    w = pi[rows, a] / p
    q_pi = (pi * q).sum(axis=1)
    q_a = q[rows, a]
    res = r - q_a
    out = {
        "dm": q_pi.mean(),
        "ips": (w * r).mean(),
        "snips": (w * r).sum() / w.sum(),
        "dr": (q_pi + w * res).mean(),
        "sndr": q_pi.mean() + (w * res).sum() / w.sum(),
        "switch-dr": (q_pi + np.where(w <= 100, w, 0) * res).mean(),
        "dr-os": (q_pi + (10 * w / (w * w + 10)) * res).mean(),
    }
    return out


all_estimators()
start = time.perf_counter()
for _ in range(repeats):
    values = all_estimators()
seconds = (time.perf_counter() - start) / repeats
print(json.dumps({"numpy": np.__version__, "seconds": seconds, "values": {k: float(v) for k, v in values.items()}}))

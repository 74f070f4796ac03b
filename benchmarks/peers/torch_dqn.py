"""PyTorch CPU peer for benchmarks/dqn-throughput.ts: the same DQN workload, timed the same way.

Run by the TypeScript harness with /usr/bin/python3 (Debian's python3-torch). Prints one JSON line.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn

threads = int(sys.argv[1])
obs_size, hidden, actions, batch = 64, 256, 50, 64
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
torch.set_num_threads(threads)
torch.manual_seed(0)


def mlp():
    return nn.Sequential(nn.Linear(obs_size, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, actions))


online, target = mlp(), mlp()
target.load_state_dict(online.state_dict())
optimizer = torch.optim.Adam(online.parameters(), lr=5e-4)
rng = np.random.default_rng(0)
capacity = 10_000
buf_obs = rng.standard_normal((capacity, obs_size), dtype=np.float32)
buf_next = rng.standard_normal((capacity, obs_size), dtype=np.float32)
buf_act = rng.integers(0, actions, capacity)
buf_rew = rng.standard_normal(capacity).astype(np.float32)
buf_done = (rng.random(capacity) < 0.05).astype(np.float32)


def update():
    idx = rng.integers(0, capacity, batch)
    obs = torch.from_numpy(buf_obs[idx])
    nxt = torch.from_numpy(buf_next[idx])
    act = torch.from_numpy(buf_act[idx])
    rew = torch.from_numpy(buf_rew[idx])
    done = torch.from_numpy(buf_done[idx])
    with torch.no_grad():
        y = rew + 0.99 * (1 - done) * target(nxt).max(dim=1).values
    q = online(obs).gather(1, act.unsqueeze(1)).squeeze(1)
    loss = nn.functional.smooth_l1_loss(q, y)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(online.parameters(), 10.0)
    optimizer.step()


def rate(fn, seconds):
    for _ in range(50):
        fn()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(20):
            fn()
        count += 20
    return count / (time.perf_counter() - start)


x1 = rng.standard_normal((1, obs_size), dtype=np.float32)
x256 = rng.standard_normal((256, obs_size), dtype=np.float32)


def infer1():
    with torch.no_grad():
        online(torch.from_numpy(x1)).numpy()


def infer256():
    with torch.no_grad():
        online(torch.from_numpy(x256)).numpy()


print(json.dumps({
    "torch": torch.__version__,
    "threads": threads,
    "updatesPerSecond": rate(update, seconds),
    "batch1PerSecond": rate(infer1, seconds),
    "batch256PerSecond": rate(infer256, seconds),
}))

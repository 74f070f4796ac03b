"""PyTorch CPU peer for benchmarks/sequence-encoders.ts: the same next-item training step, timed the same way.

Workload (issue 5): item embedding 64, GRU hidden 64 or two single-head pre-LN self-attention blocks of
width 64, sequences of 20 left-padded items, batch 64, a linear softmax head over 1,000 items,
cross-entropy, Adam. Prints one JSON line.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn

threads = int(sys.argv[1])
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
torch.set_num_threads(threads)
torch.manual_seed(0)
ITEMS, WIDTH, T, BATCH = 1000, 64, 20, 64


class Gru(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(ITEMS + 1, WIDTH, padding_idx=0)
        self.gru = nn.GRU(WIDTH, WIDTH, batch_first=True)
        self.head = nn.Linear(WIDTH, ITEMS)

    def forward(self, x):
        out, _ = self.gru(self.emb(x))
        return self.head(out[:, -1])


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(WIDTH)
        self.attn = nn.MultiheadAttention(WIDTH, 1, batch_first=True)
        self.ln2 = nn.LayerNorm(WIDTH)
        self.ffn = nn.Sequential(nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH))

    def forward(self, x, causal):
        a = self.ln1(x)
        x = x + self.attn(a, a, a, attn_mask=causal, need_weights=False)[0]
        return x + self.ffn(self.ln2(x))


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(ITEMS + 1, WIDTH, padding_idx=0)
        self.pos = nn.Parameter(torch.randn(T, WIDTH) * 0.1)
        self.blocks = nn.ModuleList([Block(), Block()])
        self.ln = nn.LayerNorm(WIDTH)
        self.head = nn.Linear(WIDTH, ITEMS)
        self.register_buffer('causal', torch.triu(torch.ones(T, T, dtype=torch.bool), 1))

    def forward(self, x):
        mask = (x > 0).unsqueeze(-1).float()
        h = (self.emb(x) * WIDTH**0.5 + self.pos) * mask
        for block in self.blocks:
            h = block(h, self.causal)
        return self.head(self.ln(h[:, -1]))


rng = np.random.default_rng(0)
result = {'torch': torch.__version__}
for name, model in [('gru', Gru()), ('attention', Attention())]:
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    pool_x = torch.from_numpy(rng.integers(1, ITEMS + 1, (4096, T)))
    pool_y = torch.from_numpy(rng.integers(0, ITEMS, 4096))

    def step():
        idx = torch.from_numpy(rng.integers(0, 4096, BATCH))
        logits = model(pool_x[idx])
        loss = loss_fn(logits, pool_y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(20):
        step()
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(5):
            step()
        count += 5
    result[name] = count / (time.perf_counter() - start)
print(json.dumps(result))

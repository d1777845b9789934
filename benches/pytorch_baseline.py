#!/usr/bin/env python3
"""The digits baseline in PyTorch eager mode, for scripts/bench.sh: the same MLP
(64-128-64-10, ReLU, PyTorch's default nn.Linear initialisation, which tunelab also uses),
Adam at 1e-3 (eps 1e-8), batch 64, shuffled each epoch, the same standardised training split
(exported by the tunelab bench). One measurement per invocation, printed as JSON.

  pytorch_baseline.py train  DATA.csv [--steps N] [--threads T]
  pytorch_baseline.py lrfind DATA.csv [--threads T]   (100-step LR range test, 1e-7 to 10)
  pytorch_baseline.py scale - --batch B --hidden W1,W2 --steps N [--threads T]
      (the scaling table: MLP 64-W1-W2-10 on a synthetic table of 100k rows, 10 classes)
"""
import argparse
import json
import math
import time

import torch
from torch import nn


def load(path):
    xs, ys = [], []
    with open(path) as f:
        for line in f:
            cells = line.strip().split(",")
            if len(cells) < 2:
                continue
            xs.append([float(c) for c in cells[:-1]])
            ys.append(int(cells[-1]))
    return torch.tensor(xs, dtype=torch.float32), torch.tensor(ys, dtype=torch.int64)


def model(widths=(64, 128, 64, 10)):
    torch.manual_seed(0)
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        if i > 0:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(a, b))
    return nn.Sequential(*layers)


def batches(n, batch, gen):
    while True:
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, batch):
            yield perm[i:i + batch]


def train(x, y, steps, batch=64, widths=(64, 128, 64, 10)):
    net = model(widths)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-8)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    it = batches(len(y), batch, gen)
    losses = []
    t0 = time.perf_counter()
    for _ in range(steps):
        idx = next(it)
        opt.zero_grad()
        loss = loss_fn(net(x[idx]), y[idx])
        loss.backward()
        opt.step()
        losses.append(loss.detach())
    torch.stack(losses).tolist()  # read the losses back, as tunelab records them
    dt = time.perf_counter() - t0
    params = sum(p.numel() for p in net.parameters())
    return {"what": "train", "device": "pytorch-eager", "steps": steps, "steps_per_s": round(steps / dt, 2),
            "gflops": round(6 * params * batch * steps / dt / 1e9, 3)}


def lrfind(x, y):
    net = model()
    opt = torch.optim.Adam(net.parameters(), lr=1e-7, eps=1e-8)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    it = batches(len(y), 64, gen)
    n, start, end = 100, 1e-7, 10.0
    avg, best = 0.0, math.inf
    t0 = time.perf_counter()
    for i in range(n):
        lr = start * (end / start) ** (i / (n - 1))
        for g in opt.param_groups:
            g["lr"] = lr
        idx = next(it)
        opt.zero_grad()
        loss = loss_fn(net(x[idx]), y[idx])
        loss.backward()
        value = loss.item()
        avg = 0.98 * avg + 0.02 * value
        smoothed = avg / (1 - 0.98 ** (i + 1))
        if i > 0 and (not math.isfinite(smoothed) or smoothed > 4 * best):
            break
        best = min(best, smoothed)
        opt.step()
    return {"what": "lrfind", "device": "pytorch-eager", "steps": i + 1, "seconds": round(time.perf_counter() - t0, 4)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["train", "lrfind", "scale"])
    p.add_argument("data")
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--hidden", default="128,64")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.mode == "scale":
        # The values do not change the work: standard-normal features, balanced labels.
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(100_000, 64, generator=gen)
        y = torch.arange(100_000) % 10
        widths = (64, *(int(w) for w in a.hidden.split(",")), 10)
        r = train(x, y, a.steps, a.batch, widths)
        r.update(what="scale", batch=a.batch, hidden=a.hidden, threads=a.threads)
        print(json.dumps(r))
        return
    x, y = load(a.data)
    print(json.dumps(train(x, y, a.steps) if a.mode == "train" else lrfind(x, y)))


if __name__ == "__main__":
    main()

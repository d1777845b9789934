#!/usr/bin/env python3
"""PyTorch-made histories for the diagnosis benchmark (scripts/diagnosis-bench.sh --pytorch).

For every run folder that `diagnosis_bench --export-pytorch DIR` wrote (train.csv, val.csv:
features then label; config.json), trains the same configuration in PyTorch eager mode, the
way a student's own script would, and writes what such a script logs:

  epochs.csv  epoch,train_loss,val_loss,train_acc,val_acc,lr
              (train_loss and train_acc: the mean over the epoch's batches, as most training
              loops log them; val: the whole validation set after the epoch)
  steps.csv   step,loss

The model follows tunelab's: Linear layers with ReLU between them, dropout after each hidden
layer but the last (none before the output layer); Adam/AdamW/RMSprop eps 1e-8, SGD momentum
0.9 for sgd-momentum; weight decay as each optimizer's own weight_decay (decoupled for AdamW);
a cosine schedule per step to 0. A loss that turns NaN or infinite ends the run after that
epoch (PyTorch itself would carry on with NaN weights).

  pytorch_runs.py DIR [--threads T]
"""
import argparse
import json
import math
import os

import torch
from torch import nn

from pytorch_baseline import load  # the same CSV reader: features, then the label


def build(n_in, hidden, n_out, dropout):
    layers, width = [], n_in
    for i, h in enumerate(hidden):
        layers += [nn.Linear(width, h), nn.ReLU()]
        if dropout > 0 and i + 1 < len(hidden):
            layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def optimizer(name, params, lr, wd):
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, eps=1e-8, weight_decay=wd)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, eps=1e-8, weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.99, eps=1e-8, weight_decay=wd)
    if name == "sgd-momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=wd)
    return torch.optim.SGD(params, lr=lr, weight_decay=wd)


def fmt(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(float(v))


def run(folder):
    c = json.load(open(os.path.join(folder, "config.json")))
    x, y = load(os.path.join(folder, "train.csv"))
    vx, vy = load(os.path.join(folder, "val.csv"))
    torch.manual_seed(0)
    net = build(x.shape[1], c["hidden"], c["n_classes"], c["dropout"])
    opt = optimizer(c["optimizer"], net.parameters(), c["lr"], c["weight_decay"])
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    n, batch = len(y), min(c["batch_size"], len(y))
    per_epoch = math.ceil(n / batch)
    total = per_epoch * c["epochs"]
    epochs, steps, step = [], [], 0
    for epoch in range(1, c["epochs"] + 1):
        net.train()
        order = torch.randperm(n, generator=gen) if c["shuffle"] else torch.arange(n)
        losses, correct, lr = [], 0, c["lr"]
        for i in range(0, n, batch):
            if c["cosine"]:
                lr = c["lr"] * (1 + math.cos(math.pi * step / total)) / 2
                for g in opt.param_groups:
                    g["lr"] = lr
            idx = order[i:i + batch]
            opt.zero_grad()
            out = net(x[idx])
            loss = loss_fn(out, y[idx])
            loss.backward()
            opt.step()
            value = loss.item()
            steps.append((step, value))
            losses.append(value * len(idx))
            correct += (out.argmax(1) == y[idx]).sum().item()
            step += 1
        net.eval()
        with torch.no_grad():
            out = net(vx)
            val_loss = loss_fn(out, vy).item()
            val_acc = (out.argmax(1) == vy).float().mean().item()
        train_loss = sum(losses) / n
        epochs.append((epoch, train_loss, val_loss, correct / n, val_acc, lr))
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
            break
    with open(os.path.join(folder, "epochs.csv"), "w") as f:
        f.write("epoch,train_loss,val_loss,train_acc,val_acc,lr\n")
        for e in epochs:
            f.write(",".join([str(e[0])] + [fmt(v) for v in e[1:]]) + "\n")
    with open(os.path.join(folder, "steps.csv"), "w") as f:
        f.write("step,loss\n")
        for s, v in steps:
            f.write(f"{s},{fmt(v)}\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    folders = sorted(d for d in os.listdir(a.dir) if os.path.isfile(os.path.join(a.dir, d, "config.json")))
    for i, d in enumerate(folders):
        run(os.path.join(a.dir, d))
        if (i + 1) % 50 == 0:
            print(f"   pytorch: {i + 1} of {len(folders)} runs", flush=True)
    print(f"   pytorch: {len(folders)} runs written under {a.dir}", flush=True)


if __name__ == "__main__":
    main()

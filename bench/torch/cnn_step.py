#!/usr/bin/env python3
"""minidl's PyTorch reference for nn's BenchmarkCNNStep: one training step
(forward, cross-entropy, backward; no optimizer) of cmd/mnist's CNN on a
batch of 64 random 28x28 images, as training samples per second.

    /usr/bin/python3 bench/torch/cnn_step.py [--dtype float64] [--threads 2] [--steps 20]
"""
import argparse
import json
import time

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=20)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    dtype = getattr(torch, a.dtype)
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 10),
    ).to(dtype)
    x = torch.randn(64, 1, 28, 28, dtype=dtype)
    y = torch.zeros(64, dtype=torch.long)

    def step():
        model.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()

    for _ in range(3):  # warm-up
        step()
    start = time.perf_counter()
    for _ in range(a.steps):
        step()
    seconds = time.perf_counter() - start
    print(json.dumps({"dtype": a.dtype, "threads": a.threads, "samples_per_second": 64 * a.steps / seconds}))


if __name__ == "__main__":
    main()

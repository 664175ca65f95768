#!/usr/bin/env python3
"""minidl's PyTorch reference for the LSTM step (bench's "LSTM" table and
nn's BenchmarkLSTMStep): one training step (forward, loss, backward; no
optimizer) of a one-layer LSTM from 32 to 128 features on a batch of 64
random sequences of 50 steps, the loss the mean square of every step's
output, as sequences per second; and the forward pass alone, without a
graph.

    /usr/bin/python3 bench/torch/lstm.py [--dtype float64] [--threads 2] [--steps 10]
"""
import argparse
import json
import time

import torch

IN, HIDDEN, BATCH, STEPS = 32, 128, 64, 50


def rate(f, steps):
    for _ in range(2):  # warm-up
        f()
    start = time.perf_counter()
    for _ in range(steps):
        f()
    return BATCH * steps / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=10)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    dtype = getattr(torch, a.dtype)
    lstm = torch.nn.LSTM(IN, HIDDEN).to(dtype)
    x = torch.randn(STEPS, BATCH, IN, dtype=dtype)

    def step():
        lstm.zero_grad()
        out, _ = lstm(x)
        out.square().mean().backward()

    def forward():
        with torch.no_grad():
            lstm(x)

    print(json.dumps({"dtype": a.dtype, "threads": a.threads,
                      "train_sequences_per_second": rate(step, a.steps),
                      "forward_sequences_per_second": rate(forward, a.steps)}))


if __name__ == "__main__":
    main()

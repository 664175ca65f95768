#!/usr/bin/env python3
"""minidl's PyTorch reference for bench's attention row and nn's
BenchmarkAttentionBlockStep: one training step (forward, backward from the
sum of the output; no optimizer) of a transformer encoder layer — d_model
128, 8 heads, feed-forward 512, batch first, dropout 0 — on 32 random
sequences of 64 steps with a key padding mask (sequence i padded by i mod 8
positions), as sequences per second; with --eval, the forward pass in
evaluation mode with dropout 0.1, under torch.no_grad. The best of three
timed runs of at least 0.05 s each, as bench times minidl's. One JSON line.

    /usr/bin/python3 bench/torch/attention.py [--dtype float64] [--threads 2] [--eval]
"""
import argparse
import json
import time

import torch

BATCH, SEQ, MODEL, HEADS, FF = 32, 64, 128, 8, 512


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--eval", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    dtype = getattr(torch, a.dtype)
    layer = torch.nn.TransformerEncoderLayer(MODEL, HEADS, FF, dropout=0.1 if a.eval else 0.0, batch_first=True).to(dtype)
    x = torch.randn(BATCH, SEQ, MODEL, dtype=dtype)
    pad = torch.tensor([[t >= SEQ - i % 8 for t in range(SEQ)] for i in range(BATCH)])

    def step():
        layer.zero_grad()
        layer(x, src_key_padding_mask=pad).sum().backward()

    def forward():
        with torch.no_grad():
            layer(x, src_key_padding_mask=pad)

    run = step
    if a.eval:
        layer.eval()
        run = forward
    run()
    reps = 1
    while True:
        start = time.perf_counter()
        for _ in range(reps):
            run()
        if time.perf_counter() - start > 0.05:
            break
        reps *= 2
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(reps):
            run()
        best = min(best, (time.perf_counter() - start) / reps)
    print(json.dumps({"dtype": a.dtype, "threads": a.threads, "eval": a.eval, "sequences_per_second": BATCH / best}))


if __name__ == "__main__":
    main()

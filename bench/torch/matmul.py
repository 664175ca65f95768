#!/usr/bin/env python3
"""minidl's PyTorch reference for bench's matmul row: GFLOP/s of square
products, the best of three timed runs of about 0.1 s each, as bench times
minidl's. One JSON line per size.

    /usr/bin/python3 bench/torch/matmul.py --threads 2 --sizes 64,256,512
"""
import argparse
import json
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--sizes", default="64,256,512")
ap.add_argument("--dtype", choices=["float32", "float64"], default="float64")
args = ap.parse_args()
torch.set_num_threads(args.threads)
dtype = getattr(torch, args.dtype)
gen = torch.Generator().manual_seed(1)
for n in (int(s) for s in args.sizes.split(",")):
    a = torch.randn(n, n, dtype=dtype, generator=gen)
    b = torch.randn(n, n, dtype=dtype, generator=gen)
    out = torch.empty(n, n, dtype=dtype)
    torch.mm(a, b, out=out)
    reps = 1
    while True:
        start = time.perf_counter()
        for _ in range(reps):
            torch.mm(a, b, out=out)
        if time.perf_counter() - start > 0.05:
            break
        reps *= 2
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(reps):
            torch.mm(a, b, out=out)
        best = min(best, (time.perf_counter() - start) / reps)
    print(json.dumps({"framework": "pytorch " + torch.__version__, "dtype": args.dtype, "threads": args.threads,
                      "n": n, "gflops": 2 * n ** 3 / best / 1e9}), flush=True)

#!/usr/bin/env python3
"""A small CNN of cmd/mnist's kind in PyTorch, for nn/cnn_checkpoint_test.go.

    /usr/bin/python3 nn/testdata/torch_cnn.py          # writes torch_cnn.safetensors, prints the Go literals
    /usr/bin/python3 nn/testdata/torch_cnn.py FILE     # loads FILE (a minidl checkpoint) strictly, prints its predictions

The network: Conv2d(1, 4, 3, padding=1), BatchNorm2d(4), ReLU, MaxPool2d(2),
Conv2d(4, 6, 3, padding=1), BatchNorm2d(6), ReLU, MaxPool2d(2), Flatten,
Dropout(0.25), Linear(24, 3), on 8x8 images, float64. Two training steps
(SGD) give the batch norms running statistics and a batch count; then, in
evaluation mode, it predicts the images X below. The safetensors file is
written by hand (Debian has no safetensors package), num_batches_tracked as
I64 as PyTorch keeps it.
"""
import json
import math
import os
import struct
import sys

import torch

torch.set_default_dtype(torch.float64)
nn = torch.nn


def model():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(24, 3),
    )


# The images the Go test predicts: x[n, 0, i, j] = sin(0.7·(n·64 + i·8 + j) + 0.3·n).
X = torch.tensor([[[[math.sin(0.7 * (n * 64 + i * 8 + j) + 0.3 * n) for j in range(8)] for i in range(8)]] for n in range(3)])


def read(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    kinds = {"F64": torch.float64, "I64": torch.int64}
    state = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        state[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=kinds[e["dtype"]]).reshape(e["shape"])
    return state


def write(path, state):
    header, blobs, offset = {}, [], 0
    for name, t in state.items():
        b = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": "I64" if t.dtype == torch.int64 else "F64", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def go(values):
    return ", ".join(repr(v) for v in values)


if len(sys.argv) == 2:
    m = model()
    m.load_state_dict(read(sys.argv[1]), strict=True)
    m.eval()
    print(go(m(X).flatten().tolist()))
    sys.exit()

torch.manual_seed(0)
m = model()
opt = torch.optim.SGD(m.parameters(), lr=0.1)
for step in range(2):
    x = torch.randn(5, 1, 8, 8)
    y = torch.tensor([0, 1, 2, 1, 0])
    opt.zero_grad()
    nn.functional.cross_entropy(m(x), y).backward()
    opt.step()
m.eval()
write(os.path.join(os.path.dirname(__file__), "torch_cnn.safetensors"), m.state_dict())
for name, t in m.state_dict().items():
    print(f'\t{{"{name}", []int{{{", ".join(str(d) for d in t.shape)}}}}},')
print("predictions:", go(m(X).flatten().tolist()))

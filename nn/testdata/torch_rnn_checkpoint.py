#!/usr/bin/env python3
"""A small sequence model in PyTorch, for nn/rnn_checkpoint_test.go.

    /usr/bin/python3 nn/testdata/torch_rnn_checkpoint.py        # writes torch_rnn_checkpoint.safetensors, prints the Go literals
    /usr/bin/python3 nn/testdata/torch_rnn_checkpoint.py FILE   # loads FILE (a minidl checkpoint) strictly, prints its predictions

The model: a two-layer bidirectional LSTM(3, 5, batch_first, dropout 0.2)
whose outputs feed a GRU(10, 4, batch_first), both over packed sequences
of the given lengths; the GRU's final state feeds two Linear heads kept in
a ModuleList, whose outputs are concatenated. float64. Two training steps
(SGD, dropout on), then, in evaluation mode, it predicts the sequences X
below with lengths LENGTHS. The safetensors file is written by hand (Debian
has no safetensors package).
"""
import json
import math
import os
import struct
import sys

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.set_default_dtype(torch.float64)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 5, num_layers=2, batch_first=True, bidirectional=True, dropout=0.2)
        self.gru = nn.GRU(10, 4, batch_first=True)
        self.heads = nn.ModuleList([nn.Linear(4, 2), nn.Linear(4, 1)])

    def forward(self, x, lengths):
        steps = x.shape[1]
        y, _ = self.lstm(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
        y, _ = pad_packed_sequence(y, batch_first=True, total_length=steps)
        _, h = self.gru(pack_padded_sequence(y, lengths, batch_first=True, enforce_sorted=False))
        h = h[-1]
        return torch.cat([head(h) for head in self.heads], dim=1)


# The sequences the Go test predicts: x[n, t, i] = sin(0.7·(n·12 + t·3 + i) + 0.3·n).
X = torch.tensor([[[math.sin(0.7 * (n * 12 + t * 3 + i) + 0.3 * n) for i in range(3)] for t in range(4)] for n in range(3)])
LENGTHS = torch.tensor([4, 2, 3])


def read(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    state = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        state[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float64).reshape(e["shape"])
    return state


def write(path, state):
    header, blobs, offset = {}, [], 0
    for name, t in state.items():
        b = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": "F64", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def go(values):
    return ", ".join(repr(v) for v in values)


if len(sys.argv) == 2:
    m = Net()
    m.load_state_dict(read(sys.argv[1]), strict=True)
    m.eval()
    with torch.no_grad():
        print(go(m(X, LENGTHS).flatten().tolist()))
    sys.exit()

torch.manual_seed(0)
m = Net()
opt = torch.optim.SGD(m.parameters(), lr=0.1)
for step in range(2):
    x = torch.randn(4, 5, 3)
    lengths = torch.tensor([5, 3, 1, 4])
    y = torch.randn(4, 3)
    opt.zero_grad()
    nn.functional.mse_loss(m(x, lengths), y).backward()
    opt.step()
m.eval()
write(os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_rnn_checkpoint.safetensors"), m.state_dict())
for name, t in m.state_dict().items():
    print(f'\t{{"{name}", []int{{{", ".join(str(d) for d in t.shape)}}}}},')
with torch.no_grad():
    print("predictions:", go(m(X, LENGTHS).flatten().tolist()))

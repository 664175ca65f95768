#!/usr/bin/env python3
"""Loads a safetensors file written by minidl into torch.nn.Sequential(Linear,
Tanh, Linear, Sigmoid) with strict load_state_dict, reading the format by hand
(Debian has no safetensors package), and prints the model's outputs on XOR.
  /usr/bin/python3 nn/testdata/torch_load.py FILE.safetensors HIDDEN
"""
import json, struct, sys

import torch

raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
state = {}
for name, e in header.items():
    if name == "__metadata__":
        continue
    begin, end = e["data_offsets"]
    state[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float64).reshape(e["shape"])
h = int(sys.argv[2])
model = torch.nn.Sequential(torch.nn.Linear(2, h), torch.nn.Tanh(), torch.nn.Linear(h, 1), torch.nn.Sigmoid()).double()
model.load_state_dict(state, strict=True)
x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
print(json.dumps(model(x).flatten().tolist()))

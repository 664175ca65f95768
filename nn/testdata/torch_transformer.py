#!/usr/bin/env python3
"""torch.nn.TransformerEncoderLayer and TransformerEncoder in PyTorch, for
nn/transformer_torch_test.go.

    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 nn/testdata/torch_transformer.py
        prints the Go literals: two encoder layers' outputs and gradients on
        fixed inputs and weights, the modules as PyTorch prints them, and the
        checkpoint model's predictions; writes torch_transformer.safetensors
    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 nn/testdata/torch_transformer.py FILE
        loads FILE (a minidl checkpoint of the model) strictly and prints its
        predictions

The checkpoint model (class Model): Linear(3, 8), a TransformerEncoder of 2
layers (d_model 8, 2 heads, feed-forward 16, GELU, batch first, dropout 0.1)
with a final LayerNorm, the mean over the sequence, Linear(8, 2); float64.
Two Adam steps in training mode (dropout on), then, in evaluation mode, it
predicts X under a causal mask and a key padding mask. Predictions are made
with gradients enabled, as in training: with them off, PyTorch 1.13 takes
its "fast path", which returns zeros at padded positions (nested tensors)
where the definition, and minidl, compute them. The safetensors file is
written by hand (Debian has no safetensors package).
"""
import json
import math
import os
import struct
import sys

import torch

torch.set_default_dtype(torch.float64)
nn = torch.nn
fmt = lambda t: "[]float64{" + ", ".join(repr(a + 0.0) for a in t.detach().flatten().tolist()) + "}"


def filled(shape, a, b):
    n = 1
    for d in shape:
        n *= d
    return (torch.sin(torch.arange(n) * a) * b + torch.arange(n) * 0.01).reshape(shape)


def ramp(t):
    return torch.arange(1, t.numel() + 1, dtype=torch.float64).reshape(t.shape) / t.numel()


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.input = nn.Linear(3, 8)
        layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))
        self.head = nn.Linear(8, 2)

    def forward(self, x, mask=None, pad=None):
        return self.head(self.encoder(self.input(x), mask=mask, src_key_padding_mask=pad).mean(dim=1))


# The sequences the Go test predicts: x[n, t, j] = sin(0.7·(n·15 + t·3 + j) + 0.3·n),
# of lengths 5, 3 and 4, padded to 5.
X = torch.tensor([[[math.sin(0.7 * (n * 15 + t * 3 + j) + 0.3 * n) for j in range(3)] for t in range(5)] for n in range(3)])
PAD = torch.tensor([[t >= n for t in range(5)] for n in (5, 3, 4)])
CAUSAL = nn.Transformer.generate_square_subsequent_mask(5)


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
        assert e["dtype"] == "F64", e
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
    m = Model()
    m.load_state_dict(read(sys.argv[1]), strict=True)
    m.eval()
    print(go(m(X, CAUSAL, PAD).flatten().tolist()))
    sys.exit()

# Encoder layers on fixed weights, dropout 0: outputs and the gradients of Σ (i+1)/n·out_i.
for name, layer, x, kw in [
    ("postrelu", nn.TransformerEncoderLayer(6, 2, 5, dropout=0.0), filled((4, 2, 6), 1.3, 1.0),
     dict(src_mask=nn.Transformer.generate_square_subsequent_mask(4), src_key_padding_mask=torch.tensor([[False] * 4, [False, False, False, True]]))),
    ("pregelu", nn.TransformerEncoderLayer(6, 3, 5, dropout=0.0, activation="gelu", layer_norm_eps=1e-3, batch_first=True, norm_first=True),
     filled((2, 4, 6), 0.7, 1.0), dict(src_key_padding_mask=torch.tensor([[False, True, False, False], [False] * 4]))),
]:
    for i, (pname, p) in enumerate(layer.named_parameters()):
        p.data = filled(p.shape, 0.37 + 0.11 * i, 0.4) + (1 if pname.endswith("norm1.weight") or pname.endswith("norm2.weight") else 0)
    x = x.clone().requires_grad_(True)
    out = layer(x, **kw)
    (out * ramp(out)).sum().backward()
    print(f"{name} names {[n for n, _ in layer.named_parameters()]}")
    print(f"{name} out {list(out.shape)} {fmt(out)}")
    print(f"{name} dinput {fmt(x.grad)}")
    for pname, p in layer.named_parameters():
        print(f"{name} d{pname} {fmt(p.grad)}")

for m in [nn.MultiheadAttention(16, 4), nn.TransformerEncoderLayer(8, 2, 16),
          nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.2, activation="gelu"), 2, norm=nn.LayerNorm(8))]:
    print(repr(m).replace("\n", "\\n"))

torch.manual_seed(0)
m = Model()
opt = torch.optim.Adam(m.parameters(), lr=0.01)
for step in range(2):
    x = torch.randn(4, 5, 3)
    y = torch.randn(4, 2)
    opt.zero_grad()
    nn.functional.mse_loss(m(x, CAUSAL), y).backward()
    opt.step()
m.eval()
write(os.path.join(os.path.dirname(__file__), "torch_transformer.safetensors"), m.state_dict())
for name, t in m.state_dict().items():
    print(f'\t{{"{name}", []int{{{", ".join(str(d) for d in t.shape)}}}}},')
print("predictions:", go(m(X, CAUSAL, PAD).flatten().tolist()))

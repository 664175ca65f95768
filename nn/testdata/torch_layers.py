#!/usr/bin/env python3
"""Prints LayerNorm's and Embedding's outputs and gradients in PyTorch on
fixed inputs, as Go literals for layers_torch_test.go.
/usr/bin/python3 nn/testdata/torch_layers.py
"""
import torch

torch.set_default_dtype(torch.float64)
fmt = lambda t: "[]float64{" + ", ".join(repr(a + 0.0) for a in t.detach().flatten().tolist()) + "}"


def weighted_backward(y):
    # a weight per element, so that each gradient is checked on its own
    w = torch.arange(1, y.numel() + 1, dtype=torch.float64).reshape(y.shape) / y.numel()
    (y * w).sum().backward()


x0 = (torch.sin(torch.arange(24) * 1.3) * 2 + torch.arange(24) * 0.1).reshape(2, 3, 4)
print(f"x: {fmt(x0)},")
for name, shape, affine, eps in [("last", [4], True, 1e-5), ("last2", [3, 4], True, 1e-3), ("plain", [4], False, 1e-5)]:
    ln = torch.nn.LayerNorm(shape, eps=eps, elementwise_affine=affine)
    if affine:
        with torch.no_grad():
            n = ln.weight.numel()
            ln.weight.copy_((1 + 0.3 * torch.cos(torch.arange(n) * 0.7)).reshape(shape))
            ln.bias.copy_((0.2 * torch.arange(n) - 0.5).reshape(shape))
        print(f"{name} weight: {fmt(ln.weight)}, bias: {fmt(ln.bias)},")
    x = x0.clone().requires_grad_(True)
    y = ln(x)
    weighted_backward(y)
    print(f"{name} y: {fmt(y)},\n grad: {fmt(x.grad)},")
    if affine:
        print(f" wgrad: {fmt(ln.weight.grad)}, bgrad: {fmt(ln.bias.grad)},")

emb = torch.nn.Embedding(5, 3, padding_idx=1)
with torch.no_grad():
    emb.weight.copy_(torch.arange(15).reshape(5, 3) * 0.25 - 1)
    emb.weight[1] = torch.tensor([0.5, -0.5, 2.0])  # a padding row set by hand
idx = torch.tensor([[0, 1, 4], [4, 2, 1]])
y = emb(idx)
weighted_backward(y)
print(f"embedding weight: {fmt(emb.weight)},\n y: {fmt(y)},\n wgrad: {fmt(emb.weight.grad)},")

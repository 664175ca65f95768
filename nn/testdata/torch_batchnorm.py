#!/usr/bin/env python3
"""Prints BatchNorm's outputs, gradients and running statistics in PyTorch
on fixed inputs, as Go literals for batchnorm_test.go: a training step
(with backward), a second training step, then evaluation.
/usr/bin/python3 nn/testdata/torch_batchnorm.py
"""
import torch

torch.set_default_dtype(torch.float64)
fmt = lambda t: "[]float64{" + ", ".join(repr(float(a)) for a in t.detach().flatten().tolist()) + "}"


def filled(shape, a, b, shift=0.0):
    n = 1
    for d in shape:
        n *= d
    return (torch.sin(torch.arange(n) * a) * b + torch.arange(n) * 0.05 + shift).reshape(shape)


for name, layer, shape in [
    ("bn2d", torch.nn.BatchNorm2d(3), (4, 3, 2, 3)),
    ("bn1d", torch.nn.BatchNorm1d(4, momentum=None), (5, 4)),
    ("bn1d3", torch.nn.BatchNorm1d(3, affine=False, momentum=0.3, eps=1e-3), (2, 3, 4)),
]:
    if layer.affine:
        with torch.no_grad():
            c = layer.weight.numel()
            layer.weight.copy_(1 + 0.2 * torch.arange(c))
            layer.bias.copy_(0.1 * torch.arange(c) - 0.2)
    x1 = filled(shape, 1.1, 2.0).requires_grad_(True)
    x2 = filled(shape, 0.6, 1.5, 0.7)
    layer.train()
    y = layer(x1)
    w = torch.arange(1, y.numel() + 1, dtype=torch.float64).reshape(y.shape) / y.numel()
    (y * w).sum().backward()
    print(f"{name} x1 {fmt(x1)}\n{name} x2 {fmt(x2)}\n{name} y {fmt(y)}\n{name} dx {fmt(x1.grad)}")
    if layer.affine:
        print(f"{name} dw {fmt(layer.weight.grad)}\n{name} db {fmt(layer.bias.grad)}")
    layer(x2)
    print(f"{name} mean {fmt(layer.running_mean)}\n{name} var {fmt(layer.running_var)}\n{name} count {fmt(layer.num_batches_tracked)}")
    layer.eval()
    print(f"{name} eval {fmt(layer(x1))}")

#!/usr/bin/env python3
"""Prints Conv2d's and the poolings' outputs and gradients in PyTorch on
fixed inputs, as Go literals for conv_test.go.
/usr/bin/python3 nn/testdata/torch_conv.py
"""
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
fmt = lambda t: "[]float64{" + ", ".join(repr(a + 0.0) for a in t.detach().flatten().tolist()) + "}"


def weighted_backward(y):
    # a weight per element, so that each gradient is checked on its own
    w = torch.arange(1, y.numel() + 1, dtype=torch.float64).reshape(y.shape) / y.numel()
    (y * w).sum().backward()


def filled(shape, a, b):
    n = 1
    for d in shape:
        n *= d
    return (torch.sin(torch.arange(n) * a) * b + torch.arange(n) * 0.01).reshape(shape)


for name, xs, ws, bias, kw in [
    ("strided", (2, 3, 6, 5), (4, 3, 3, 2), True, dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2))),
    ("groups", (2, 4, 4, 3), (6, 2, 2, 2), False, dict(padding=1, groups=2)),
]:
    x = filled(xs, 1.3, 2.0).requires_grad_(True)
    w = filled(ws, 0.7, 0.5).requires_grad_(True)
    b = filled((ws[0],), 2.1, 0.3).requires_grad_(True) if bias else None
    y = F.conv2d(x, w, b, **kw)
    weighted_backward(y)
    print(f'{name} x {fmt(x)}\n{name} w {fmt(w)}')
    if bias:
        print(f'{name} b {fmt(b)}')
    print(f'{name} shape {list(y.shape)}\n{name} y {fmt(y)}\n{name} dx {fmt(x.grad)}\n{name} dw {fmt(w.grad)}')
    if bias:
        print(f'{name} db {fmt(b.grad)}')

xi = torch.floor(filled((2, 2, 5, 6), 1.7, 3.0))  # whole numbers: ties in the windows
print(f"pool x {fmt(xi)}")
for name, f in [
    ("max", lambda x: F.max_pool2d(x, (2, 3), (1, 2), (1, 1))),
    ("maxdefault", lambda x: F.max_pool2d(x, 2)),
    ("avg", lambda x: F.avg_pool2d(x, (3, 2), (2, 1), (1, 1))),
    ("avgexclude", lambda x: F.avg_pool2d(x, (3, 2), (2, 1), (1, 1), count_include_pad=False)),
    ("adaptive", lambda x: F.adaptive_avg_pool2d(x, (3, 4))),
    ("global", lambda x: F.adaptive_avg_pool2d(x, (1, 1))),
]:
    x = xi.clone().requires_grad_(True)
    y = f(x)
    weighted_backward(y)
    print(f'{name} shape {list(y.shape)}\n{name} y {fmt(y)}\n{name} dx {fmt(x.grad)}')

#!/usr/bin/env python3
"""Prints Conv1d's, the 1-D poolings' and padding='same' convolutions'
outputs and gradients in PyTorch on fixed inputs, as Go literals for
conv1d_test.go.
OPENBLAS_CORETYPE=Haswell /usr/bin/python3 nn/testdata/torch_conv1d.py
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


for name, conv, xs, ws, bias, kw in [
    ("strided", F.conv1d, (2, 3, 9), (4, 3, 3), True, dict(stride=2, padding=2, dilation=2)),
    ("groups", F.conv1d, (2, 4, 6), (6, 2, 2), False, dict(padding=1, groups=2)),
    ("same1d", F.conv1d, (2, 3, 7), (2, 3, 4), True, dict(padding='same', dilation=1)),
    ("samedilated", F.conv1d, (2, 2, 8), (3, 2, 2), True, dict(padding='same', dilation=3)),
    ("valid1d", F.conv1d, (1, 2, 6), (2, 2, 3), True, dict(padding='valid', stride=2)),
    ("same2d", F.conv2d, (2, 2, 5, 6), (3, 2, 2, 3), True, dict(padding='same')),
]:
    x = filled(xs, 1.3, 2.0).requires_grad_(True)
    w = filled(ws, 0.7, 0.5).requires_grad_(True)
    b = filled((ws[0],), 2.1, 0.3).requires_grad_(True) if bias else None
    y = conv(x, w, b, **kw)
    weighted_backward(y)
    print(f'{name} shape {list(y.shape)}\n{name} y {fmt(y)}\n{name} dx {fmt(x.grad)}\n{name} dw {fmt(w.grad)}')
    if bias:
        print(f'{name} db {fmt(b.grad)}')

xi = torch.floor(filled((2, 3, 10), 1.7, 3.0))  # whole numbers: ties in the windows
print(f"pool x {fmt(xi)}")
for name, f in [
    ("max", lambda x: F.max_pool1d(x, 3, 2, 1)),
    ("maxdefault", lambda x: F.max_pool1d(x, 2)),
    ("avg", lambda x: F.avg_pool1d(x, 4, 3, 2)),
    ("avgexclude", lambda x: F.avg_pool1d(x, 4, 3, 2, count_include_pad=False)),
    ("adaptive", lambda x: F.adaptive_avg_pool1d(x, 4)),
    ("global", lambda x: F.adaptive_avg_pool1d(x, 1)),
]:
    x = xi.clone().requires_grad_(True)
    y = f(x)
    weighted_backward(y)
    print(f'{name} shape {list(y.shape)}\n{name} y {fmt(y)}\n{name} dx {fmt(x.grad)}')

# The layers as PyTorch prints them, for TestConv1dInitAndString.
nn = torch.nn
for m in [nn.Conv1d(2, 4, 3), nn.Conv1d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, bias=False),
          nn.Conv1d(2, 4, 4, padding='same'), nn.Conv1d(2, 4, 4, padding='valid'),
          nn.Conv2d(2, 4, 3, padding='same'), nn.Conv2d(2, 4, (3, 2), padding='valid'),
          nn.MaxPool1d(2), nn.MaxPool1d(3, 2, 1), nn.AvgPool1d(3), nn.AvgPool1d(3, 1, 1, count_include_pad=False),
          nn.AdaptiveAvgPool1d(1)]:
    print(m)

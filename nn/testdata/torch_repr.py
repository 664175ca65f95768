#!/usr/bin/env python3
"""How PyTorch prints modules (repr), for TestModulesPrintLikePyTorch: each
block this prints is a literal there, next to the minidl module built the
same way.

    /usr/bin/python3 nn/testdata/torch_repr.py
"""
import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 5)
        self.act = nn.ReLU()
        self.out = nn.Linear(5, 2)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1)
        self.blocks = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4, bias=False)])
        self.head = nn.Sequential(nn.Flatten(), MLP())


class Empty(nn.Module):
    pass


modules = [
    nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3)),
    nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Sequential(nn.Linear(8, 8, bias=False), nn.Sigmoid()), nn.Linear(8, 1)),
    nn.Sequential(nn.LeakyReLU(), nn.LeakyReLU(0.2), nn.GELU(), nn.GELU(approximate="tanh"), nn.SiLU(),
                  nn.Softplus(), nn.Softplus(2, 5), nn.ELU(), nn.ELU(0.5), nn.LogSigmoid(), nn.Softmax(1),
                  nn.LogSoftmax(-1), nn.Identity(), nn.Flatten(), nn.Dropout(), nn.Dropout(1.0)),
    nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.Conv2d(6, 4, (5, 3), stride=(2, 1), padding=(2, 1), dilation=(1, 2), groups=2, bias=False),
                  nn.MaxPool2d(2), nn.MaxPool2d((2, 3), stride=(1, 2), padding=(1, 1)),
                  nn.AvgPool2d(3, 1, 1, count_include_pad=False), nn.AdaptiveAvgPool2d((1, 1))),
    nn.Sequential(nn.BatchNorm2d(32), nn.BatchNorm1d(3, momentum=None, affine=False), nn.BatchNorm1d(5, eps=1e-3, momentum=0.0),
                  nn.LayerNorm(4), nn.LayerNorm((3, 4), eps=1e-3, elementwise_affine=False),
                  nn.Embedding(10, 3), nn.Embedding(10, 3, padding_idx=0)),
    MLP(),
    Net(),
    Empty(),
]
for m in modules:
    print(m)
    print("----")

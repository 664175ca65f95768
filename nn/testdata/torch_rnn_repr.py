#!/usr/bin/env python3
"""How PyTorch prints and names recurrent layers and a ModuleList, for
modulelist_test.go and rnn_test.go: each block this prints is a literal
there, next to the minidl module built the same way.

    /usr/bin/python3 nn/testdata/torch_rnn_repr.py
"""
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 3), nn.Tanh())])
        self.empty = nn.ModuleList()
        self.head = nn.Linear(3, 1)


modules = [
    Net(),
    nn.Sequential(
        nn.RNN(3, 4), nn.RNN(3, 4, nonlinearity="relu", bias=False),
        nn.LSTM(3, 4, num_layers=2, batch_first=True, dropout=0.5, bidirectional=True),
        nn.GRU(3, 4, dropout=0.25, num_layers=3),
    ),
]
for m in modules:
    print(m)
    print(list(m.state_dict().keys()))
    print("----")

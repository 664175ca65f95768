#!/usr/bin/env python3
"""minidl's PyTorch reference for bench's XOR row: the 2-8-1 tanh/sigmoid
network, MSE, full-batch Adam (lr 0.05), stopping after 50 epochs in which
the training loss did not fall by more than 1e-6, as bench's Go loop does.
Prints one JSON line with microseconds_per_epoch.

    /usr/bin/python3 bench/torch/xor.py
"""
import json
import time

import torch

torch.manual_seed(1)
torch.set_num_threads(1)
inputs = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
targets = torch.tensor([[0.0], [1.0], [1.0], [0.0]], dtype=torch.float64)
net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1), torch.nn.Sigmoid()).double()
adam = torch.optim.Adam(net.parameters(), lr=0.05)

best, since_best, epochs = float("inf"), 0, 0
start = time.perf_counter()
for epoch in range(5000):
    adam.zero_grad()
    loss = torch.nn.functional.mse_loss(net(inputs), targets)
    loss.backward()
    adam.step()
    epochs += 1
    value = loss.item()
    if epoch == 0 or value < best - 1e-6:
        best, since_best = value, 0
    else:
        since_best += 1
        if since_best >= 50:
            break
took = time.perf_counter() - start
print(json.dumps({"framework": "pytorch " + torch.__version__, "epochs_run": epochs, "final_loss": value,
                  "microseconds_per_epoch": 1e6 * took / epochs}))

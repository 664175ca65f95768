#!/usr/bin/env python3
"""Parameter groups in PyTorch, for optim/groups_test.go.

    /usr/bin/python3 optim/testdata/torch_groups.py

First, the parameters each optimizer reaches after five steps of the fixed
least-squares problem of torch_optim.py when the bias is in a group of its
own (its own rate, no weight decay). Then each group's learning rate, step
by step, under schedules and ReduceLROnPlateau on a two-group SGD (rates
0.5 and 0.1), as the Go test lists them.
"""
import torch

torch.set_default_dtype(torch.float64)
X = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-1.0, 2.0, 0.75], [0.1, 0.2, 0.3]])
Y = torch.tensor([[1.0, -2.0], [0.5, 0.0], [-1.5, 2.5], [0.3, 0.7]])
W0 = torch.tensor([[0.1, -0.2, 0.3], [-0.4, 0.5, -0.6]])
B0 = torch.tensor([0.05, -0.05])

O = torch.optim
cases = {
    "SGD": lambda w, b: O.SGD([{"params": [w]}, {"params": [b], "lr": 0.3, "weight_decay": 0}], lr=0.1, momentum=0.9, weight_decay=0.05),
    "SGDPlain": lambda w, b: O.SGD([{"params": [w]}, {"params": [b], "lr": 0.02}], lr=0.1),
    "SGDDecayOnBias": lambda w, b: O.SGD([{"params": [w]}, {"params": [b], "weight_decay": 0.2}], lr=0.1, momentum=0.5),
    "Adam": lambda w, b: O.Adam([{"params": [w]}, {"params": [b], "lr": 0.05, "weight_decay": 0}], lr=0.01, weight_decay=0.1),
    "AdamW": lambda w, b: O.AdamW([{"params": [w]}, {"params": [b], "weight_decay": 0}], lr=0.01, weight_decay=0.1),
    "AdamWFrozenBias": lambda w, b: O.AdamW([{"params": [w]}, {"params": [b], "lr": 0}], lr=0.02, amsgrad=True),
    "RMSprop": lambda w, b: O.RMSprop([{"params": [w]}, {"params": [b], "lr": 0.001, "weight_decay": 0}], lr=0.01, weight_decay=0.1),
    "Adagrad": lambda w, b: O.Adagrad([{"params": [w]}, {"params": [b], "lr": 0.5, "weight_decay": 0}], lr=0.1, lr_decay=0.01, weight_decay=0.1),
}
for name, make in cases.items():
    w, b = W0.clone().requires_grad_(), B0.clone().requires_grad_()
    opt = make(w, b)
    for _ in range(5):
        opt.zero_grad()
        torch.nn.functional.mse_loss(X @ w.T + b, Y).backward()
        opt.step()
    vals = w.detach().flatten().tolist() + b.detach().tolist()
    print(f'\t{{"{name}", []float64{{{", ".join(repr(v) for v in vals)}}}}},')

S = torch.optim.lr_scheduler


def run(name, make, steps, metrics=None, momentum=False):
    w, b = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    opt = O.SGD([{"params": [w]}, {"params": [b], "lr": 0.1}], lr=0.5, momentum=0.9 if momentum else 0)
    sched = make(opt)
    rows = [[g["lr"] for g in opt.param_groups]]
    for e in range(steps):
        opt.step()
        if metrics is not None:
            sched.step(metrics[e])
        else:
            sched.step()
        rows.append([g["lr"] for g in opt.param_groups])
    for g in range(2):
        print(f'\t{{"{name}", {g}, []float64{{{", ".join(repr(r[g]) for r in rows)}}}}},')


run("cosine", lambda o: S.CosineAnnealingLR(o, 4, 0.01), 8)
run("step", lambda o: S.StepLR(o, 2, 0.5), 6)
run("lambda", lambda o: S.LambdaLR(o, lambda e: 0.9 ** e), 5)
run("warm-restarts", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2, eta_min=0.01), 8)
run("warmup+cosine", lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.1, 1.0, 3), S.CosineAnnealingLR(o, 5, 0.0)], milestones=[3]), 9)
run("onecycle", lambda o: S.OneCycleLR(o, max_lr=[1.0, 0.2], total_steps=10), 9, momentum=True)
run("onecycle-one-max", lambda o: S.OneCycleLR(o, max_lr=0.8, total_steps=6, cycle_momentum=False), 5)
vals = [1, 0.9, 0.95, 0.97, 0.8, 0.85, 0.86, 0.87, 0.7, 0.71]
run("plateau", lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=1, threshold=0, threshold_mode="abs", min_lr=0.04), 10, vals)
run("plateau-floors", lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=0, threshold=0, threshold_mode="abs", min_lr=[0.2, 0.01]), 10, vals)

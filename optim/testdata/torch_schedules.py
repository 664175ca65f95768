#!/usr/bin/env python3
"""Learning rates of chained PyTorch schedulers, for optim's schedule tests.

    /usr/bin/python3 optim/testdata/torch_schedules.py

Each case prints its name and the learning rate after every epoch's steps,
as the Go test lists them.
"""
import torch


def run(name, make, epochs, metrics=None):
    w = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([w], lr=0.1)
    plateau, schedules = make(opt)
    lrs = [opt.param_groups[0]["lr"]]
    for e in range(epochs):
        opt.step()
        if plateau is not None:
            plateau.step(metrics[e])
        for s in schedules:
            s.step()
        lrs.append(opt.param_groups[0]["lr"])
    print(name, ", ".join(repr(v) for v in lrs))


S = torch.optim.lr_scheduler
vals = [1, 0.9, 0.95, 0.97, 0.8, 0.85, 0.86, 0.87, 0.7, 0.71, 0.72, 0.73]
run("step+plateau", lambda o: (S.ReduceLROnPlateau(o, factor=0.1, patience=1, threshold=0, threshold_mode="abs"), [S.StepLR(o, 3, 0.5)]), 12, vals)
run("step+exponential", lambda o: (None, [S.StepLR(o, 2, 0.5), S.ExponentialLR(o, 0.9)]), 8)
run("multistep+linear", lambda o: (None, [S.MultiStepLR(o, [2, 5], 0.1), S.LinearLR(o, 0.25, 1.0, 4)]), 8)
run("cosine", lambda o: (None, [S.CosineAnnealingLR(o, 4, 0.01)]), 10)
run("cosine+plateau", lambda o: (S.ReduceLROnPlateau(o, factor=0.5, patience=0, threshold=0, threshold_mode="abs"), [S.CosineAnnealingLR(o, 6, 0.0)]), 12, vals)

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

# Schedules stepped per batch: the rate (and the momentum, for OneCycleLR)
# after every step.
run("lambda", lambda o: (None, [S.LambdaLR(o, lambda e: 0.95 ** e * (1 + e % 3))]), 10)
run("warm-restarts", lambda o: (None, [S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001)]), 20)
run("warmup+cosine", lambda o: (None, [S.SequentialLR(o, [S.LinearLR(o, 0.1, 1.0, 5), S.CosineAnnealingLR(o, 15, 0.0)], milestones=[5])]), 25)
run("sequential3", lambda o: (None, [S.SequentialLR(o, [S.ExponentialLR(o, 0.9), S.StepLR(o, 2, 0.5), S.LinearLR(o, 0.5, 1.0, 3)], milestones=[3, 7])]), 12)


def one_cycle(name, opt, key, steps, **kw):
    s = S.OneCycleLR(opt, total_steps=steps, **kw)
    lrs, ms = [opt.param_groups[0]["lr"]], [key(opt.param_groups[0])]
    for _ in range(steps - 1):
        opt.step()
        s.step()
        lrs.append(opt.param_groups[0]["lr"])
        ms.append(key(opt.param_groups[0]))
    print(name, ", ".join(repr(v) for v in lrs))
    print(name + "-momentum", ", ".join(repr(v) for v in ms))
    opt.step()
    s.step()  # after the cycle's last batch; minidl gives the final rate where this is negative
    print(name + "-after", repr(opt.param_groups[0]["lr"]))


w = torch.nn.Parameter(torch.zeros(1))
one_cycle("onecycle", torch.optim.SGD([w], lr=0.1, momentum=0.9), lambda g: g["momentum"], 20, max_lr=1.0)
one_cycle("onecycle-adam", torch.optim.Adam([w], lr=0.1), lambda g: g["betas"][0], 17, max_lr=0.5, pct_start=0.25,
          anneal_strategy="linear", three_phase=True, div_factor=10, final_div_factor=100)

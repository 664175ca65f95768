#!/usr/bin/env python3
"""Prints the parameters PyTorch's optimizers reach after five steps of a fixed
least-squares problem; optim_test.go holds the numbers this printed.
  /usr/bin/python3 optim/testdata/torch_optim.py
"""
import torch

torch.set_default_dtype(torch.float64)
X = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-1.0, 2.0, 0.75], [0.1, 0.2, 0.3]])
Y = torch.tensor([[1.0, -2.0], [0.5, 0.0], [-1.5, 2.5], [0.3, 0.7]])
W0 = torch.tensor([[0.1, -0.2, 0.3], [-0.4, 0.5, -0.6]])
B0 = torch.tensor([0.05, -0.05])

cases = {
    "SGD": lambda p: torch.optim.SGD(p, lr=0.1),
    "SGDMomentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "SGDNesterov": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "SGDMomentumPlain": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.8, dampening=0.2),
    "Adam": lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.01),
    "AdamPlain": lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.85, 0.995), eps=1e-6),
    "AdamAMSGrad": lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.9), amsgrad=True),
    "AdamW": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1),
    "RMSprop": lambda p: torch.optim.RMSprop(p, lr=0.01),
    "RMSpropCentered": lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01),
    "Adagrad": lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1),
}
for name, make in cases.items():
    w, b = W0.clone().requires_grad_(), B0.clone().requires_grad_()
    opt = make([w, b])
    for _ in range(5):
        opt.zero_grad()
        torch.nn.functional.mse_loss(X @ w.T + b, Y).backward()
        opt.step()
    vals = w.detach().flatten().tolist() + b.detach().tolist()
    print(f'\t{{"{name}", []float64{{{", ".join(repr(v) for v in vals)}}}}},')

# Learning-rate schedules: the rate at epochs 0 … 9.
def rates(make):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    sched = make(opt)
    out = []
    for _ in range(10):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out

S = torch.optim.lr_scheduler
for name, make in {
    "StepLR": lambda o: S.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda o: S.MultiStepLR(o, milestones=[2, 5, 6], gamma=0.1),
    "ExponentialLR": lambda o: S.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.05),
    "LinearLR": lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4),
}.items():
    print(f'\t{{"{name}", []float64{{{", ".join(repr(v) for v in rates(make))}}}}},')

# ReduceLROnPlateau: the rate after each metric.
metrics = [1.0, 0.95, 0.94, 0.93, 0.92, 0.5, 0.49, 0.48, 0.47, 0.46, 0.45, 0.44, 0.43, 0.1, 0.2]
opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
sched = S.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2, threshold=0.1, threshold_mode="rel", cooldown=1, min_lr=0.2)
out = []
for m in metrics:
    sched.step(m)
    out.append(opt.param_groups[0]["lr"])
print("plateau", out)

#!/usr/bin/env python3
"""Prints the float32 parameters PyTorch's optimizers reach after five steps
on fixed float32 gradients; optim_float32_test.go holds the numbers this
printed. The gradients are exact in float32, so the comparison isolates the
optimizers' arithmetic.
  /usr/bin/python3 optim/testdata/torch_optim32.py
"""
import torch

W0 = torch.tensor([[0.1, -0.2, 0.3], [-0.4, 0.5, -0.6]], dtype=torch.float32)
B0 = torch.tensor([0.05, -0.05], dtype=torch.float32)


def grad(k, n, offset):
    # ((7j + 3k) mod 11 − 5) / 4: whole quarters, exact in float32.
    return torch.tensor([((7 * (j + offset) + 3 * k) % 11 - 5) / 4 for j in range(n)], dtype=torch.float32)


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
    for k in range(5):
        w.grad = grad(k, 6, 0).reshape(2, 3)
        b.grad = grad(k, 2, 6)
        opt.step()
    vals = w.detach().flatten().tolist() + b.detach().tolist()
    print(f'\t{{"{name}", []float32{{{", ".join(repr(v) for v in vals)}}}}},')

# Clipping: the float32 gradients after clip_grad_norm_ and clip_grad_value_.
w, b = W0.clone().requires_grad_(), B0.clone().requires_grad_()
w.grad, b.grad = grad(1, 6, 0).reshape(2, 3), grad(1, 2, 6)
norm = torch.nn.utils.clip_grad_norm_([w, b], 1.5)
print(f'\tnorm {norm.item()!r}, clipped {w.grad.flatten().tolist() + b.grad.tolist()}')

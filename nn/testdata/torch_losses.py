#!/usr/bin/env python3
"""Prints PyTorch's loss values and input gradients on fixed inputs, as Go
literals for loss_test.go.   /usr/bin/python3 nn/testdata/torch_losses.py
"""
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
pred = [0.3, -1.2, 2.5, 0.0, 40.0, -40.0]
targ = [0.5, -1.0, 0.0, 0.0, 1.0, 0.0]
probs = [0.2, 0.9, 1e-20, 1.0, 0.0, 0.5]
ptarg = [0.0, 1.0, 1.0, 0.0, 1.0, 0.3]
logits = [[2.0, -1.0, 0.5], [1000.0, 0.0, -1000.0], [0.1, 0.2, 0.3], [-50.0, 50.0, 0.0]]
labels = [0, 2, 1, 1]
soft = [[0.7, 0.2, 0.1], [0.0, 0.0, 1.0], [0.3, 0.3, 0.4], [0.5, 0.5, 0.0]]


def case(name, f, x, t, **kw):
    x = torch.tensor(x, requires_grad=True)
    t = torch.tensor(t) if not isinstance(t, list) or not isinstance(t[0], int) else torch.tensor(t)
    for red in ["mean", "sum", "none"]:
        out = f(x, t, reduction=red, **kw)
        w = torch.arange(1, out.numel() + 1, dtype=torch.float64).reshape(out.shape)
        x.grad = None
        (out * w).sum().backward()
        vals = out.detach().flatten().tolist()
        grads = x.grad.flatten().tolist()
        fmt = lambda v: ", ".join(repr(a + 0.0) for a in v)
        print(f'\t{{"{name}", {red.capitalize()}, []float64{{{fmt(vals)}}}, []float64{{{fmt(grads)}}}}},')


case("MSE", F.mse_loss, pred, targ)
case("L1", F.l1_loss, pred, targ)
case("Huber", F.huber_loss, pred, targ)
case("Huber2", F.huber_loss, pred, targ, delta=2.0)
case("BCE", F.binary_cross_entropy, probs, ptarg)
case("BCEWithLogits", F.binary_cross_entropy_with_logits, pred, ptarg)
case("CrossEntropy", F.cross_entropy, logits, labels)
case("CrossEntropySmooth", F.cross_entropy, logits, labels, label_smoothing=0.1)
case("CrossEntropySoft", F.cross_entropy, logits, soft)
case("CrossEntropySoftSmooth", F.cross_entropy, logits, soft, label_smoothing=0.2)
cw = torch.tensor([0.2, 1.0, 3.0])
ignored = [0, -100, 2, 1]
case("CrossEntropyWeighted", F.cross_entropy, logits, labels, weight=cw)
case("CrossEntropyIgnore", F.cross_entropy, logits, labels, ignore_index=1)
case("CrossEntropyIgnoreNegative", F.cross_entropy, logits, ignored, ignore_index=-100)
case("CrossEntropyWeightedSmoothIgnore", F.cross_entropy, logits, ignored, weight=cw, label_smoothing=0.1)
case("CrossEntropySoftWeighted", F.cross_entropy, logits, soft, weight=cw, label_smoothing=0.2)
case("BCEWithLogitsPos", F.binary_cross_entropy_with_logits, pred, ptarg, pos_weight=torch.tensor([0.5, 2.0, 3.0, 1.0, 4.0, 0.25]))
case("BCEWithLogitsPos1", F.binary_cross_entropy_with_logits, pred, ptarg, pos_weight=torch.tensor([2.0]))
case("NLL", F.nll_loss, torch.tensor(logits).log_softmax(1).tolist(), labels)

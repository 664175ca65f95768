#!/usr/bin/env python3
"""Prints torch.nn.MultiheadAttention's outputs, attention weights and
gradients in PyTorch on fixed inputs and weights, as Go literals for
attention_torch_test.go. Every gradient is of
Σ (i+1)/n·out_i + Σ (j+1)/m·weights_j over the output and the per-head
weights, so that every element is checked on its own and the weights'
gradient path is checked too.
OPENBLAS_CORETYPE=Haswell /usr/bin/python3 nn/testdata/torch_attention.py
"""
import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)
fmt = lambda t: "[]float64{" + ", ".join(repr(a + 0.0) for a in t.detach().flatten().tolist()) + "}"


def filled(shape, a, b):
    n = 1
    for d in shape:
        n *= d
    return (torch.sin(torch.arange(n) * a) * b + torch.arange(n) * 0.01).reshape(shape)


def ramp(t):
    return torch.arange(1, t.numel() + 1, dtype=torch.float64).reshape(t.shape) / t.numel()


def run(name, mha, q, k, v, **kw):
    # Weights from fixed formulas, so that Go sets the same ones.
    for i, (pname, p) in enumerate(mha.named_parameters()):
        p.data = filled(p.shape, 0.37 + 0.11 * i, 0.4)
    q = q.clone().requires_grad_(True)
    k = q if k is None else k.clone().requires_grad_(True)
    v = k if v is None else v.clone().requires_grad_(True)
    out, w = mha(q, k, v, average_attn_weights=False, **kw)
    _, avg = mha(q, k, v, **kw)
    loss = (out * ramp(out)).sum() + (torch.nan_to_num(w) * ramp(w)).sum()
    loss.backward()
    print(f"{name} names {[n for n, _ in mha.named_parameters()]}")
    print(f"{name} out {list(out.shape)} {fmt(out)}")
    print(f"{name} weights {list(w.shape)} {fmt(w)}")
    print(f"{name} average {list(avg.shape)} {fmt(avg)}")
    grads = [q.grad] + ([] if k is q else [k.grad]) + ([] if v is k else [v.grad])
    for i, g in enumerate(grads):
        print(f"{name} dinput{i} {fmt(g)}")
    for pname, p in mha.named_parameters():
        print(f"{name} d{pname} {fmt(p.grad)}")


N, L, S, E = 2, 3, 4, 6
# self-attention, batch first, no mask
run("self", nn.MultiheadAttention(E, 2, batch_first=True), filled((N, L, E), 1.3, 1.0), None, None)
# cross-attention, sequence first, separate widths, a float attention mask and a bool key padding mask
kpm = torch.tensor([[False, False, True, False], [False, True, True, False]])
am = filled((L, S), 0.9, 0.5)
run("cross", nn.MultiheadAttention(E, 3, kdim=4, vdim=5), filled((L, N, E), 1.1, 1.0),
    filled((S, N, 4), 0.6, 1.0), filled((S, N, 5), 0.8, 1.0), key_padding_mask=kpm, attn_mask=am)
# packed projections on distinct key and value, a 3-D bool mask, no bias
am3 = torch.rand(N * 2, L, S, generator=torch.Generator().manual_seed(3)) > 0.6
am3[:, :, 0] = False  # no row fully masked
print("masked3 mask", [int(b) for b in am3.flatten().tolist()])
run("masked3", nn.MultiheadAttention(E, 2, bias=False, batch_first=True), filled((N, L, E), 1.7, 1.0),
    filled((N, S, E), 0.5, 1.0), filled((N, S, E), 0.3, 1.0), attn_mask=am3)
# causal self-attention, sequence first, plus a key padding mask (1.13 adds no
# float key padding mask to a float attention mask; minidl adds them, as PyTorch 2)
causal = nn.Transformer.generate_square_subsequent_mask(4)
print("causal mask", fmt(causal))
pad = torch.tensor([[False, False, False, False], [False, False, False, True]])
run("causal", nn.MultiheadAttention(E, 2), filled((4, N, E), 0.9, 1.0), None, None, attn_mask=causal, key_padding_mask=pad)
# unbatched, a float key padding mask
run("unbatched", nn.MultiheadAttention(E, 3), filled((L, E), 1.9, 1.0), filled((S, E), 0.2, 1.0), None,
    key_padding_mask=filled((S,), 0.4, 0.3))
# a fully masked query: NaN, as in PyTorch 1.13
full = torch.zeros(L, S, dtype=torch.bool)
full[1, :] = True
run("fullymasked", nn.MultiheadAttention(E, 2, batch_first=True), filled((N, L, E), 1.3, 1.0), filled((N, S, E), 0.7, 1.0), None, attn_mask=full)

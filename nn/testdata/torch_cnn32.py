#!/usr/bin/env python3
"""Writes torch_cnn32.json: float32 inputs, outputs and gradients of
PyTorch 1.13's convolutions, poolings and batch normalization, and a small
CNN's output, loss, gradients and three SGD and three Adam steps, all in
float32, for cnn32_test.go.
  OPENBLAS_CORETYPE=Haswell /usr/bin/python3 nn/testdata/torch_cnn32.py > nn/testdata/torch_cnn32.json
Gradients of single operations are of sum(y * r) for a random r of y's shape.
Values are printed with 9 significant digits, which a float32 survives.
"""
import json
import torch
import torch.nn.functional as F

torch.manual_seed(32)
f32 = torch.float32
torch.set_num_threads(1)


def t(*shape):
    return torch.randn(*shape, dtype=f32)


def flat(x):
    return [float("%.9g" % v) for v in x.detach().flatten().tolist()]


def weighted(f, *inputs):
    """f's output on leaves made from inputs, r, and each input's gradient of sum(y·r)."""
    leaves = [i.clone().requires_grad_() for i in inputs]
    y = f(*leaves)
    r = t(*y.shape)
    (y * r).sum().backward()
    return {"in": [flat(i) for i in inputs], "shapes": [list(i.shape) for i in inputs],
            "y": flat(y), "y_shape": list(y.shape), "r": flat(r), "grads": [flat(i.grad) for i in leaves]}


cases = {}
img = t(2, 4, 7, 6)
cases["conv2d"] = weighted(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
                           img, t(6, 2, 3, 2), t(6))
cases["conv1d_same"] = weighted(lambda x, w, b: F.conv1d(x, w, b, padding="same"), t(2, 3, 9), t(4, 3, 4), t(4))
cases["maxpool2d"] = weighted(lambda x: F.max_pool2d(x, (3, 2), stride=(2, 1), padding=(1, 1)), img)
cases["avgpool2d"] = weighted(lambda x: F.avg_pool2d(x, 3, stride=(1, 2), padding=1), img)
cases["avgpool2d_exclude_pad"] = weighted(lambda x: F.avg_pool2d(x, 3, stride=(1, 2), padding=1, count_include_pad=False), img)
cases["adaptive_avgpool2d"] = weighted(lambda x: F.adaptive_avg_pool2d(x, (3, 4)), img)

# BatchNorm2d(3): one training step (output, gradients of sum(y·r), the
# running statistics after it), then evaluation on another batch.
bn = torch.nn.BatchNorm2d(3)
with torch.no_grad():
    bn.weight.copy_(t(3))
    bn.bias.copy_(t(3))
w0, b0 = flat(bn.weight), flat(bn.bias)
x = (t(4, 3, 5, 5) * 2 + 3).requires_grad_()
y = bn(x)
r = t(*y.shape)
(y * r).sum().backward()
gw, gb = flat(bn.weight.grad), flat(bn.bias.grad)  # before evaluation's backward adds to them
bn.eval()
x2 = (t(2, 3, 5, 5) * 2 + 3).requires_grad_()
y2 = bn(x2)
r2 = t(*y2.shape)
(y2 * r2).sum().backward()
cases["batchnorm2d"] = {"weight": w0, "bias": b0, "x": flat(x), "y": flat(y), "r": flat(r), "gx": flat(x.grad),
                        "gw": gw, "gb": gb,
                        "running_mean": flat(bn.running_mean), "running_var": flat(bn.running_var),
                        "x_eval": flat(x2), "y_eval": flat(y2), "r_eval": flat(r2), "gx_eval": flat(x2.grad)}


# A small CNN: Conv2d(1→4, 3, padding 1, no bias), BatchNorm2d(4), ReLU,
# MaxPool2d(2), Flatten, Linear(64→3), on six 8×8 images; its output,
# cross-entropy, every gradient, then three SGD steps (lr 0.1, momentum 0.9)
# and, from the same start, three Adam steps (lr 0.01). The convolution has
# no bias: the batch norm's mean cancels it, so its gradient is zero but
# for rounding, and Adam would turn that noise into steps of ±lr.
def cnn():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1, bias=False), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64, 3))


model = cnn()
start = {k: v.clone() for k, v in model.state_dict().items()}
images, labels = t(6, 1, 8, 8), torch.tensor([0, 2, 1, 2, 0, 1])
out = model(images)
loss = F.cross_entropy(out, labels)
loss.backward()
params = [p for p in model.parameters()]
small = {"x": flat(images), "labels": labels.tolist(), "params": [flat(p) for p in params],
         "out": flat(out), "loss": loss.item(), "grads": [flat(p.grad) for p in params]}
for name, make in [("sgd", lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
                   ("adam", lambda ps: torch.optim.Adam(ps, lr=0.01))]:
    model = cnn()
    model.load_state_dict(start)
    opt = make(model.parameters())
    for _ in range(3):
        opt.zero_grad()
        F.cross_entropy(model(images), labels).backward()
        opt.step()
    small["after_" + name] = [flat(p) for p in model.parameters()]
    small["running_after_" + name] = [flat(model[1].running_mean), flat(model[1].running_var)]
cases["cnn"] = small

print(json.dumps({"torch": torch.__version__, "cases": cases}))

#!/usr/bin/env python3
"""minidl's PyTorch reference for cmd/mnist: the same networks (--model mlp,
784-H-10 ReLU with SGD; --model cnn, cmd/mnist -model cnn's two conv layers
with batch norm and pooling, dropout and a linear head, with Adam), data
split, loss, batch size and early stopping, printing the same JSON fields
(one line per epoch, then a summary) so that bench/ can divide.

    /usr/bin/python3 bench/torch/mnist.py --data DIR [--model cnn] [--epochs 2] [--threads 1] [--dtype float64]

DIR holds the four MNIST IDX files, gzipped (FetchMNIST's folder). Training
uses the first 50,000 images, validation the last 10,000, the test set t10k.
Times cover the training epochs (with their validation pass) only.
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch


def read_idx(path):
    """Returns the uint8 array of a gzipped IDX file, checking its header."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise SystemExit(f"{path}: not an IDX file of unsigned bytes")
    dims = struct.unpack(">%dI" % raw[3], raw[4:4 + 4 * raw[3]])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * raw[3]).reshape(dims)


def load(folder, part, dtype):
    images = read_idx(os.path.join(folder, part + "-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(folder, part + "-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float64) / 255).to(dtype)
    return x, torch.from_numpy(labels.astype(np.int64))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    ap.add_argument("--lr", type=float, default=None, help="default 0.1 (mlp, SGD) or 0.001 (cnn, Adam)")
    ap.add_argument("--patience", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dtype = getattr(torch, args.dtype)
    x, y = load(args.data, "train", dtype)
    x_test, y_test = load(args.data, "t10k", dtype)
    x_train, y_train, x_val, y_val = x[:50000], y[:50000], x[50000:], y[50000:]

    nn = torch.nn
    if args.model == "mlp":
        net = nn.Sequential(nn.Linear(784, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 10)).to(dtype)
        opt = torch.optim.SGD(net.parameters(), lr=args.lr or 0.1)
    else:
        net = nn.Sequential(
            nn.Unflatten(1, (1, 28, 28)),
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 10),
        ).to(dtype)
        opt = torch.optim.Adam(net.parameters(), lr=args.lr or 0.001)
    cross_entropy = nn.CrossEntropyLoss()

    def assess(inputs, targets):
        net.eval()
        with torch.no_grad():
            loss, correct = 0.0, 0
            for first in range(0, len(inputs), 250):  # cmd/mnist's evaluation batches
                logits = net(inputs[first:first + 250])
                t = targets[first:first + 250]
                loss += cross_entropy(logits, t).item() * len(t)
                correct += (logits.argmax(1) == t).sum().item()
        net.train()
        return loss / len(inputs), correct / len(inputs)

    best_loss, best_weights, since_best, stopped = float("inf"), None, 0, None
    seconds, epochs = 0.0, 0
    for epoch in range(args.epochs):
        start = time.perf_counter()
        order = torch.randperm(len(x_train))
        loss_sum = 0.0
        for first in range(0, len(x_train), args.batch):
            rows = order[first:first + args.batch]
            opt.zero_grad()
            loss = cross_entropy(net(x_train[rows]), y_train[rows])
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(rows)
        val_loss, val_accuracy = assess(x_val, y_val)
        took = time.perf_counter() - start
        seconds += took
        epochs += 1
        print(json.dumps({"epoch": epoch, "loss": loss_sum / len(x_train), "val_loss": val_loss,
                          "val_accuracy": val_accuracy, "seconds": took}), flush=True)
        if val_loss < best_loss:
            best_loss, since_best = val_loss, 0
            best_weights = {k: v.clone() for k, v in net.state_dict().items()}
        else:
            since_best += 1
            if since_best >= args.patience:
                stopped = epoch
                break
    net.load_state_dict(best_weights)
    _, test_accuracy = assess(x_test, y_test)
    print(json.dumps({"summary": True, "framework": "pytorch " + torch.__version__, "model": args.model, "dtype": args.dtype,
                      "threads": args.threads, "epochs_run": epochs, "stopped_epoch": stopped,
                      "best_val_loss": best_loss, "test_accuracy": test_accuracy,
                      "seconds_per_epoch": seconds / epochs,
                      "train_samples_per_second": len(x_train) * epochs / seconds}), flush=True)


if __name__ == "__main__":
    main()

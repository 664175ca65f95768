#!/usr/bin/env python3
"""minidl's PyTorch reference for cmd/mnist: the same 784-H-10 ReLU network,
data split, loss, optimizer, batch size and early stopping, printing the same
JSON fields (one line per epoch, then a summary) so that bench/ can divide.

    /usr/bin/python3 bench/torch/mnist_mlp.py --data DIR [--epochs 2] [--threads 1]

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
    ap.add_argument("--lr", type=float, default=0.1)
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

    net = torch.nn.Sequential(torch.nn.Linear(784, args.hidden), torch.nn.ReLU(), torch.nn.Linear(args.hidden, 10)).to(dtype)
    sgd = torch.optim.SGD(net.parameters(), lr=args.lr)
    cross_entropy = torch.nn.CrossEntropyLoss()

    def assess(inputs, targets):
        with torch.no_grad():
            logits = net(inputs)
            return cross_entropy(logits, targets).item(), (logits.argmax(1) == targets).double().mean().item()

    best_loss, best_weights, since_best, stopped = float("inf"), None, 0, None
    seconds, epochs = 0.0, 0
    for epoch in range(args.epochs):
        start = time.perf_counter()
        order = torch.randperm(len(x_train))
        loss_sum = 0.0
        for first in range(0, len(x_train), args.batch):
            rows = order[first:first + args.batch]
            sgd.zero_grad()
            loss = cross_entropy(net(x_train[rows]), y_train[rows])
            loss.backward()
            sgd.step()
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
    print(json.dumps({"summary": True, "framework": "pytorch " + torch.__version__, "dtype": args.dtype,
                      "threads": args.threads, "epochs_run": epochs, "stopped_epoch": stopped,
                      "best_val_loss": best_loss, "test_accuracy": test_accuracy,
                      "seconds_per_epoch": seconds / epochs,
                      "train_samples_per_second": len(x_train) * epochs / seconds}), flush=True)


if __name__ == "__main__":
    main()

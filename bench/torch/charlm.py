#!/usr/bin/env python3
"""minidl's PyTorch twin of cmd/charlm: the same text (the same packages,
files, per-package shares of the character budget, greedy 80/10/10 split by
file, 98-symbol vocabulary), the same model (Embedding -> LSTM batch_first ->
Linear), loss, optimizer (Adam, gradient norm clipped), batches and early
stopping (patience on a bias-corrected EMA of val_loss, alpha 0.5, best
weights restored), printing cmd/charlm -json's fields.

    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 bench/torch/charlm.py [--chars 100000] [--threads 2]

Not yet compared against cmd/charlm in one sitting (see the branch report).
"""
import argparse, copy, hashlib, json, math, os, subprocess, time

import torch

PACKAGES = ["bufio", "bytes", "container/heap", "container/list", "container/ring",
            "encoding/base32", "encoding/base64", "encoding/csv", "encoding/hex",
            "errors", "fmt", "io", "math/bits", "path", "sort", "strconv", "strings",
            "text/tabwriter", "unicode/utf16", "unicode/utf8"]
VOCAB = 98
SHARES = [0.8, 0.1, 0.1]


def symbol(c):
    if c == "\t":
        return 1
    if c == "\n":
        return 2
    if " " <= c <= "~":
        return ord(c) - 32 + 3
    return 0


def read_corpus(goroot, budget):
    splits, sizes, left = [[], [], []], [0, 0, 0], budget
    for i, pkg in enumerate(PACKAGES):
        d = os.path.join(goroot, "src", pkg)
        names = sorted(n for n in os.listdir(d) if n.endswith(".go") and not n.endswith("_test.go")
                       and os.path.isfile(os.path.join(d, n)))
        if not names:
            raise SystemExit(f"no Go sources in {d}")
        share = left // (len(PACKAGES) - i)
        for n in names:
            if share == 0:
                break
            with open(os.path.join(d, n), "rb") as f:
                text = f.read(share * 4).decode("utf-8", errors="replace")
            syms = [symbol(c) for c in text[:share]]
            s = min(range(3), key=lambda k: (sizes[k] / SHARES[k], k))
            sizes[s] += len(syms)
            share -= len(syms)
            left -= len(syms)
            splits[s] += syms
    return splits


def windows(syms, seq):
    n = (len(syms) - 1) // seq
    t = torch.tensor(syms[:n * seq + 1])
    return t[:-1].view(n, seq), t[1:].view(n, seq)


class CharLM(torch.nn.Module):
    def __init__(self, embed, hidden, layers, dropout):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, embed)
        self.lstm = torch.nn.LSTM(embed, hidden, num_layers=layers, batch_first=True, dropout=dropout)
        self.head = torch.nn.Linear(hidden, VOCAB)

    def forward(self, x):
        h, _ = self.lstm(self.embed(x))
        return self.head(h.reshape(-1, h.shape[2]))


def evaluate(model, x, y, batch):
    model.eval()
    loss = hits = 0.0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out = model(x[i:i + batch])
            t = y[i:i + batch].reshape(-1)
            loss += torch.nn.functional.cross_entropy(out, t, reduction="sum").item()
            hits += (out.argmax(1) == t).sum().item()
    model.train()
    return loss / y.numel(), hits / y.numel()


def main():
    p = argparse.ArgumentParser()
    for name, v in [("chars", 200000), ("seq", 64), ("batch", 32), ("embed", 32), ("hidden", 128),
                    ("layers", 1), ("epochs", 40), ("patience", 20), ("seed", 1), ("threads", 2)]:
        p.add_argument("--" + name, type=int, default=v)
    p.add_argument("--lr", type=float, default=0.002)
    p.add_argument("--clip", type=float, default=5)
    p.add_argument("--dropout", type=float, default=0)
    p.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    p.add_argument("--goroot", default="")
    a = p.parse_args()
    start = time.perf_counter()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    goroot = a.goroot or subprocess.check_output(["go", "env", "GOROOT"], text=True).strip()
    splits = read_corpus(goroot, a.chars)
    (xt, yt), (xv, yv), (xs, ys) = [windows(s, a.seq) for s in splits]
    model = CharLM(a.embed, a.hidden, a.layers, a.dropout).to(getattr(torch, a.dtype))
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    m = w = 0.0
    best, best_epoch, best_state, wait, stopped, seconds = math.inf, -1, None, 0, None, 0.0
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        perm, total = torch.randperm(len(xt)), 0.0
        for i in range(0, len(xt), a.batch):
            idx = perm[i:i + a.batch]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx].reshape(-1))
            loss.backward()
            if a.clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
            opt.step()
            total += loss.item() * len(idx)
        val_loss, val_acc = evaluate(model, xv, yv, 4 * a.batch)
        dt = time.perf_counter() - t0
        seconds += dt
        print(json.dumps({"epoch": epoch, "loss": total / len(xt), "val_loss": val_loss,
                          "val_accuracy": val_acc, "seconds": dt}), flush=True)
        m, w = 0.5 * val_loss + 0.5 * m, min(1, 0.5 + 0.5 * w)
        smooth = m / w
        if smooth < best:
            best, best_epoch, best_state, wait = smooth, epoch, copy.deepcopy(model.state_dict()), 0
        else:
            wait += 1
            if wait >= a.patience:
                stopped = epoch
                break
    model.load_state_dict(best_state)
    test_loss, test_acc = evaluate(model, xs, ys, 4 * a.batch)
    epochs = (stopped if stopped is not None else a.epochs - 1) + 1
    print(json.dumps({"summary": True, "framework": "pytorch", "dtype": a.dtype, "threads": a.threads,
                      "epochs_run": epochs, "stopped_epoch": stopped, "best_epoch": best_epoch,
                      "best_val_loss": best, "test_loss": test_loss, "test_bpc": test_loss / math.log(2),
                      "test_accuracy": test_acc, "seconds_per_epoch": seconds / epochs,
                      "train_chars_per_second": xt.numel() * epochs / seconds,
                      "seconds_total": time.perf_counter() - start,
                      "train_sha256": hashlib.sha256(bytes(splits[0])).hexdigest()}))


if __name__ == "__main__":
    main()

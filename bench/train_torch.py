"""PyTorch side of bench/train.ts: train vigil's autoencoder, started from vigil's own initial weights, print JSON.

Usage: OPENBLAS_NUM_THREADS=k OMP_NUM_THREADS=k python3 bench/train_torch.py CONFIG.json
CONFIG (written by bench/train.ts): arch, window, channels, hidden, code, kernel; train / val / init: paths of raw
float32 files (N x W x C windows; the initial weights layer by layer, kernel then bias, in vigil's layouts); epochs,
batch, lr, eps, seed, threads. Reports per-epoch wall and process CPU time of the gradient steps, the validation loss
before training and after each epoch, and the threads actually in use (torch, OpenBLAS, and /proc busy threads).
"""
import ctypes
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

CLK_TCK = os.sysconf("SC_CLK_TCK")


def build(cfg):
    """The layer list of train/models/architectures.ts (dense or conv body), as torch modules."""
    w, c = cfg["window"], cfg["channels"]
    if cfg["arch"] == "dense":
        layers, width = [nn.Flatten()], w * c
        for h in cfg["hidden"]:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers += [nn.Linear(width, cfg["code"])]
        width = cfg["code"]
        for h in reversed(cfg["hidden"]):
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers += [nn.Linear(width, w * c), nn.Unflatten(1, (w, c))]
        return nn.Sequential(*layers)
    k, p = cfg["kernel"], (cfg["kernel"] - 1) // 2
    widths = cfg["hidden"] + [cfg["code"]]

    class ConvAE(nn.Module):
        def __init__(self):
            super().__init__()
            enc, cin, lengths = [], c, [w]
            for i, f in enumerate(widths):
                enc.append(nn.Conv1d(cin, f, k, 2, p))
                if i < len(widths) - 1:
                    enc.append(nn.ReLU())
                lengths.append((lengths[-1] + 2 * p - k) // 2 + 1)
                cin = f
            dec, outs = [], list(reversed(cfg["hidden"])) + [c]
            for i, f in enumerate(outs):
                l_in, target = lengths[len(widths) - i], lengths[len(widths) - i - 1]
                op = target - ((l_in - 1) * 2 - 2 * p + k)
                dec.append(nn.ConvTranspose1d(cin, f, k, 2, p, output_padding=op))
                if i < len(outs) - 1:
                    dec.append(nn.ReLU())
                cin = f
            self.enc, self.dec = nn.Sequential(*enc), nn.Sequential(*dec)

        def forward(self, x):  # x: N, W, C (time-major, like vigil)
            return self.dec(self.enc(x.transpose(1, 2))).transpose(1, 2)

    return ConvAE()


def load_init(model, path):
    """Copy vigil's initial weights in: dense [in, units]; conv [k*Cin, F] (row j*Cin+ci); convT [Cin, k*F] (col j*F+co)."""
    flat = np.fromfile(path, dtype=np.float32)
    at = 0
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.ConvTranspose1d)):
            w = m.weight.detach()
            n = w.numel()
            k = flat[at:at + n]
            at += n
            if isinstance(m, nn.Linear):
                t = k.reshape(w.shape[1], w.shape[0]).T
            elif isinstance(m, nn.ConvTranspose1d):  # weight [Cin, F, k]
                cin, f, kk = w.shape
                t = k.reshape(cin, kk, f).transpose(0, 2, 1)
            else:  # Conv1d weight [F, Cin, k]
                f, cin, kk = w.shape
                t = k.reshape(kk, cin, f).transpose(2, 1, 0)
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(np.ascontiguousarray(t)))
                m.bias.copy_(torch.from_numpy(flat[at:at + m.bias.numel()]))
            at += m.bias.numel()
    if at != flat.size:
        raise SystemExit(f"init weights: used {at} of {flat.size} values; the architectures differ")


def thread_cpu():
    """CPU seconds per thread of this process, from /proc/self/task/*/stat."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            f = open(f"/proc/self/task/{tid}/stat").read().rsplit(")", 1)[1].split()
            out[tid] = (int(f[11]) + int(f[12])) / CLK_TCK
        except OSError:
            pass
    return out


def openblas_threads():
    """openblas_get_num_threads() of the OpenBLAS this process loaded, or None."""
    for line in open("/proc/self/maps"):
        if ("openblas" in line or "libblas" in line) and ".so" in line:
            try:
                return ctypes.CDLL(line.split()[-1]).openblas_get_num_threads()
            except (OSError, AttributeError):
                continue
    return None


def main():
    cfg = json.load(open(sys.argv[1]))
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(cfg["seed"])
    shape = (-1, cfg["window"], cfg["channels"])
    train = torch.from_numpy(np.fromfile(cfg["train"], dtype=np.float32).reshape(shape))
    val = torch.from_numpy(np.fromfile(cfg["val"], dtype=np.float32).reshape(shape))
    model = build(cfg)
    load_init(model, cfg["init"])
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"], eps=cfg["eps"])
    loss_fn = nn.MSELoss()
    with torch.no_grad():
        init_val = loss_fn(model(val), val).item()
    bs, n = cfg["batch"], train.shape[0]
    epochs = []
    threads0 = thread_cpu()
    for _ in range(cfg["epochs"]):
        t0, c0 = time.perf_counter(), time.process_time()
        model.train()
        perm = torch.randperm(n)
        for s in range(0, n, bs):
            x = train[perm[s:s + bs]]
            opt.zero_grad()
            loss = loss_fn(model(x), x)
            loss.backward()
            opt.step()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        model.eval()
        with torch.no_grad():
            epochs.append({"wall": wall, "cpu": cpu, "valLoss": loss_fn(model(val), val).item()})
    threads1 = thread_cpu()
    used = {t: threads1[t] - threads0.get(t, 0) for t in threads1}
    total = sum(used.values())
    print(json.dumps({
        "framework": f"pytorch {torch.__version__}",
        "initValLoss": init_val,
        "epochs": epochs,
        "threads": {
            "torch": torch.get_num_threads(),
            "openblas": openblas_threads(),
            "os": len(threads1),
            "busy": sum(1 for v in used.values() if total > 0 and v > 0.1 * total),
            "cpuByThread": sorted((round(v, 2) for v in used.values()), reverse=True)[:4],
        },
    }))


if __name__ == "__main__":
    main()

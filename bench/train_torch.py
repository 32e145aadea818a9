"""PyTorch reference for bench/train.ts: train the same autoencoder on the same windows, print JSON.

Usage: python3 bench/train_torch.py CONFIG.json   (written by bench/train.ts: arch, window, channels, sizes,
data file paths of raw float32 N x W x C windows, epochs, batch size, learning rate, seed).
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn


def build(cfg):
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


def main():
    cfg = json.load(open(sys.argv[1]))
    torch.manual_seed(cfg["seed"])
    shape = (-1, cfg["window"], cfg["channels"])
    train = torch.from_numpy(np.fromfile(cfg["train"], dtype=np.float32).reshape(shape))
    val = torch.from_numpy(np.fromfile(cfg["val"], dtype=np.float32).reshape(shape))
    model = build(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    loss_fn = nn.MSELoss()
    epochs, bs, n = cfg["epochs"], cfg["batch"], train.shape[0]
    times, cpu_times, val_loss = [], [], float("nan")
    for _ in range(epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        model.train()
        perm = torch.randperm(n)
        for s in range(0, n, bs):
            x = train[perm[s:s + bs]]
            opt.zero_grad()
            loss = loss_fn(model(x), x)
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
        model.eval()
        with torch.no_grad():
            val_loss = loss_fn(model(val), val).item()
    print(json.dumps({
        "framework": f"pytorch {torch.__version__}",
        "threads": torch.get_num_threads(),
        "secondsPerEpoch": sorted(times)[len(times) // 2],
        "cpuSecondsPerEpoch": sorted(cpu_times)[len(cpu_times) // 2],
        "valLoss": val_loss,
    }))


if __name__ == "__main__":
    main()

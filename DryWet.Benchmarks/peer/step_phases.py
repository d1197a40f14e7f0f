#!/usr/bin/python3
"""PyTorch side of `DryWet.Benchmarks training-phases`: the training step alone, timed per phase.

EfficientNet-B3 as the peer builds it (shared/peers/seed_model.py, random weights), train mode, one fixed random
batch, focal loss (gamma 2), AdamW(lr 1e-3, weight_decay 1e-2), clip_grad_norm_(1.0); 2 warm-up steps, then
forward + loss, backward, clipping and AdamW in ms per step. Layout "nchw" is the original's; "channels_last" makes
only the input channels-last, as DryWet's trainer does.

  cp DryWet.Benchmarks/peer/step_phases.py /opt/trixie/peers/
  chroot /opt/trixie python3 /peers/step_phases.py --size 224 --layout channels_last --steps 5
"""

import argparse
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch
import torch.nn.functional as F

import seed_model as sm


def focal(logits, targets, gamma=2.0):
    ce = F.cross_entropy(logits, targets, reduction="none")
    return ((1 - torch.exp(-ce)) ** gamma * ce).mean()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--layout", choices=("nchw", "channels_last"), default="nchw")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    model, _ = sm.build_model(seed=0, weights=None, calibrate=False)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    x = torch.randn(a.batch, 3, a.size, a.size, generator=torch.Generator().manual_seed(0))
    if a.layout == "channels_last":
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.tensor([i % 2 for i in range(a.batch)])

    totals = [0.0, 0.0, 0.0, 0.0]
    for step in range(a.steps + 2):
        t0 = time.perf_counter()
        optimizer.zero_grad()
        loss = focal(model(x), y)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        t3 = time.perf_counter()
        optimizer.step()
        t4 = time.perf_counter()
        if step >= 2:
            for i, (start, end) in enumerate(((t0, t1), (t1, t2), (t2, t3), (t3, t4))):
                totals[i] += end - start

    fwd, bwd, clip, opt = (1000 * t / a.steps for t in totals)
    print(f"PyTorch {torch.__version__} efficientnet_b3 {a.size}px batch {a.batch} {a.layout}: forward {fwd:.0f} ms, "
          f"backward {bwd:.0f} ms, clip {clip:.0f} ms, AdamW {opt:.0f} ms per step; "
          f"{a.batch * 1000 / (fwd + bwd + clip + opt):.2f} img/s", flush=True)


if __name__ == "__main__":
    main()

"""Train the Fashion-MNIST classifier that ganzoo ships as its offline FID/KID/IS feature extractor.

    python -m bench.zoo.classifier       # writes ganzoo/metrics/weights/fmnist_classifier.safetensors

Reads the standard IDX files (Debian's dataset-fashion-mnist, or --data_dir), trains on the 60k training images
padded to 32x32 (random flips and 2-px shifts), reports the accuracy on the 10k test images and writes the weights
(safetensors, with the accuracy in the metadata) and bench/results/fmnist_classifier.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from bench.common import RESULTS_DIR, ROOT
from ganzoo.data.idx import default_fashion_mnist_dir, load_idx_split
from ganzoo.io import atomic_write, atomic_write_bytes
from ganzoo.metrics.classifier import WEIGHTS, FashionMNISTClassifier, sha256


def load(root: Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = load_idx_split(root, split)
    x = F.pad(torch.from_numpy(x).float().div(255)[:, None], (2, 2, 2, 2))  # [0, 1], 32x32
    return x, torch.from_numpy(y)


@torch.no_grad()
def accuracy(model: FashionMNISTClassifier, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    pred = torch.cat([model(x[i: i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    return float((pred == y).float().mean())


def augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    flip = torch.rand(len(x), generator=g) < 0.5
    x = torch.where(flip[:, None, None, None].to(x.device), x.flip(-1), x)
    dx, dy = (int(v) for v in torch.randint(-2, 3, (2,), generator=g))
    return torch.roll(x, shifts=(dy, dx), dims=(-2, -1))  # the 2-px border is background


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data_dir", default=None)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch_size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(WEIGHTS))
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args(argv)
    root = Path(args.data_dir) if args.data_dir else default_fashion_mnist_dir()
    if root is None:
        raise SystemExit("Fashion-MNIST not found: apt-get install dataset-fashion-mnist, or pass --data_dir")
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    dev = torch.device(args.device)
    xtr, ytr = (t.to(dev) for t in load(root, "train"))
    xte, yte = (t.to(dev) for t in load(root, "test"))
    model = FashionMNISTClassifier().to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-4)
    steps = args.epochs * (len(xtr) // args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps)
    g = torch.Generator().manual_seed(args.seed)
    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=g).to(dev)
        total = 0.0
        for i in range(len(xtr) // args.batch_size):
            idx = perm[i * args.batch_size: (i + 1) * args.batch_size]
            loss = F.cross_entropy(model(augment(xtr[idx], g)), ytr[idx], label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss)
        acc = accuracy(model, xte, yte)
        print(f"epoch {epoch + 1}/{args.epochs}: train loss {total / (i + 1):.4f}, test accuracy {acc:.4f}, "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
    seconds = time.perf_counter() - t0
    from safetensors.torch import save

    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {"test_accuracy": f"{acc:.4f}", "epochs": str(args.epochs), "seed": str(args.seed),
            "script": "python -m bench.zoo.classifier"}
    atomic_write_bytes(args.out, save(state, metadata=meta))
    os.chmod(args.out, 0o644)  # shipped with the package: readable by everyone
    result = {"test_accuracy": round(acc, 4), "epochs": args.epochs, "seconds": round(seconds, 1),
              "device": str(dev), "threads": torch.get_num_threads(), "sha256": sha256(args.out),
              "weights": str(Path(args.out).resolve().relative_to(ROOT)) if str(args.out).startswith(str(ROOT))
              else str(args.out)}
    atomic_write(RESULTS_DIR / "fmnist_classifier.json",
                 lambda f: f.write(json.dumps(result, indent=1).encode()))
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""Run by tests/test_ddp.py under a 2-process DDP strategy (Lightning re-launches this script for rank 1).

    python tests/ddp_worker.py VARIANT STRATEGY DEVICES OUT_DIR   # harness model: save every rank's weights
    python tests/ddp_worker.py all STRATEGY DEVICES OUT_DIR       # every variant, a few steps each
    torchrun --nnodes 2 --node_rank R ... tests/ddp_worker.py VARIANT STRATEGY 1 OUT_DIR 2   # 2 "nodes"
"""

import json
import sys

import lightning as L
import torch
from ddp_harness import build, data_for, trainer
from safetensors.torch import save_file

import ganzoo
from ganzoo.cli import _end_process_group
from ganzoo.data import Toy2DDataModule


def smoke(strategy: str, devices: int, out: str) -> None:
    """Each variant for a few generator iterations; record counters, finiteness and a weight checksum per rank."""
    report = {}
    for name in ganzoo.list_variants("latent"):  # the 2-D variants (conditional ones need labelled images)
        if ganzoo.variants.get_variant(name).paper.conditional:
            continue
        L.seed_everything(0)
        m = ganzoo.variants.get_variant(name)(hidden_dim=16, n_layers=2, max_gen_iters=2)
        m.export_dir = None
        tr = trainer(out, strategy=strategy, devices=devices)
        tr.fit(m, Toy2DDataModule(batch_size=16))
        flat = torch.cat([p.detach().reshape(-1) for p in m.parameters()])
        report[name] = {"gen_iters": m.gen_iters, "finite": bool(torch.isfinite(flat).all()),
                        "checksum": float(flat.double().sum())}
    with open(f"{out}/smoke_rank{tr.global_rank}.json", "w") as f:
        json.dump(report, f)


if __name__ == "__main__":
    variant, strategy, devices, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    num_nodes = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    torch.set_num_threads(1)
    if variant == "all":
        smoke(strategy, devices, out)
    else:
        m = build(variant)
        tr = trainer(out, strategy=strategy, devices=devices, num_nodes=num_nodes)
        tr.fit(m, data_for(variant))
        state = {k: v.detach().cpu().contiguous() for k, v in m.state_dict().items()}
        state["_counters"] = torch.tensor([m.gen_iters, m.critic_iters])
        save_file(state, f"{out}/rank{tr.global_rank}.safetensors")
    _end_process_group()  # as `ganzoo fit` does: left to the interpreter's exit, gloo aborts some runs

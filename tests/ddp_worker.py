"""Run by tests/test_ddp.py: train a harness model under a DDP strategy and save every rank's weights.

usage: python tests/ddp_worker.py VARIANT STRATEGY DEVICES OUT_DIR
"""

import sys

import torch
from ddp_harness import FixedGlobalBatches, build, trainer
from safetensors.torch import save_file

if __name__ == "__main__":
    variant, strategy, devices, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    torch.set_num_threads(1)
    m = build(variant)
    tr = trainer(out, strategy=strategy, devices=devices)
    tr.fit(m, FixedGlobalBatches())
    state = {k: v.detach().cpu().contiguous() for k, v in m.state_dict().items()}
    state["_counters"] = torch.tensor([m.gen_iters, m.critic_iters])
    save_file(state, f"{out}/rank{tr.global_rank}.safetensors")

"""Why does squared Hellinger not learn on images? Short f-GAN runs of the Fashion-MNIST recipe that log, every 25
generator iterations, how many of a batch's fake samples the generator's update actually uses.

The generator's alternative update maximises E_Q[g_f(V(G(z)))], so sample i enters its gradient with the weight
w_i = g_f'(v_i). KL and Pearson (g_f(v) = v) weigh every sample 1; JS (log 2 - softplus(-v)) weighs by
sigmoid(-v) <= 1; reverse KL (-exp(-v)) and squared Hellinger (1 - exp(-v)) weigh by exp(-v), unbounded: the
samples the critic rejects most dominate. The effective sample size (sum w)^2 / sum w^2 of 256 fakes, as a fraction
of 256, says how many drive the update. Each variant's run also reports its 2,000-sample FID every 500 iterations.

    python -m bench.quality.fgan_hellinger                      # the variants below, 1,000 generator iterations each
    python -m bench.quality.fgan_hellinger --iters 600 --only hellinger hellinger_lr5e-5
    taskset -c 0 python -m bench.quality.fgan_hellinger --iters 1000 --only hellinger hellinger_beta2_0.9  # the docs'
    taskset -c 0 python -m bench.quality.fgan_hellinger --iters 1000 --only reverse_kl reverse_kl_beta2_0.9

Measured (docs/benchmarks.md): with Adam's beta2 = 0.999 the generator's Adam step falls to ~0 of its learning
rate within ~150 iterations and stays there (one spike of the exp(-v) weights fills the second moment), the FID does
not move; with beta2 = 0.9 the generator learns.

Writes ``bench/results/fgan_hellinger.json`` (after each run) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch
from lightning.pytorch.callbacks import Callback

from bench.common import RESULTS_DIR, ROOT, cpu_name, publish, table_options

RESULTS = RESULTS_DIR / "fgan_hellinger.json"

# name: (divergence, extra ``ganzoo fit`` arguments)
VARIANTS = {
    "kl": ("kl", []),
    "js": ("js", []),
    "reverse_kl": ("reverse_kl", []),
    "hellinger": ("hellinger", []),
    "hellinger_lr5e-5": ("hellinger", ["--model.init_args.lr", "5e-5"]),
    "hellinger_critic_no_norm": ("hellinger", ["--model.init_args.critic.norm", "none"]),
    "hellinger_saturating": ("hellinger", []),
    "hellinger_beta2_0.9": ("hellinger", ["--model.init_args.betas", "[0.5, 0.9]"]),
    "reverse_kl_beta2_0.9": ("reverse_kl", ["--model.init_args.betas", "[0.5, 0.9]"]),
}
SATURATING = {"hellinger_saturating"}


class GeneratorWeights(Callback):
    """Every 25 generator iterations: the critic's outputs v on 256 fresh fakes and on the batch's reals, and the
    effective sample size of the generator's per-sample weights g_f'(v) (the critic in its training mode, without
    touching its batch-norm statistics). Written as JSON lines to ``$GANZOO_PROBE_OUT``."""

    def __init__(self, every: int = 25, n: int = 256):
        self.every, self.n = every, n
        self.out = Path(os.environ["GANZOO_PROBE_OUT"])

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        it = pl_module.gen_iters
        if it % self.every or getattr(self, "_last", None) == it:
            return
        self._last = it
        critic = pl_module.critic
        saved = {k: v.clone() for k, v in critic.state_dict().items() if "running" in k or "num_batches" in k}
        with torch.no_grad():
            fake = pl_module._fakes(self.n)[0]
            v = critic(fake).float().flatten()
            real = batch[0] if isinstance(batch, (list, tuple)) else batch
            v_real = critic(real).float().flatten()
        critic.load_state_dict({**critic.state_dict(), **saved})
        vv = v.detach().clone().requires_grad_(True)
        obj = pl_module.objective  # the generator maximises g_f(v), or f*(g_f(v)) with the saturating update
        (obj.div.conjugate_of_activation(vv) if obj.saturating else obj.div.activation(vv)).sum().backward()
        w = vv.grad.abs()
        ess = float(w.sum() ** 2 / (w.pow(2).sum() * len(w)))
        # Adam's step per learning rate for the generator: |m_hat| / sqrt(v_hat), averaged over its weights (about
        # 0.1-0.3 while a network learns; ~0 when an old gradient spike dominates the second moment)
        opt = trainer.optimizers[0]
        beta1, beta2 = opt.param_groups[0]["betas"]
        ratios = []
        for st in opt.state.values():
            if "exp_avg" in st:
                t = float(st["step"])
                m_hat, v_hat = st["exp_avg"] / (1 - beta1**t), st["exp_avg_sq"] / (1 - beta2**t)
                ratios.append(float((m_hat.abs() / (v_hat.sqrt() + 1e-8)).mean()))
        rec = {"g_iter": it, "adam_step_ratio": round(sum(ratios) / max(len(ratios), 1), 5),
               "ess_fraction": round(ess, 4), "max_weight_share": round(float(w.max() / w.sum()), 4),
               "v_fake_median": round(float(v.median()), 3), "v_fake_min": round(float(v.min()), 3),
               "v_fake_max": round(float(v.max()), 3), "v_real_median": round(float(v_real.median()), 3)}
        with self.out.open("a") as f:
            f.write(json.dumps(rec) + "\n")


def run(name: str, iters: int, out: Path) -> dict:
    div, extra = VARIANTS[name]
    work = out / name
    probe = out / f"{name}.jsonl"
    probe.unlink(missing_ok=True)
    objective = {"name": "fgan", "divergence": div, **({"saturating": True} if name in SATURATING else {})}
    cmd = [sys.executable, "-m", "ganzoo.cli", "fit", "--config", str(ROOT / "recipes/fgan/fashion_mnist.yaml"),
           "--model.init_args.objective", json.dumps(objective), "--model.init_args.max_gen_iters", str(iters),
           "--trainer.default_root_dir", str(work), "--trainer.enable_progress_bar", "false",
           "--trainer.callbacks+=bench.quality.fgan_hellinger.GeneratorWeights", "--eval_metrics", "[]",
           "--overwrite", "true", *extra]
    env = {**os.environ, "GANZOO_PROBE_OUT": str(probe),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    t0 = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = round(time.time() - t0)
    if proc.returncode:
        raise SystemExit(f"{name}: ganzoo fit failed:\n{proc.stderr[-3000:]}")
    history = json.loads((work / "eval_history.json").read_text())
    trace = [json.loads(line) for line in probe.read_text().splitlines()]
    late = [r for r in trace if r["g_iter"] > iters // 3]  # after the start-up
    return {
        "divergence": div, "args": extra, "saturating": name in SATURATING, "seconds": seconds,
        "machine": f"{cpu_name()}, {len(os.sched_getaffinity(0))} core(s) of this process's affinity",
        "fid": [[h["generator_iterations"], round(h["fid"], 1)] for h in history if "fid" in h],
        "ess_fraction_median": round(sorted(r["ess_fraction"] for r in late)[len(late) // 2], 4),
        "max_weight_share_median": round(sorted(r["max_weight_share"] for r in late)[len(late) // 2], 4),
        "adam_step_ratio_median": round(sorted(r["adam_step_ratio"] for r in late)[len(late) // 2], 5),
        "trace": trace,
    }


def table(res: dict) -> str:
    rows = ["| run | FID (2k) at 500 / 1,000 | effective fakes in G's update | largest fake's share "
            "| G's Adam step / lr |", "|---|---|---|---|---|"]
    for name, r in res.items():
        fids = " / ".join(f"{f:.0f}" for _, f in r["fid"])
        rows.append(f"| `{name}` | {fids} | {100 * r['ess_fraction_median']:.1f}% | "
                    f"{100 * r['max_weight_share_median']:.1f}% | {r['adam_step_ratio_median']:.2g} |")
    return "\n".join(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--iters", type=int, default=1000)
    p.add_argument("--only", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS))
    p.add_argument("--out", default=str(ROOT / "runs" / "fgan_hellinger"))
    table_options(p, "fgan-hellinger")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    res = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    for name in [] if args.table else args.only:
        res[name] = run(name, args.iters, out)
        RESULTS.write_text(json.dumps(res, indent=1) + "\n")
        print(name, res[name]["fid"], res[name]["ess_fraction_median"], flush=True)
    iters = ", ".join(f"{i:,}" for i in sorted({r["fid"][-1][0] for r in res.values()}))
    machines = ", ".join(sorted({r["machine"] for r in res.values()}))
    publish("fgan-hellinger", table(res) + f"\n\n{iters} generator iterations a run, on {machines}.", args.readme)


if __name__ == "__main__":
    main()

"""Train a GAN from a recipe (Lightning's CLI: ganzoo.cli.fit.GanzooCLI).

After ``fit`` the generator is exported to ``<default_root_dir>/generator/`` with its model card; for 2-D data
a figure and exact metrics are written beside it and go into the card. ``--push_to_hub org/name`` then
uploads the exported folder (weights, config, card, sample figure) in one commit. ``ganzoo --help`` shows the first
line and the example of this docstring.

Examples:
    ganzoo fit --config recipes/<variant>/<dataset>.yaml [--model.init_args.max_gen_iters N] [--overwrite]
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import lightning as L
from jsonargparse import ActionYesNo
from lightning.pytorch.cli import LightningCLI

from ganzoo.cli.errors import CommandError, ConfigError, describe
from ganzoo.training.checkpoints import GanCheckpoint, last_checkpoint, previous_checkpoint, read_counters
from ganzoo.training.loggers import default_loggers, log_version
from ganzoo.training.progress import GeneratorIterationBar

_BOOLS = ("true", "false", "yes", "no", "1", "0")
_LIGHTNING_CKPT_NAMES = ("last", "best", "hpc", "registry")  # trainer.fit(ckpt_path=...) resolves these itself


class GanzooCLI(LightningCLI):
    """LightningCLI with ganzoo's defaults: CSV + TensorBoard logs, a generator-iteration progress bar,
    a model card for the exported generator and ``--push_to_hub``."""

    def __init__(self, *args, **kwargs):
        from ganzoo.quiet import install as quiet

        quiet()  # Lightning's known-harmless warnings and adverts (each filter says why, in ganzoo.quiet)
        kwargs.setdefault("subclass_mode_model", True)
        kwargs.setdefault("subclass_mode_data", True)
        kwargs.setdefault("trainer_defaults", {"max_epochs": -1, "callbacks": [GeneratorIterationBar()]})
        kwargs.setdefault("save_config_kwargs", {"overwrite": True})
        argv = kwargs.get("args")
        self._argv = [str(a) for a in (argv if isinstance(argv, (list, tuple)) else sys.argv[1:])]
        self._complete: str | None = None  # set by _check_resume: the checkpoint is at the budget, nothing to run
        super().__init__(L.LightningModule, *args, **kwargs)  # a LatentGAN or a TranslationGAN

    @staticmethod
    def subcommands() -> dict[str, set[str]]:
        # only ``fit``: validate/test/predict need *_step methods that GANs do not define
        return {"fit": LightningCLI.subcommands()["fit"]}

    def _parse_ckpt_path(self) -> None:
        """Keep the command line's model arguments when ``--ckpt_path`` is given, as ``--resume`` does.

        LightningCLI's own method parses the checkpoint's saved hyperparameters over the command line's, which
        would keep a saved ``max_gen_iters`` of 20 against ``--model.init_args.max_gen_iters 40 --ckpt_path
        last.ckpt``. Here the recipe and the command line define the run; the checkpoint gives its weights,
        optimizer states and counters.

        A private method replaced: no public hook exists. LightningCLI.__init__ calls it between the public
        parse_arguments and before_instantiate_classes, with no argument to turn it off (Lightning 2.6); undoing its
        merge in before_instantiate_classes would still load the whole checkpoint and fail on hyperparameters that
        no longer parse.
        """

    def init_parser(self, **kwargs):
        kwargs.setdefault("exit_on_error", False)  # ganzoo.cli turns parse errors into one or two lines, exit 2
        return super().init_parser(**kwargs)

    def _config_error(self, e: BaseException) -> ConfigError:
        cfg = self.config.get(self.subcommand) if self.subcommand else self.config
        return ConfigError(describe(e, cfg))

    def instantiate_classes(self) -> None:
        try:
            super().instantiate_classes()
        except ConfigError:
            raise
        except (ValueError, TypeError, FileNotFoundError, NotADirectoryError) as e:
            raise self._config_error(e) from e

    def add_arguments_to_parser(self, parser) -> None:
        parser.add_argument(
            "--eval_n", type=int, default=10000,
            help="Image data: FID/KID after fit from this many samples (against as many training images).",
        )
        parser.add_argument(
            "--eval_metrics", type=list[str], default=["fid", "kid"],
            help="Image data: metrics computed after fit (fid, kid, is, prdc, copy); [] for the sample grid only.",
        )
        parser.add_argument(
            "--overwrite", action=ActionYesNo(no_prefix="no_"), nargs="?", default=False,
            help="Replace the outputs (generator/, metrics.json, samples.png) of an earlier run in default_root_dir; "
                 "without it such a folder is refused (resuming with --resume or --ckpt_path is allowed).",
        )
        parser.add_argument(
            "--resume", action=ActionYesNo(no_prefix="no_"), nargs="?", default=False,
            help="Continue the run in default_root_dir from its checkpoints/last.ckpt (written every N generator "
                 "iterations and on Ctrl-C by ganzoo.training.checkpoints.GanCheckpoint), same logs/version_N.",
        )
        parser.add_argument(
            "--push_to_hub", type=str | None, default=None,
            help="After fit: upload the exported generator with its model card to this Hub repository (org/name).",
        )

    def before_instantiate_classes(self) -> None:
        try:
            self._check_arguments()
        except ValueError as e:
            raise ConfigError(str(e)) from e

    def _check_arguments(self) -> None:
        n = self._get(self.config, "eval_n")
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"--eval_n must be a positive integer, got {n!r}")
        max_steps = self._get(self.config, "trainer", default={}).get("max_steps")
        if max_steps not in (None, -1):
            # Lightning's max_steps counts the optimizer steps of both networks (n_critic + 1 per generator
            # iteration for most variants), so --trainer.max_steps 200 would train far fewer than 200 iterations
            raise ValueError(
                f"--trainer.max_steps {max_steps}: ganzoo counts training in generator iterations; use "
                f"--model.init_args.max_gen_iters {max_steps} (Lightning's max_steps counts every optimizer step)"
            )
        self._check_resume()
        self._check_run_folder()
        from ganzoo.metrics.scores import check_metrics

        if self._get(self.config, "eval_metrics"):
            check_metrics(self._get(self.config, "eval_metrics"))
        repo_id = self._get(self.config, "push_to_hub")
        if repo_id is not None:
            from ganzoo.hub import check_repo_id

            check_repo_id(repo_id, "--push_to_hub")

    def _root(self) -> Path:
        return Path(self._get(self.config, "trainer", default={}).get("default_root_dir") or os.getcwd())

    def _check_resume(self) -> None:
        """``--resume``: continue from ``<default_root_dir>/checkpoints/last.ckpt`` (as ``--ckpt_path``).

        The checkpoint must be readable (a truncated one is named, with the previous one to continue from), and one
        already at the budget ``max_gen_iters`` is complete: nothing is trained or rewritten (see ``_complete``)."""
        path = self._get(self.config, "ckpt_path")
        if path and str(path).split(":")[0] not in _LIGHTNING_CKPT_NAMES and "://" not in str(path) and \
                not os.path.isfile(path):
            raise ValueError(f"--ckpt_path {path}: there is no such checkpoint file")
        option = f"--ckpt_path {path}"
        if self._get(self.config, "resume"):
            ckpt = last_checkpoint(self._root())
            if self._get(self.config, "ckpt_path"):
                raise ValueError(f"--resume continues from {ckpt}; do not also pass --ckpt_path")
            if self._get(self.config, "overwrite"):
                raise ValueError("--resume continues the run; --overwrite would start it again: pass one of them")
            if not os.path.isfile(ckpt):
                prev = previous_checkpoint(ckpt)
                raise ValueError(f"--resume: there is no checkpoint {ckpt} to continue from; " + (
                    f"continue from the previous one with --ckpt_path {prev} instead of --resume"
                    if os.path.isfile(prev) else
                    "start the run without --resume (recipes save one every N generator iterations and on Ctrl-C)"))
            self.config[f"{self.subcommand}.ckpt_path" if self.subcommand else "ckpt_path"] = ckpt
            path, option = ckpt, "--resume"
        if path and os.path.isfile(path):
            self._check_checkpoint(str(path), option)

    def _check_checkpoint(self, path: str, option: str) -> None:
        """The checkpoint to continue from must be readable; at the budget, the run is complete."""
        try:
            counters = read_counters(path)
        except ValueError as e:
            prev, hint = previous_checkpoint(path), ""
            if os.path.isfile(prev) and not os.path.samefile(prev, path):
                try:
                    g = read_counters(prev).get("gen_iters")
                    hint = f"; the previous checkpoint {prev} (generator iteration {g}) is readable: continue " \
                           f"from it with --ckpt_path {prev}" + (" instead of --resume" if option == "--resume" else "")
                except ValueError:
                    pass
            raise ValueError(f"{option}: {e}{hint}") from None
        g = counters.get("gen_iters")
        budget = getattr(getattr(self._get(self.config, "model"), "init_args", None), "max_gen_iters", None)
        if isinstance(g, int) and isinstance(budget, int) and g >= budget:
            self._complete = (
                f"the run is complete: {path} is at generator iteration {g} of max_gen_iters {budget}; nothing was "
                "trained or overwritten (to train further, resume with a larger --model.init_args.max_gen_iters)"
            )

    def _run_subcommand(self, subcommand: str) -> None:
        if self._complete is not None:  # a finished run resumed with its own budget: not one iteration more
            print(f"ganzoo {subcommand}: {self._complete}")
            return
        try:
            super()._run_subcommand(subcommand)
        except FileNotFoundError as e:  # e.g. a dataset neither found nor downloadable: its message says what to do
            raise CommandError(str(e)) from None

    def _check_run_folder(self) -> None:
        """An earlier run's outputs are not silently replaced: refuse unless --overwrite (or resuming)."""
        if self._get(self.config, "overwrite") or self._get(self.config, "ckpt_path"):
            return
        root = self._root()
        found = [name for name in ("generator", "metrics.json", "samples.png") if (root / name).exists()]
        ckpt = os.path.isfile(last_checkpoint(root))
        if ckpt:
            found.append(os.path.join("checkpoints", "last.ckpt"))
        if found:
            raise ValueError(
                f"{root} already holds a run ({', '.join(found)}); pass --overwrite to replace it"
                + (" or --resume to continue it" if ckpt else "") + ", or choose another --trainer.default_root_dir"
            )

    def _remove_stale_temporaries(self) -> None:
        """Delete ``.<name>.ckpt.<random>.tmp`` files that a process killed while saving a checkpoint left
        behind (AtomicCheckpointIO writes through them; a complete save renames them away)."""
        if not self.trainer.is_global_zero:
            return
        root = Path(self.trainer.default_root_dir)
        for tmp in root.rglob(".*.ckpt.*.tmp") if root.is_dir() else ():
            try:
                tmp.unlink()
                print(f"removed {tmp} (left by an interrupted checkpoint save)")
            except OSError:
                pass

    def instantiate_trainer(self, **kwargs):
        cfg = self._get(self.config_init, "trainer", default={})
        if cfg.get("enable_progress_bar") is False:  # our bar comes from trainer_defaults; drop it when disabled
            self.trainer_defaults["callbacks"] = []
        if cfg.get("logger") in (None, True):
            root = cfg.get("default_root_dir") or os.getcwd()
            version = log_version(self._get(self.config, "ckpt_path"))  # a resumed run keeps its logs/version_N
            kwargs["logger"] = default_loggers(root, version)
        return super().instantiate_trainer(**kwargs)

    def before_fit(self) -> None:
        self._remove_stale_temporaries()
        resuming = bool(self._get(self.config, "ckpt_path"))
        ckpt = last_checkpoint(self.trainer.default_root_dir)
        if not resuming and self._get(self.config, "overwrite") and self.trainer.is_global_zero:
            for old in (ckpt, previous_checkpoint(ckpt)):  # the replaced run's checkpoints: not to be continued later
                if os.path.isfile(old):
                    os.remove(old)
        argv, i = [], 0
        while i < len(self._argv):  # the resume command: this one without --overwrite/--ckpt_path, with --resume
            a, nxt = self._argv[i], self._argv[i + 1] if i + 1 < len(self._argv) else ""
            if a == "--ckpt_path" or (a in ("--overwrite", "--resume") and nxt.lower() in _BOOLS):
                i += 2
                continue
            if not (a in ("--overwrite", "--resume") or a.startswith(("--overwrite=", "--ckpt_path=", "--resume="))):
                argv.append(a)
            i += 1
        hint = "ganzoo " + shlex.join([*argv, "--resume"])
        for cb in self.trainer.callbacks:
            if isinstance(cb, GanCheckpoint) and cb.resume_hint is None:
                cb.resume_hint = hint
        for cb in self.trainer.callbacks:
            if isinstance(cb, GeneratorIterationBar):
                cb.final_after_fit = True  # after_fit prints the final line with the end-of-fit FID
        if self._get(self.config, "push_to_hub") and not self.model.export_dir:
            raise ValueError("--push_to_hub needs the exported generator; do not set model.export_dir to null")

    def _final_line(self, metrics: dict | None = None) -> None:
        """The progress bar's last line, with the end-of-fit FID (not the last in-training evaluation's)."""
        fid = None if metrics is None else metrics.get("fid", metrics.get("AtoB/fid"))
        for cb in self.trainer.callbacks:
            if isinstance(cb, GeneratorIterationBar):
                cb.final_line(self.trainer, self.model, fid=fid)

    def after_fit(self) -> None:
        trainer, model, dm = self.trainer, self.model, self.datamodule
        if not trainer.is_global_zero or model.gen_iters == 0:
            self._final_line()
            return
        out = trainer.default_root_dir
        report = model.report(dm, out, n=self._get(self.config, "eval_n"),
                              metrics=self._get(self.config, "eval_metrics"))
        card: dict = {}
        if report is None:
            self._final_line()
        else:
            self._final_line(report.metrics)
            print(json.dumps({k: v for k, v in report.metrics.items() if not isinstance(v, dict)}))
            print(f"wrote {os.path.join(out, 'samples.png')}, {os.path.join(out, 'metrics.json')}")
            card = {"dataset": report.dataset, "results": report.results, "sample_grid": report.grid}
        if not model.export_dir:
            return
        folder = Path(out) / model.export_dir
        repo_id = self._get(self.config, "push_to_hub")
        recipes = [Path(os.fspath(p)) for p in self._get(self.config, "config") or []]  # the --config files
        from ganzoo.cards import write_card

        write_card(
            folder, repo_id=repo_id,
            recipe="\n\n".join(p.read_text() for p in recipes if p.is_file()) or None,
            command="ganzoo " + shlex.join(self._argv) if self._argv else None, **card,
        )
        print(f"exported generator to {folder}")
        if repo_id:
            from ganzoo.hub import push_to_hub

            try:
                url = push_to_hub(folder, repo_id, commit_message=f"ganzoo fit: {model.gen_iters} generator iterations")
            except Exception as e:  # no network, no token, no rights: everything is saved; say how to push later
                reason = (str(e).strip().splitlines() or [""])[0][:300]
                raise CommandError(
                    f"--push_to_hub {repo_id}: upload failed ({type(e).__name__}: {reason}). The generator is saved "
                    f"in {folder}; push it later with ganzoo.push_to_hub({str(folder)!r}, {repo_id!r})"
                ) from None
            print(f"pushed {folder} to {repo_id}: {url}")

"""The training command line (LightningCLI): ``ganzoo fit --config recipes/<variant>/<dataset>.yaml``.

After ``fit`` the generator is exported to ``<default_root_dir>/generator/`` with its model card; for 2-D data
a figure and exact metrics are written beside it and go into the card. ``--push_to_hub org/name`` then
uploads the exported folder (weights, config, card, sample figure) in one commit.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import lightning as L
from lightning.pytorch.cli import LightningCLI
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

from ganzoo.cli_errors import ConfigError, describe
from ganzoo.data.toy2d import Toy2DDataModule
from ganzoo.training.progress import GeneratorIterationBar


def _config_files(argv: list[str]) -> list[str]:
    files = []
    for i, a in enumerate(argv):
        if a == "--config" and i + 1 < len(argv):
            files.append(argv[i + 1])
        elif a.startswith("--config="):
            files.append(a.split("=", 1)[1])
    return files


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
        super().__init__(L.LightningModule, *args, **kwargs)  # ganzoo.AdversarialModule or TranslationGAN

    @staticmethod
    def subcommands() -> dict[str, set[str]]:
        # only ``fit``: validate/test/predict need *_step methods that GANs do not define
        return {"fit": LightningCLI.subcommands()["fit"]}

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
            help="Image data: metrics computed after fit (fid, kid, is); [] for the sample grid only.",
        )
        parser.add_argument(
            "--overwrite", type=bool, default=False,
            help="Replace the outputs (generator/, metrics.json, samples.png) of an earlier run in default_root_dir; "
                 "without it such a folder is refused (resuming with --ckpt_path is allowed).",
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
        self._check_run_folder()
        from ganzoo.training.image_eval import check_metrics

        if self._get(self.config, "eval_metrics"):
            check_metrics(self._get(self.config, "eval_metrics"))
        repo_id = self._get(self.config, "push_to_hub")
        if repo_id is not None:
            from ganzoo.hub import check_repo_id

            check_repo_id(repo_id, "--push_to_hub")

    def _check_run_folder(self) -> None:
        """An earlier run's outputs are not silently replaced: refuse unless --overwrite (or resuming)."""
        if self._get(self.config, "overwrite") or self._get(self.config, "ckpt_path"):
            return
        root = Path(self._get(self.config, "trainer", default={}).get("default_root_dir") or os.getcwd())
        found = [name for name in ("generator", "metrics.json", "samples.png") if (root / name).exists()]
        if found:
            raise ValueError(
                f"{root} already holds a run ({', '.join(found)}); pass --overwrite to replace it, or choose "
                f"another --trainer.default_root_dir"
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
            csv = CSVLogger(root, name="logs")
            kwargs["logger"] = [csv, TensorBoardLogger(root, name="logs", version=csv.version)]
        return super().instantiate_trainer(**kwargs)

    def before_fit(self) -> None:
        self._remove_stale_temporaries()
        if self._get(self.config, "push_to_hub") and not self.model.export_dir:
            raise ValueError("--push_to_hub needs the exported generator; do not set model.export_dir to null")

    def after_fit(self) -> None:
        trainer, model, dm = self.trainer, self.model, self.datamodule
        if not trainer.is_global_zero or model.gen_iters == 0:
            return
        out = trainer.default_root_dir
        card: dict = {}
        grid = None
        if isinstance(dm, Toy2DDataModule):
            from ganzoo.cards import toy_results
            from ganzoo.training.report import toy_report

            metrics = toy_report(model, dm.dataset, out)
            print(json.dumps(metrics))
            print(f"wrote {os.path.join(out, 'samples.png')}, {os.path.join(out, 'metrics.json')}")
            card.update(dataset=dm.dataset, results=toy_results(metrics, dm.dataset))
            grid = os.path.join(out, "samples.png")
        elif hasattr(model, "export_translator"):
            from ganzoo.training.translation_eval import translation_report

            metrics = translation_report(model, dm, out, n=self._get(self.config, "eval_n"),
                                         fid="fid" in (self._get(self.config, "eval_metrics") or []))
            print(json.dumps({k: v for k, v in metrics.items() if not isinstance(v, dict)}))
            print(f"wrote {os.path.join(out, 'samples.png')}, {os.path.join(out, 'metrics.json')}")
            from ganzoo.cards import translation_results

            card.update(dataset=dm.dataset_name, results=translation_results(metrics, dm.dataset_name))
            grid = os.path.join(out, "samples.png")
        elif len(getattr(dm, "data_shape", ())) == 3 and hasattr(dm, "reference_images"):
            from ganzoo.training.image_eval import image_report, image_results

            metrics = image_report(
                model, dm, out, n=self._get(self.config, "eval_n"), metrics=self._get(self.config, "eval_metrics"),
            )
            print(json.dumps({k: v for k, v in metrics.items() if not isinstance(v, dict)}))
            print(f"wrote {os.path.join(out, 'samples.png')}, {os.path.join(out, 'metrics.json')}")
            card.update(dataset=dm.dataset_name, results=image_results(metrics, conditional=bool(model.num_classes)))
            grid = os.path.join(out, "samples.png")
        if not model.export_dir:
            return
        folder = Path(out) / model.export_dir
        repo_id = self._get(self.config, "push_to_hub")
        recipes = [Path(p) for p in _config_files(self._argv)]
        from ganzoo.cards import write_card

        write_card(
            folder, sample_grid=grid, repo_id=repo_id,
            recipe="\n\n".join(p.read_text() for p in recipes if p.is_file()) or None,
            command="ganzoo " + shlex.join(self._argv) if self._argv else None, **card,
        )
        print(f"exported generator to {folder}")
        if repo_id:
            from ganzoo.hub import push_to_hub

            try:
                url = push_to_hub(folder, repo_id, commit_message=f"ganzoo fit: {model.gen_iters} generator iterations")
            except Exception as e:
                raise RuntimeError(
                    f"--push_to_hub {repo_id}: upload failed ({e}). The generator is saved in {folder}; push it "
                    f"later with ganzoo.push_to_hub({str(folder)!r}, {repo_id!r})"
                ) from e
            print(f"pushed {folder} to {repo_id}: {url}")

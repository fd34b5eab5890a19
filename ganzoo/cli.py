"""``ganzoo`` command line: ``ganzoo fit --config recipes/<variant>/<dataset>.yaml [--trainer.X ...]``.

Training subcommands are Lightning's (LightningCLI). After ``fit`` the generator is exported to
``<default_root_dir>/generator/``; for 2-D data a figure and exact metrics are written beside it.
"""

from __future__ import annotations

import json
import os
import sys
import warnings

from lightning.pytorch.cli import LightningCLI
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

from ganzoo.data.toy2d import Toy2DDataModule
from ganzoo.training import AdversarialModule
from ganzoo.training.progress import GeneratorIterationBar


class GanzooCLI(LightningCLI):
    """LightningCLI with ganzoo's defaults: CSV + TensorBoard logs, a generator-iteration progress bar."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("subclass_mode_model", True)
        kwargs.setdefault("subclass_mode_data", True)
        kwargs.setdefault("trainer_defaults", {"max_epochs": -1, "callbacks": [GeneratorIterationBar()]})
        kwargs.setdefault("save_config_kwargs", {"overwrite": True})
        super().__init__(AdversarialModule, *args, **kwargs)

    def instantiate_trainer(self, **kwargs):
        cfg = self._get(self.config_init, "trainer", default={})
        if cfg.get("enable_progress_bar") is False:  # our bar comes from trainer_defaults; drop it when disabled
            self.trainer_defaults["callbacks"] = []
        if cfg.get("logger") in (None, True):
            root = cfg.get("default_root_dir") or os.getcwd()
            csv = CSVLogger(root, name="logs")
            kwargs["logger"] = [csv, TensorBoardLogger(root, name="logs", version=csv.version)]
        return super().instantiate_trainer(**kwargs)

    def after_fit(self) -> None:
        trainer, model, dm = self.trainer, self.model, self.datamodule
        if not trainer.is_global_zero or model.gen_iters == 0:
            return
        out = trainer.default_root_dir
        if isinstance(dm, Toy2DDataModule):
            from ganzoo.training.report import toy_report

            metrics = toy_report(model, dm.dataset, out)
            print(json.dumps(metrics))
            print(f"wrote {os.path.join(out, 'samples.png')}, {os.path.join(out, 'metrics.json')}")
        if model.export_dir:
            print(f"exported generator to {os.path.join(out, model.export_dir)}")


def main(argv: list[str] | None = None) -> None:
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*LitLogger.*")
    GanzooCLI(args=argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()

"""Test doubles and helpers for the Hub tests. Only the network boundary is replaced.

* ``FakeHfApi``: a test double for ``huggingface_hub.HfApi`` (the object ``ModelHubMixin.push_to_hub`` talks
  to). It records ``create_repo``/``upload_folder`` calls and copies the uploaded files, filtered with
  huggingface_hub's own ``filter_repo_objects``, into a local "remote" folder instead of sending them.
  ``OfflineHfApi`` (``install_offline_hf_api``): the same without network, every request failing.
* ``write_hf_cache_snapshot``: writes a folder into a huggingface_hub cache the way ``hf_hub_download``
  stores downloads (``blobs/``, ``snapshots/<commit>/`` symlinks, ``refs/<branch>``), so the real
  download code can be exercised offline.
* ``pickle_bomb``: a pickle that creates a marker file if anything ever unpickles it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
from pathlib import Path

from huggingface_hub import RepoUrl
from huggingface_hub.utils import filter_repo_objects


class FakeHfApi:
    """Test double for ``huggingface_hub.HfApi``: no network; uploads land in ``FakeHfApi.remote``."""

    remote: Path
    calls: list[tuple[str, dict]] = []

    def __init__(self, token=None, **kwargs):
        self.token = token

    def create_repo(self, repo_id, *, token=None, private=None, repo_type=None, exist_ok=False, **kwargs):
        FakeHfApi.calls.append(("create_repo", {"repo_id": repo_id, "private": private, "exist_ok": exist_ok}))
        (FakeHfApi.remote / repo_id).mkdir(parents=True, exist_ok=True)
        return RepoUrl(f"https://huggingface.co/{repo_id}")

    def upload_folder(self, *, repo_id, folder_path, repo_type=None, commit_message=None, revision=None,
                      create_pr=None, allow_patterns=None, ignore_patterns=None, delete_patterns=None, **kwargs):
        folder = Path(folder_path)
        rel = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        files = list(filter_repo_objects(rel, allow_patterns=allow_patterns, ignore_patterns=ignore_patterns))
        FakeHfApi.calls.append(("upload_folder", {
            "repo_id": repo_id, "files": files, "commit_message": commit_message, "revision": revision,
            "repo_type": repo_type,
        }))
        dst = FakeHfApi.remote / repo_id
        for f in files:
            (dst / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / f, dst / f)
        return f"https://huggingface.co/{repo_id}/commit/{'0' * 40}"


class OfflineHfApi(FakeHfApi):
    """Test double for ``huggingface_hub.HfApi`` on a machine without network: every request fails as the
    resolver fails there (``socket.gaierror``), before anything is sent."""

    def create_repo(self, repo_id, **kwargs):
        import socket

        FakeHfApi.calls.append(("create_repo", {"repo_id": repo_id}))
        raise socket.gaierror(-2, "Name or service not known")

    upload_folder = create_repo


def install_offline_hf_api(monkeypatch) -> type[FakeHfApi]:
    """Route ``ModelHubMixin.push_to_hub``'s ``HfApi`` to ``OfflineHfApi`` (no network)."""
    import huggingface_hub.hub_mixin

    FakeHfApi.calls = []
    monkeypatch.setattr(huggingface_hub.hub_mixin, "HfApi", OfflineHfApi)
    return OfflineHfApi


def install_fake_hf_api(monkeypatch, remote: Path) -> type[FakeHfApi]:
    """Route ``ModelHubMixin.push_to_hub``'s ``HfApi`` to ``FakeHfApi`` with uploads under ``remote``."""
    import huggingface_hub.hub_mixin

    FakeHfApi.remote = Path(remote)
    FakeHfApi.calls = []
    monkeypatch.setattr(huggingface_hub.hub_mixin, "HfApi", FakeHfApi)
    return FakeHfApi


def write_hf_cache_snapshot(cache_dir: Path, repo_id: str, folder: Path, commit: str = "a" * 40,
                            branch: str = "main", files: tuple[str, ...] | None = None) -> Path:
    """Store ``folder``'s files in a huggingface_hub cache as revision ``commit`` (and ``branch``)."""
    repo = Path(cache_dir) / ("models--" + repo_id.replace("/", "--"))
    snap = repo / "snapshots" / commit
    snap.mkdir(parents=True, exist_ok=True)
    (repo / "blobs").mkdir(exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    for p in sorted(Path(folder).iterdir()):
        if files is not None and p.name not in files:
            continue
        data = p.read_bytes()
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        os.symlink(os.path.relpath(blob, snap), snap / p.name)
    (repo / "refs" / branch).write_text(commit)
    return snap


class _Bomb:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def pickle_bomb(path: Path, marker: Path) -> None:
    """Write a pickle at ``path`` that creates ``marker`` when unpickled (it must never exist)."""
    path.write_bytes(pickle.dumps({"net.0.weight": _Bomb(str(marker))}))

"""FID/KID/IS through torchmetrics with the shipped Fashion-MNIST classifier: the FID paper's sanity checks on real
Fashion-MNIST, agreement with an independent scipy computation, the real-feature cache, the Inception weights
path (random weights in the right format) and bad input."""

import json

import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF

from ganzoo.data.idx import default_fashion_mnist_dir, load_idx_split
from ganzoo.metrics.classifier import class_coverage, load_fmnist_classifier, predict
from ganzoo.metrics.extractors import Extractor
from ganzoo.metrics.images import compute_image_metrics

needs_fmnist = pytest.mark.fashion_mnist


def fmnist(split, n=None):
    x, y = load_idx_split(default_fashion_mnist_dir(), split)
    x = F.pad(torch.from_numpy(x[:n]).float().div(255)[:, None], (2, 2, 2, 2))
    return x, torch.from_numpy(y[:n])


@pytest.fixture(scope="module")
def test_set():
    return fmnist("test")


@needs_fmnist
def test_shipped_classifier_accuracy_above_92_percent(test_set):
    x, y = test_set
    clf = load_fmnist_classifier()
    acc = float((predict(x) == y).float().mean())
    assert acc > 0.92, acc
    assert clf.test_accuracy == pytest.approx(acc, abs=5e-4)  # the number stored by the training script
    assert len(clf.weights_sha256) == 64


@pytest.mark.slow  # 20-40 s each: keeps `pytest -m "not slow"` near 8 minutes
@needs_fmnist
def test_fid_train_vs_test_is_small_and_grows_with_each_corruption(test_set, tmp_path):
    x, _ = test_set
    ref, _ = fmnist("train", 10000)
    base = compute_image_metrics(x, ref, metrics=("fid",), dataset="fashion_mnist", cache_dir=tmp_path)["fid"]
    g = torch.Generator().manual_seed(0)
    sub = x[:5000]

    def noise(s):
        return (sub + s * torch.randn(sub.shape, generator=g)).clamp(0, 1)

    def blur(s):
        return TF.gaussian_blur(sub, kernel_size=9, sigma=s)

    def salt_pepper(p):
        u = torch.rand(sub.shape, generator=g)
        return torch.where(u < p / 2, 0.0, torch.where(u > 1 - p / 2, 1.0, sub))

    curves = {}
    for name, fn, levels in (("noise", noise, (0.05, 0.1, 0.2, 0.4)), ("blur", blur, (0.5, 1.0, 1.5, 2.5)),
                             ("salt_pepper", salt_pepper, (0.02, 0.05, 0.1, 0.2))):
        curves[name] = [compute_image_metrics(fn(s), ref, metrics=("fid",), dataset="fashion_mnist",
                                              cache_dir=tmp_path)["fid"] for s in levels]
    print(json.dumps({"train_vs_test": base, **curves}))
    for name, fids in curves.items():
        assert all(a < b for a, b in zip(fids, fids[1:])), (name, fids)
        assert fids[0] > base, (name, fids, base)
    assert base < 0.1 * curves["noise"][-1]


@needs_fmnist
def test_fid_of_a_set_with_itself_is_zero_and_matches_scipy(test_set, tmp_path):
    x, _ = test_set
    a, b = x[:3000], x[3000:6000]
    self_fid = compute_image_metrics(a, a, metrics=("fid",), cache_dir=tmp_path)["fid"]
    assert abs(self_fid) < 1e-3
    ours = compute_image_metrics(b, a, metrics=("fid",), cache_dir=tmp_path)["fid"]
    ex = Extractor("fmnist")
    fa, _ = ex.extract(a)
    fb, _ = ex.extract(b)
    fa, fb = fa.double().numpy(), fb.double().numpy()
    mu1, mu2 = fa.mean(0), fb.mean(0)
    s1, s2 = np.cov(fa, rowvar=False), np.cov(fb, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    ref = float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))
    assert ours == pytest.approx(ref, rel=1e-3)


@needs_fmnist
def test_kid_and_inception_score_sanity(test_set, tmp_path):
    x, y = test_set
    a, b = x[:2000], x[2000:4000]
    same = compute_image_metrics(a, b, metrics=("kid", "is"), cache_dir=tmp_path, kid_subset_size=500)
    noisy = compute_image_metrics((a + 0.3 * torch.randn_like(a)).clamp(0, 1), b, metrics=("kid", "is"),
                                  cache_dir=tmp_path, kid_subset_size=500)
    assert abs(same["kid_mean"]) < 0.05 * noisy["kid_mean"]
    # at most 10 (10 classes, each predicted with certainty); real test images score 6.4 with the shipped classifier,
    # whose softmax is not one-hot (92% accurate); pure noise scores under half of that
    assert same["is_mean"] > 5.0
    uniform = compute_image_metrics(torch.rand(2000, 1, 32, 32), b, metrics=("is",), cache_dir=tmp_path)
    assert uniform["is_mean"] < 0.5 * same["is_mean"]
    proto = same["protocol"]
    assert proto["kid_subset_size"] == 500 and proto["extractor"] == "fmnist" and proto["n_fake"] == 2000


@needs_fmnist
def test_class_coverage(test_set):
    x, y = test_set
    cov = class_coverage(predict(x[:2000]), labels=y[:2000])
    assert cov["classes_covered"] == 10 and cov["accuracy"] > 0.9
    # one class alone: the classifier puts most of it in that class; its confusions (T-shirt/shirt/pullover/coat,
    # 1-10% each) can reach the 1% threshold, so a single class counts as 1-5 covered, never near 10
    for c in range(10):
        only = class_coverage(predict(x[:2000][y[:2000] == c]))
        assert only["class_fractions"][c] > 0.75 and only["classes_covered"] <= 5, (c, only)
    # five classes the classifier does not confuse (trouser, sandal, sneaker, bag, ankle boot): exactly those five
    keep = torch.isin(y[:4000], torch.tensor([1, 5, 7, 8, 9]))
    five = class_coverage(predict(x[:4000][keep]))
    assert five["classes_covered"] == 5
    assert all(five["class_fractions"][c] > 0.15 for c in (1, 5, 7, 8, 9))


def test_real_features_are_cached_and_keyed(tmp_path):
    torch.manual_seed(0)
    real, fake = torch.rand(300, 1, 32, 32), torch.rand(200, 1, 32, 32)
    kw = dict(metrics=("fid", "kid"), dataset="toy", cache_dir=tmp_path, kid_subset_size=100)
    first = compute_image_metrics(fake, real, **kw)
    files = list(tmp_path.glob("real_*.safetensors"))
    assert len(files) == 1 and not first["protocol"]["real_features_cached"]
    second = compute_image_metrics(fake, real, **kw)
    assert second["protocol"]["real_features_cached"]
    assert second["fid"] == first["fid"] and second["kid_mean"] == first["kid_mean"]
    compute_image_metrics(fake, real, **{**kw, "split": "test"})  # another split: another entry
    compute_image_metrics(fake, real[:250], **kw)  # another count: another entry
    assert len(list(tmp_path.glob("real_*.safetensors"))) == 3
    files[0].write_bytes(b"garbage")  # a damaged cache file is recomputed
    third = compute_image_metrics(fake, real, **kw)
    assert not third["protocol"]["real_features_cached"] and third["fid"] == first["fid"]


def test_inception_path_with_a_local_weights_file(tmp_path):
    """The standard FID extractor from a local file: random (seeded) weights in torch-fidelity's format, through
    ``compute_image_metrics`` as users call it. FID of a set against itself is 0 and grows with the noise added
    to it: features that were constant, or did not depend on the images, fail this."""
    import math

    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    class Arch(FeatureExtractorInceptionV3):  # builds the architecture from an empty file, to get its format
        def load_state_dict(self, state_dict, strict=True):
            return super().load_state_dict(state_dict, strict=False)

    torch.save({}, tmp_path / "empty.pth")
    torch.manual_seed(0)
    arch = Arch("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(tmp_path / "empty.pth"))
    state = arch.state_dict()
    for k, v in state.items():  # He-normal convolutions: torch's default init shrinks the 2048-d features to ~1e-8
        if v.dim() == 4:
            torch.nn.init.kaiming_normal_(v)
        elif k == "fc.weight":
            torch.nn.init.normal_(v, std=1 / math.sqrt(v.shape[1]))
    torch.save(state, tmp_path / "random_inception.pth")
    g = torch.Generator().manual_seed(0)
    real = F.interpolate(torch.rand(4, 1, 4, 4, generator=g), size=32, mode="bilinear")  # smooth random images
    noise = torch.randn(real.shape, generator=g)

    def fid_to(fake, **kw):
        return compute_image_metrics(fake, real, metrics=("fid", *kw.pop("more", ())), extractor="inception",
                                     weights_path=tmp_path / "random_inception.pth", dataset="toy",
                                     cache_dir=tmp_path, is_splits=1, **kw)

    same = fid_to(real.clone())["fid"]
    small = fid_to((real + 0.05 * noise).clamp(0, 1))["fid"]
    out = fid_to((real + 0.2 * noise).clamp(0, 1), more=("is",))
    # measured (4 images): itself -3e-5 (the matrix square root's rounding), noise 0.05 -> 2.9, 0.2 -> 105
    assert abs(same) < 1e-2, same
    assert small > 0.3 and out["fid"] > 10 * small, (small, out["fid"])
    assert np.isfinite(out["is_mean"])
    proto = out["protocol"]
    assert proto["feature_dim"] == 2048 and "antialias=True" in proto["resize"]
    import hashlib

    assert proto["weights_sha256"] == hashlib.sha256((tmp_path / "random_inception.pth").read_bytes()).hexdigest()
    # a pickle that is not a plain state dict is refused before torch-fidelity would unpickle it
    import pickle

    class Payload:
        def __reduce__(self):
            return (print, ("unpickled!",))

    (tmp_path / "evil.pth").write_bytes(pickle.dumps({"w": Payload()}))
    with pytest.raises(ValueError, match="not a plain state dict"):
        compute_image_metrics(real, real, metrics=("fid",), extractor="inception", weights_path=tmp_path / "evil.pth")


@pytest.mark.parametrize("kwargs,match", [
    (dict(extractor="vgg"), "extractor must be one of"),
    (dict(extractor="inception"), "needs weights_path"),
    (dict(extractor="inception", weights_path="/nonexistent/inception.pth"), "/nonexistent/inception.pth"),
    (dict(metrics=("fid", "lpips")), "metrics must be a non-empty subset"),
    (dict(n_fake=5), "n_fake=5 but 4 fake images"),
])
def test_bad_arguments_are_named(kwargs, match, tmp_path):
    x = torch.rand(4, 1, 32, 32)
    with pytest.raises((ValueError, FileNotFoundError), match=match):
        compute_image_metrics(x, x, cache_dir=tmp_path, **kwargs)


def test_bad_images_are_named(tmp_path):
    good = torch.rand(4, 1, 32, 32)
    with pytest.raises(ValueError, match=r"fake must lie in \[0, 1\].*\(x \+ 1\) / 2"):
        compute_image_metrics(good * 2 - 1, good, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="takes images with"):
        compute_image_metrics(torch.rand(4, 3, 32, 32), torch.rand(4, 3, 32, 32), cache_dir=tmp_path)
    with pytest.raises(ValueError, match="real must be a float tensor"):
        compute_image_metrics(good, (good * 255).byte(), cache_dir=tmp_path)

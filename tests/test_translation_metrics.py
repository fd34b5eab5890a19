"""The translation scores (ganzoo.metrics.translation) and the one PSNR (ganzoo.metrics.pixels) against hand
arithmetic on small hand-made images, through real ``Translator`` networks whose weights are set so that their
outputs are known exactly (no mocks: ``translate`` runs them as it runs a trained model)."""

import math

import pytest
import torch

import ganzoo.projection
from ganzoo.metrics import translation
from ganzoo.metrics.classifier import predict
from ganzoo.metrics.pixels import PSNR_CAP_DB, psnr
from ganzoo.metrics.translation import paired_scores, unpaired_scores
from ganzoo.translators import Translator

UNET = {"arch": "unet_generator", "in_channels": 1, "out_channels": 1, "num_downs": 2, "width": 1}


def img(*values, size=32):
    """``(len(values), 1, size, size)`` images, each filled with one value."""
    return torch.tensor(values, dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, 1, size, size).clone()


def _set(net, bright_gain=0.0, out=0.0):
    """A 2-level U-Net that outputs ``out`` (in [0, 1]) everywhere; with ``bright_gain`` > 0 it outputs 1 instead
    where its input exceeds 0.5: the first conv averages each 4x4 window of the [-1, 1] input, the last transposed
    conv adds ``bright_gain`` x ReLU(that average) to the bias, then tanh."""
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        net.down[0][0].weight.fill_(1 / 16)
        last = net.up[0][1]  # ReLU, ConvTranspose2d, Tanh; input channel 0 is the skip from the first conv
        last.weight[0].fill_(bright_gain)
        last.bias.fill_(math.atanh(2 * out - 1) if 0 < out < 1 else (-20.0 if out == 0 else 20.0))


def translator(atob, btoa):
    t = Translator({"AtoB": UNET, "BtoA": UNET})
    _set(t.nets["AtoB"], **atob)
    _set(t.nets["BtoA"], **btoa)
    return t


def test_psnr_by_hand():
    x = torch.zeros(3, 1, 2, 2)
    y = torch.zeros(3, 1, 2, 2)
    y[0, 0, 0, 0] = 0.5  # MSE = 0.5^2 / 4 = 0.0625 -> 10 log10(1 / 0.0625) = 10 log10(16) = 12.0412 dB
    y[1] = 0.1  # MSE = 0.01 -> 10 log10(100) = 20 dB
    # y[2] == x[2]: identical, MSE 0 -> the cap, 100 dB (not inf)
    p = psnr(x, y)
    assert p.dtype == torch.float32 and p.device.type == "cpu"
    torch.testing.assert_close(p, torch.tensor([12.0412, 20.0, 100.0]), atol=1e-4, rtol=0)
    assert PSNR_CAP_DB == 100.0
    # 8-bit images never reach the cap: one pixel off by 1/255 in 32x32 -> MSE 1.538e-5 / 1024 = 1.502e-8
    # -> 10 log10(6.658e7) = 78.23 dB
    z = torch.zeros(1, 1, 32, 32)
    one = z.clone()
    one[0, 0, 5, 5] = 1 / 255
    assert psnr(z, one).item() == pytest.approx(78.234, abs=1e-3)
    assert psnr(one, z).item() == psnr(z, one).item()  # symmetric
    with pytest.raises(ValueError, match="shapes differ"):
        psnr(x, torch.zeros(3, 1, 2, 3))


def test_one_psnr_for_translation_and_projection():
    assert translation.psnr is psnr and ganzoo.projection.psnr is psnr


def test_paired_scores_by_hand():
    t = translator(dict(out=0.75), dict(out=0.25))  # AtoB paints every image 0.75
    a = img(0.0, 1.0)
    b = img(0.75, 0.65)
    s = paired_scores(t, a, b, fid=False)
    assert s["n"] == 2
    # L1: image 0 |0.75 - 0.75| = 0, image 1 |0.75 - 0.65| = 0.1 -> mean 0.05
    assert s["l1"] == pytest.approx(0.05, abs=1e-6)
    # PSNR: image 0 identical -> 100 dB (the cap); image 1 MSE 0.1^2 = 0.01 -> 20 dB; mean (100 + 20) / 2 = 60 dB
    assert s["psnr_db"] == pytest.approx(60.0, abs=1e-3)
    # BtoA paints 0.25: against a, L1 = (|0.25 - 0| + |0.25 - 1|) / 2 = 0.5;
    # PSNR: 10 log10(1 / 0.0625) = 12.0412 and 10 log10(1 / 0.5625) = 2.4988 -> mean 7.2700 dB
    s = paired_scores(t, b, a, "BtoA", fid=False)
    assert s["l1"] == pytest.approx(0.5, abs=1e-6)
    assert s["psnr_db"] == pytest.approx((12.0412 + 2.4988) / 2, abs=1e-3)
    with pytest.raises(ValueError, match="2 inputs but 1 targets"):
        paired_scores(t, a, b[:1], fid=False)


def test_unpaired_scores_by_hand():
    # AtoB: 0 (black) where the input is <= 0.5, 1 (white) where it is brighter; BtoA: 0.25 everywhere
    t = translator(dict(out=0.0, bright_gain=20.0), dict(out=0.25))
    black, white = predict(img(0.0, 1.0)).tolist()  # the shipped classifier's class of a blank image of each
    assert black != white
    src = img(0.25, 0.5, 1.0, 0.0)  # -> black, black, white, black
    s = unpaired_scores(t, src, src, "AtoB", target_class=black, fid=False)
    assert s["n"] == 4 and s["target_class"] == black
    assert s["target_fraction"] == pytest.approx(3 / 4)  # 3 of the 4 translations are black
    assert unpaired_scores(t, src, src, target_class=white, fid=False)["target_fraction"] == pytest.approx(1 / 4)
    # cycle: back to 0.25 everywhere; |0.25-0.25| + |0.25-0.5| + |0.25-1| + |0.25-0| = 0 + 0.25 + 0.75 + 0.25 = 1.25
    # over 4 images -> 0.3125
    assert s["cycle_l1"] == pytest.approx(0.3125, abs=1e-5)
    # BtoA: every image -> 0.25 (class of a blank 0.25 image), then AtoB -> 0 (0.25 <= 0.5)
    grey = predict(img(0.25)).item()
    s = unpaired_scores(t, src, src, "BtoA", target_class=grey, fid=False)
    assert s["target_fraction"] == 1.0
    # cycle: |0 - 0.25| + |0 - 0.5| + |0 - 1| + |0 - 0| = 1.75 over 4 -> 0.4375
    assert s["cycle_l1"] == pytest.approx(0.4375, abs=1e-5)
    assert "target_fraction" not in unpaired_scores(t, src, src, fid=False)

"""The image-to-image networks (pix2pix U-Net and PatchGAN, CycleGAN ResNet generator): shapes, the reference
layer structure, skip connections, dropout, receptive fields, initialisation, errors and registry round trips."""

import pytest
import torch
from torch import nn

from ganzoo.nets import (
    UNET_DEPTHS,
    ImageTranslator,
    PatchDiscriminator,
    PixelDiscriminator,
    ResNetTranslator,
    UNetGenerator,
    receptive_field,
    unet,
)
from ganzoo.nets.translation import ResidualBlock
from ganzoo.registry import build_model


def _count(net, cls):
    return sum(isinstance(m, cls) for m in net.modules())


@pytest.mark.parametrize("num_downs,res", [(5, 32), (7, 128)])
def test_unet_shapes_range_and_layer_counts(num_downs, res):
    torch.manual_seed(0)
    g = UNetGenerator(in_channels=1, out_channels=3, num_downs=num_downs, width=4)
    x = torch.rand(2, 1, res, res) * 2 - 1
    y = g(x)
    assert y.shape == (2, 3, res, res)
    assert y.min() >= -1 and y.max() <= 1 and g.output_range == (-1.0, 1.0)
    assert isinstance(g, ImageTranslator) and (g.in_channels, g.out_channels) == (1, 3)
    assert _count(g, nn.Conv2d) == _count(g, nn.ConvTranspose2d) == num_downs
    # encoder widths w, 2w, 4w, 8w, 8w, ... (capped at 8w); decoder inputs carry the skip concatenation
    assert [d[-1 if i == 0 else 1].out_channels for i, d in enumerate(g.down)] == [4 * min(2 ** i, 8)
                                                                                   for i in range(num_downs)]
    assert [u[1].in_channels for u in g.up] == [2 * 4 * min(2 ** i, 8) for i in range(num_downs - 1)] + [32]
    # non-square inputs work as long as both sides are divisible by 2**num_downs
    assert g(torch.zeros(1, 1, res, 2 * res)).shape == (1, 3, res, 2 * res)


def test_unet_named_depths():
    assert UNET_DEPTHS == {"unet_128": 7, "unet_256": 8}
    assert unet("unet_128", width=2).num_downs == 7 and unet("unet_256", width=2).num_downs == 8
    with pytest.raises(ValueError, match=r"unknown U-Net 'unet_512'.*\['unet_128', 'unet_256'\]"):
        unet("unet_512")


def test_unet_skip_connections_carry_local_information():
    """Cut the bottleneck path below the outermost level: the output still depends on the input, and only near
    the perturbed pixel, which is only possible through the outermost skip connection."""
    torch.manual_seed(0)
    g = UNetGenerator(in_channels=1, out_channels=1, num_downs=5, width=4).eval()
    with torch.no_grad():
        for down in g.down[1:]:
            down[1].weight.zero_()
        x = torch.rand(1, 1, 32, 32) * 2 - 1
        x2 = x.clone()
        x2[0, 0, 16, 16] += 1.0
        diff = (g(x2) - g(x)).abs()[0, 0]
    rows, cols = torch.nonzero(diff > 1e-7, as_tuple=True)
    assert len(rows) > 0
    # input pixel 16 -> encoder positions 7..8 (4x4, stride 2, pad 1) -> output pixels 13..18 (transposed conv)
    assert rows.min() >= 13 and rows.max() <= 18 and cols.min() >= 13 and cols.max() <= 18


def test_unet_dropout_in_three_decoder_blocks_only_in_train_mode():
    g = UNetGenerator(num_downs=8, width=2)
    blocks = [i for i, u in enumerate(g.up) if any(isinstance(m, nn.Dropout) for m in u)]
    assert blocks == [4, 5, 6]  # the middle 8w -> 8w blocks, not the innermost (7) nor the 4w level (3)
    assert all(g.up[i][1].in_channels == 2 * 8 * 2 and g.up[i][1].out_channels == 8 * 2 for i in blocks)
    assert all(m.p == 0.5 for m in g.modules() if isinstance(m, nn.Dropout))
    assert _count(unet("unet_128", width=2), nn.Dropout) == 2
    assert _count(UNetGenerator(num_downs=8, width=2, dropout=False), nn.Dropout) == 0
    assert _count(UNetGenerator(num_downs=5, width=2), nn.Dropout) == 0
    torch.manual_seed(0)
    x = torch.rand(2, 3, 256, 256) * 2 - 1
    with torch.no_grad():
        g.train()
        assert not torch.equal(g(x), g(x))
        g.eval()
        torch.testing.assert_close(g(x), g(x), rtol=0, atol=0)


@pytest.mark.parametrize("n_blocks", [6, 9])
def test_resnet_translator_preserves_shape(n_blocks):
    torch.manual_seed(0)
    g = ResNetTranslator(in_channels=3, out_channels=1, width=4, n_blocks=n_blocks)
    y = g(torch.rand(2, 3, 64, 48) * 2 - 1)
    assert y.shape == (2, 1, 64, 48) and y.min() >= -1 and y.max() <= 1
    assert isinstance(g, ImageTranslator) and g.output_range == (-1.0, 1.0)
    assert (g.in_channels, g.out_channels) == (3, 1)
    assert _count(g, ResidualBlock) == n_blocks
    assert all(isinstance(m.block[2], nn.InstanceNorm2d) and not m.block[2].affine for m in g.modules()
               if isinstance(m, ResidualBlock))
    assert ResNetTranslator(width=2, n_blocks=1, n_downsampling=0)(torch.zeros(1, 3, 8, 8)).shape == (1, 3, 8, 8)


def test_residual_block_is_identity_plus_branch():
    blk = ResidualBlock(4, norm="none")
    with torch.no_grad():
        blk.block[-2].weight.zero_()  # last conv (no bias with norm="none", as the reference)
    x = torch.randn(2, 4, 8, 8)
    torch.testing.assert_close(blk(x), x)


def test_patch_discriminator_reference_shape():
    d = PatchDiscriminator(in_channels=6, width=4, n_layers=3)
    assert d(torch.zeros(2, 6, 256, 256)).shape == (2, 1, 30, 30)
    assert d(torch.zeros(1, 6, 24, 40)).shape == (1, 1, 1, 3)
    with pytest.raises(ValueError, match=r"too small for n_layers=3.*at least 24"):
        d(torch.zeros(1, 6, 23, 64))


def _gradient_footprint(net, size):
    """Extent (rows, cols) of the input pixels with a nonzero gradient of the centre output logit."""
    x = torch.ones(1, net.in_channels, size, size, dtype=torch.float64, requires_grad=True)
    out = net(x)
    h, w = out.shape[-2:]
    out[0, 0, h // 2, w // 2].backward()
    rows, cols = torch.nonzero(x.grad.abs().sum((0, 1)) > 0, as_tuple=True)
    assert rows.min() > 0 and rows.max() < size - 1, "footprint clipped by the border: use a larger input"
    assert cols.min() > 0 and cols.max() < size - 1
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


@pytest.mark.parametrize("n_layers,expected", [(1, 16), (2, 34), (3, 70)])
def test_receptive_field_matches_gradient_footprint(n_layers, expected):
    net = PatchDiscriminator(in_channels=2, width=2, n_layers=n_layers, norm="none").double().eval()
    assert receptive_field(net) == expected
    # positive weights on a positive input: every pre-activation is positive, so no gradient cancels
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.fill_(1.0 / m.weight[0].numel())
    assert _gradient_footprint(net, 128) == (expected, expected)


def test_receptive_field_of_other_stacks():
    assert receptive_field(PixelDiscriminator(width=2)) == 1
    assert receptive_field(PatchDiscriminator(width=2, n_layers=4)) == 142
    assert receptive_field(nn.Sequential(nn.Conv2d(1, 1, 3, dilation=2), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3))) == 10
    with pytest.raises(ValueError, match="not square"):
        receptive_field(nn.Conv2d(1, 1, (3, 1)))


def test_pixel_discriminator_per_pixel_logits():
    d = PixelDiscriminator(in_channels=3, width=4)
    assert d(torch.zeros(2, 3, 20, 36)).shape == (2, 1, 20, 36)
    assert all(m.kernel_size == (1, 1) for m in d.modules() if isinstance(m, nn.Conv2d))


def test_initialisation_statistics():
    torch.manual_seed(0)
    d = PatchDiscriminator()  # default width 64: the 256 -> 512 4x4 conv has 2,097,152 weights
    big = max((m for m in d.modules() if isinstance(m, nn.Conv2d)), key=lambda m: m.weight.numel())
    assert big.weight.numel() == 2 ** 21
    assert abs(big.weight.std().item() - 0.02) < 2e-4 and abs(big.weight.mean().item()) < 2e-4
    bns = [m for m in d.modules() if isinstance(m, nn.BatchNorm2d)]
    scales = torch.cat([m.weight.detach() for m in bns])  # 128 + 256 + 512 scales
    assert abs(scales.mean().item() - 1) < 0.005 and abs(scales.std().item() - 0.02) < 0.005
    assert all(torch.all(m.bias == 0) for m in bns)
    nets = [d, UNetGenerator(num_downs=5, width=8, norm="instance"), ResNetTranslator(width=8, n_blocks=2),
            PixelDiscriminator(width=8, norm="instance")]
    for net in nets:
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and m.bias is not None:
                assert torch.all(m.bias == 0)
    # the reference's use_bias: convolutions before a norm have a bias only with instance norm
    assert d.model[2].bias is None and nets[1].down[1][1].bias is not None
    assert PatchDiscriminator(width=2, norm="none").model[2].bias is None


@pytest.mark.parametrize("make,x,match", [
    (lambda: UNetGenerator(num_downs=6, width=2), torch.zeros(1, 3, 32, 32),
     r"UNetGenerator: input resolution 32x32 must be divisible by 2\*\*num_downs = 64 \(num_downs=6\)"),
    (lambda: UNetGenerator(num_downs=5, width=2), torch.zeros(1, 3, 32, 48),
     r"32x48 must be divisible .*num_downs=5"),
    (lambda: UNetGenerator(in_channels=1, num_downs=5, width=2), torch.zeros(1, 3, 32, 32),
     r"UNetGenerator: expected input of shape \(B, 1, H, W\), got \(1, 3, 32, 32\)"),
    (lambda: ResNetTranslator(width=2, n_blocks=1), torch.zeros(1, 1, 32, 32),
     r"ResNetTranslator: expected input of shape \(B, 3, H, W\)"),
    (lambda: ResNetTranslator(width=2, n_blocks=1), torch.zeros(1, 3, 30, 32),
     r"ResNetTranslator: input resolution 30x32 must be a multiple of 2\*\*n_downsampling = 4"),
    (lambda: PatchDiscriminator(width=2), torch.zeros(1, 3, 64, 64),
     r"PatchDiscriminator: expected input of shape \(B, 6, H, W\)"),
    (lambda: PixelDiscriminator(width=2), torch.zeros(3, 64, 64),
     r"PixelDiscriminator: expected input of shape \(B, 6, H, W\), got \(3, 64, 64\)"),
])
def test_bad_inputs_are_named(make, x, match):
    with pytest.raises(ValueError, match=match):
        make()(x)


@pytest.mark.parametrize("make,match", [
    (lambda: UNetGenerator(norm="group"), r"norm must be one of \('batch', 'instance', 'none'\), got 'group'"),
    (lambda: ResNetTranslator(norm="layer"), "norm must be one of"),
    (lambda: PatchDiscriminator(norm="spectral"), "norm must be one of"),
    (lambda: PixelDiscriminator(norm=None), "norm must be one of"),
    (lambda: ResNetTranslator(n_blocks=0), "n_blocks must be an integer >= 1, got 0"),
    (lambda: ResNetTranslator(n_blocks=2.0), "n_blocks must be an integer >= 1"),
    (lambda: ResNetTranslator(n_downsampling=-1), "n_downsampling must be an integer >= 0"),
    (lambda: UNetGenerator(num_downs=1), "num_downs must be an integer >= 2"),
    (lambda: UNetGenerator(width=0), "width must be an integer >= 1"),
    (lambda: UNetGenerator(in_channels=True), "in_channels must be an integer"),
    (lambda: UNetGenerator(dropout=0.5), "dropout must be a bool"),
    (lambda: PatchDiscriminator(n_layers=0), "n_layers must be an integer >= 1"),
    (lambda: unet("unet_256", num_downs=5), "do not pass num_downs"),
])
def test_bad_arguments_name_the_parameter(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("net", [
    UNetGenerator(in_channels=1, out_channels=2, num_downs=5, width=2, norm="instance", dropout=False),
    ResNetTranslator(in_channels=2, out_channels=1, width=2, n_blocks=2, n_downsampling=1, norm="batch"),
    PatchDiscriminator(in_channels=4, width=2, n_layers=2, norm="none"),
    PixelDiscriminator(in_channels=3, width=2, norm="instance"),
], ids=lambda n: n.arch_name)
def test_registry_round_trip(net):
    rebuilt = build_model(net.arch_name, net.config)
    assert type(rebuilt) is type(net) and rebuilt.config == net.config
    rebuilt.load_state_dict(net.state_dict(), strict=True)
    x = torch.rand(2, net.in_channels, 32, 32) * 2 - 1
    torch.testing.assert_close(rebuilt.eval()(x), net.eval()(x))
    assert net.arch_name in {"unet_generator", "resnet_translator", "patch_discriminator", "pixel_discriminator"}

"""The image networks: shapes, the papers' initialisation, conditioning, spectral norm, gradient penalties and
save/load through the Hub folder format."""

import numpy as np
import pytest
import torch

import ganzoo
from ganzoo.constraints import SpectralNorm, apply_spectral_norm
from ganzoo.nets import (
    ConditionalBatchNorm2d,
    DCGANCritic,
    DCGANGenerator,
    R3GANCritic,
    R3GANGenerator,
    ResNetCritic,
    ResNetGenerator,
)

PAIRS = [
    (DCGANGenerator, DCGANCritic, dict(resolution=32, width=8)),
    (DCGANGenerator, DCGANCritic, dict(resolution=64, width=8)),
    (ResNetGenerator, ResNetCritic, dict(resolution=32, width=16)),
]


@pytest.mark.parametrize("G,D,kw", PAIRS, ids=["dcgan32", "dcgan64", "resnet32"])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("num_classes", [0, 10])
def test_shapes_ranges_and_labels(G, D, kw, channels, num_classes):
    torch.manual_seed(0)
    g, d = G(channels=channels, num_classes=num_classes, **kw), D(channels=channels, num_classes=num_classes, **kw)
    z = torch.randn(4, g.latent_dim)
    y = torch.tensor([0, 3, 9, 3]) if num_classes else None
    x = g(z, y)
    r = kw["resolution"]
    assert x.shape == (4, channels, r, r) == (4, *g.output_shape)
    assert x.min() >= -1 and x.max() <= 1 and g.output_range == (-1.0, 1.0)
    assert d(x, y).shape == (4, 1)
    if num_classes:
        with pytest.raises(ValueError, match="labels.*required"):
            g(z)
        with pytest.raises(ValueError, match=r"labels must lie in \[0, 9\]"):
            d(x, torch.tensor([0, 1, 2, 10]))
    else:
        with pytest.raises(ValueError, match="unconditional"):
            g(z, torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match=rf"expected input of shape \(B, {channels}, {r}, {r}\)"):
        d(torch.zeros(4, channels, r // 2, r // 2), y)


@pytest.mark.parametrize("kwargs,match", [
    (dict(resolution=48), "resolution must be a power of two"),
    (dict(width=0), "width must be an integer >= 1"),
    (dict(channels=True), "channels must be an integer"),
    (dict(num_classes=-1), "num_classes must be an integer >= 0"),
])
@pytest.mark.parametrize("cls", [DCGANGenerator, DCGANCritic, ResNetGenerator, ResNetCritic])
def test_bad_arguments_name_the_parameter(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_bad_norm_and_feature_critic_with_projection():
    with pytest.raises(ValueError, match="norm must be one of"):
        DCGANCritic(norm="foo")
    with pytest.raises(ValueError, match="out_dim must be 1 for a conditional"):
        DCGANCritic(num_classes=10, out_dim=16)
    assert DCGANCritic(out_dim=16, norm="layer")(torch.zeros(2, 1, 32, 32)).shape == (2, 16)


def test_dcgan_initialisation_follows_the_paper():
    torch.manual_seed(0)
    g, d = DCGANGenerator(width=64), DCGANCritic(width=64, norm="batch")
    big = g.convs[1].weight  # 256 x 128 x 4 x 4
    assert big.std().item() == pytest.approx(0.02, rel=0.05) and abs(big.mean().item()) < 1e-3
    bn = [m for m in d.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    w = torch.cat([m.weight for m in bn])
    assert w.mean().item() == pytest.approx(1.0, abs=0.01) and w.std().item() == pytest.approx(0.02, rel=0.2)


def test_parameter_counts_match_the_reference_architectures():
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    # SN-GAN CIFAR-10 ResNets: about 4.3M (G, 256 channels) and 1.0M (D, 128 channels) parameters
    assert count(ResNetGenerator()) == pytest.approx(4.28e6, rel=0.01)
    assert count(ResNetCritic()) == pytest.approx(1.05e6, rel=0.01)
    # DCGAN 64x64 RGB (width 64): about 3.6M / 2.8M
    assert count(DCGANGenerator(channels=3, resolution=64)) == pytest.approx(3.58e6, rel=0.01)
    assert count(DCGANCritic(channels=3, resolution=64)) == pytest.approx(2.77e6, rel=0.01)


def test_conditional_batch_norm_starts_as_batch_norm_then_separates_classes():
    torch.manual_seed(0)
    g = DCGANGenerator(width=8, latent_dim=4, num_classes=3)
    z = torch.randn(6, 4).repeat(2, 1)
    y = torch.tensor([0] * 6 + [2] * 6)
    x = g(z, y)  # train mode: batch statistics are shared, per-class gamma = 1, beta = 0 at the start
    assert torch.allclose(x[:6], x[6:], atol=1e-6)
    with torch.no_grad():
        for m in g.modules():
            if isinstance(m, ConditionalBatchNorm2d):
                m.beta.weight[2] += 0.5
    x = g(z, y)
    assert (x[:6] - x[6:]).abs().max() > 1e-2


def test_projection_term_is_the_inner_product_with_the_class_embedding():
    torch.manual_seed(0)
    d = DCGANCritic(width=8, norm="none", num_classes=5)
    torch.nn.init.normal_(d.head.embed.weight)
    x = torch.randn(3, 1, 32, 32)
    a, b = torch.tensor([0, 1, 2]), torch.tensor([4, 4, 4])
    phi = d.features(x)
    expected = ((d.head.embed(a) - d.head.embed(b)) * phi).sum(1, keepdim=True)
    assert torch.allclose(d(x, a) - d(x, b), expected, atol=1e-5)


@pytest.mark.parametrize("critic", [DCGANCritic(norm="layer", width=8), DCGANCritic(norm="none", width=8),
                                    ResNetCritic(channels=1, width=8), R3GANCritic(widths=[32, 16, 16, 16])],
                         ids=["layer", "none", "resnet", "r3gan"])
def test_gradient_penalty_critics_have_no_batch_norm_and_double_backward(critic):
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in critic.modules())
    x = torch.randn(4, 1, 32, 32, requires_grad=True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    penalty = (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()
    penalty.backward()
    named = dict(critic.named_parameters())
    with_grad = {k for k, p in named.items() if p.grad is not None}
    assert all(torch.isfinite(named[k].grad).all() for k in with_grad)
    # every weight gets a penalty gradient; only biases that shift the output uniformly (the head's) do not
    assert {k for k in named if k.endswith("weight")} <= with_grad


def test_resnet_critic_spectral_norm_option_and_constraint_compose():
    torch.manual_seed(0)
    d = ResNetCritic(channels=3, width=16, spectral_norm=True)
    n_param = sum(1 for _ in d.parameters())
    SpectralNorm().prepare(d)  # the SN-GAN variant's constraint: no second parametrization
    assert sum(1 for _ in d.parameters()) == n_param
    x = torch.randn(8, 3, 32, 32)
    for _ in range(30):  # power iterations run in train-mode forwards
        d(x)
    layers = [m for m in d.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    sigmas = [torch.linalg.matrix_norm(m.weight.reshape(m.weight.shape[0], -1), 2).item() for m in layers]
    assert len(sigmas) >= 10 and all(abs(s - 1) < 0.05 for s in sigmas), sigmas


@pytest.mark.parametrize("gen", [DCGANGenerator(width=8, num_classes=10), ResNetGenerator(width=16, channels=1),
                                 R3GANGenerator(channels=3, widths=[32, 16, 16, 16], blocks=[2, 1, 1, 0])],
                         ids=["dcgan-conditional", "resnet", "r3gan"])
def test_save_load_roundtrip_is_exact(tmp_path, gen):
    from ganzoo.hub import save_generator

    save_generator(gen, tmp_path / "g")
    loaded = ganzoo.load(tmp_path / "g")
    assert type(loaded) is type(gen) and loaded.config == gen.config
    a = ganzoo.sample(gen, 6, seed=3)
    b = ganzoo.sample(loaded, 6, seed=3)
    assert torch.equal(a, b) and a.shape == (6, *gen.output_shape)


def test_apply_spectral_norm_is_idempotent():
    d = DCGANCritic(width=8, norm="none")
    apply_spectral_norm(d)
    before = sum(1 for _ in d.parameters())
    apply_spectral_norm(d)
    assert sum(1 for _ in d.parameters()) == before


# ---------------------------------------------------------------------------------------------- R3GAN
def _r3gan_params(widths, blocks, channels, latent=None, out_dim=None, expansion=2, group_width=16):
    """Parameters counted from the paper's description: each residual block is 1x1 (C -> 2C, bias), grouped 3x3
    (16 channels per group, bias), 1x1 (2C -> C, no bias); 1x1 transitions where the width changes; the
    generator's 4x4 basis, z -> width map and 1x1 to pixels, or the critic's 1x1 from pixels, depthwise 4x4 and
    linear head (no biases outside the blocks)."""
    n = 0
    for w, b in zip(widths, blocks):
        e = expansion * w
        n += b * (w * e + e + e * group_width * 9 + e + e * w)
    n += sum(a * b for a, b in zip(widths[:-1], widths[1:]) if a != b)
    if latent is not None:
        return n + widths[0] * 16 + latent * widths[0] + widths[-1] * channels
    return n + channels * widths[-1] + widths[0] * 16 + widths[0] * out_dim


@pytest.mark.parametrize("channels", [1, 3])
def test_r3gan_shapes_and_parameter_counts(channels):
    torch.manual_seed(0)
    g, d = R3GANGenerator(channels=channels), R3GANCritic(channels=channels)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    widths, blocks = [128, 64, 32, 16], [1, 1, 1, 1]
    assert count(g) == _r3gan_params(widths, blocks, channels, latent=64) == 178_112 + 16 * channels
    assert count(d) == _r3gan_params(widths, blocks, channels, out_dim=1) == 170_048 + 16 * channels
    z = torch.randn(5, 64)
    x = g(z)
    assert x.shape == (5, channels, 32, 32) == (5, *g.output_shape) and g.output_range == (-1.0, 1.0)
    assert d(x).shape == (5, 1) and R3GANCritic(channels=channels, out_dim=4)(x).shape == (5, 4)
    # the paper's CIFAR-10 networks (widths 768, 2 blocks a stage, 96 groups of 16): about 21 M parameters each
    paper = dict(channels=3, widths=[768] * 4, blocks=2)
    assert count(R3GANGenerator(**paper)) == _r3gan_params([768] * 4, [2] * 4, 3, latent=64)
    assert count(R3GANCritic(**paper)) == _r3gan_params([768] * 4, [2] * 4, 3, out_dim=1) == pytest.approx(20.7e6,
                                                                                                        rel=0.01)
    with pytest.raises(ValueError, match=rf"expected input of shape \(B, {channels}, 32, 32\)"):
        d(torch.zeros(2, channels, 16, 16))
    g16, d16 = R3GANGenerator(resolution=16, widths=[16, 16, 16]), R3GANCritic(resolution=16, widths=[16, 16, 16])
    assert d16(g16(torch.randn(2, 64))).shape == (2, 1)


def test_r3gan_fixup_initialisation_makes_every_block_the_identity():
    """Fix-up (R3GAN sec. 3, ``R3GAN/Networks.py``): the last layer of every residual branch is zero, the first two
    are He-initialised with their gain scaled by L^(-1/4), L the network's number of blocks; biases start at 0."""
    from ganzoo.nets.r3gan import LRELU_GAIN, ResidualBlock

    torch.manual_seed(0)
    for net in (R3GANGenerator(widths=[256, 128, 64, 32], blocks=[2, 2, 1, 1]),
                R3GANCritic(widths=[256, 128, 64, 32], blocks=[2, 2, 1, 1])):
        blocks = [m for m in net.modules() if isinstance(m, ResidualBlock)]
        assert len(blocks) == 6
        for b in blocks:
            x = torch.randn(3, b.conv1.in_channels, 8, 8)
            assert torch.equal(b.branch(x), torch.zeros_like(x)) and torch.equal(b(x), x)
            assert not b.conv3.weight.any() and b.conv3.bias is None
            assert not b.conv1.bias.any() and not b.conv2.bias.any()
        big = max(blocks, key=lambda b: b.conv1.in_channels)  # 256 -> 512 channels: 131k weights in conv1, 74k in conv2
        for conv in (big.conv1, big.conv2):
            fan_in = conv.weight[0].numel()
            expected = LRELU_GAIN * 6 ** (-1 / 4) / fan_in**0.5
            assert conv.weight.std().item() == pytest.approx(expected, rel=0.02)
        assert big.conv2.groups == 512 // 16
    # with every branch zero the generator is linear in its basis: z -> basis * (W z) -> resampling -> 1x1
    g = R3GANGenerator(widths=[16, 16, 16, 16])
    z = torch.randn(4, 64)
    torch.testing.assert_close(g(2 * z), 2 * g(z))


def _upfirdn_reference(x, up, down, pad):
    """The official code's ``upfirdn2d`` (``torch_utils/ops/upfirdn2d.py``, ``_upfirdn2d_ref``) in numpy, with
    ``CreateLowpassKernel([1, 2, 1])``: zeros inserted, padded, the [1, 3, 3, 1] outer-product filter (sum 1, gain
    up^2), then every ``down``-th pixel."""
    import numpy as np

    k = np.convolve([1.0, 2.0, 1.0], [1.0, 1.0])
    f = np.outer(k, k) / np.outer(k, k).sum() * up * up
    b, c, h, w = x.shape
    u = np.zeros((b, c, h * up, w * up))
    u[:, :, ::up, ::up] = x
    u = np.pad(u, ((0, 0), (0, 0), (pad[0], pad[1]), (pad[0], pad[1])))
    oh, ow = u.shape[2] - 3, u.shape[3] - 3
    out = np.zeros((b, c, oh, ow))
    for i in range(4):
        for j in range(4):
            out += f[3 - i, 3 - j] * u[:, :, i:i + oh, j:j + ow]  # convolution: the flipped filter
    return out[:, :, ::down, ::down]


@pytest.mark.parametrize("channels_last", [False, True])
def test_r3gan_resampling_is_the_official_upfirdn_with_the_121_filter(channels_last):
    from ganzoo.nets.r3gan import Resample

    torch.manual_seed(0)
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    xin = x.contiguous(memory_format=torch.channels_last) if channels_last else x
    # upsample2d: padding (fw + up - 1) // 2 = 2 before, (fw - up) // 2 = 1 after; downsample2d: 1 and 1
    up, down = Resample(up=True)(xin), Resample(up=False)(xin)
    assert up.shape == (2, 3, 16, 16) and down.shape == (2, 3, 4, 4)
    np.testing.assert_allclose(up.numpy(), _upfirdn_reference(x.numpy(), 2, 1, (2, 1)), atol=1e-12)
    np.testing.assert_allclose(down.numpy(), _upfirdn_reference(x.numpy(), 1, 2, (1, 1)), atol=1e-12)
    assert up.is_contiguous(memory_format=torch.channels_last) == channels_last == down.is_contiguous(
        memory_format=torch.channels_last)
    ones = torch.ones(1, 1, 8, 8, dtype=torch.float64)  # gain 1: a constant stays one, away from the border
    for up in (True, False):
        inner = Resample(up=up)(ones)[..., 1:-1, 1:-1]
        assert torch.equal(inner, torch.ones_like(inner))


def test_r3gan_critic_head_is_the_depthwise_4x4_convolution_and_channels_last_gives_the_same_outputs():
    torch.manual_seed(0)
    d, g = R3GANCritic(channels=3, widths=[32, 16, 16, 16]), R3GANGenerator(channels=3, widths=[32, 16, 16, 16])
    for m in (*d.modules(), *g.modules()):  # non-zero residual branches, so every layer matters
        if isinstance(m, torch.nn.Conv2d) and not m.weight.any():
            torch.nn.init.normal_(m.weight, 0, 0.05)
    x = torch.randn(4, 3, 32, 32)
    h = d.body(d.stem(x))
    torch.testing.assert_close(d(x), d.linear(d.basis(h).flatten(1)))  # the weighted sum is the depthwise conv
    z = torch.randn(4, 64)
    ref_g, ref_d = g(z), d(x)
    g.to(memory_format=torch.channels_last), d.to(memory_format=torch.channels_last)
    seen = []  # the memory format of the first residual block's input (a 1-channel image's stem output is ambiguous)
    for net in (g, d):
        net.body[0].register_forward_pre_hook(lambda m, a: seen.append(a[0].is_contiguous(
            memory_format=torch.channels_last) and not a[0].is_contiguous()))
    out = g(z)
    assert out.is_contiguous(memory_format=torch.channels_last)  # channels-last from the 4x4 basis on
    torch.testing.assert_close(out, ref_g)
    torch.testing.assert_close(d(x.contiguous(memory_format=torch.channels_last)), ref_d)
    gray = R3GANCritic(channels=1, widths=[32, 16, 16, 16]).to(memory_format=torch.channels_last)
    gray.body[0].register_forward_pre_hook(lambda m, a: seen.append(a[0].is_contiguous(
        memory_format=torch.channels_last) and not a[0].is_contiguous()))
    gray(torch.randn(2, 1, 32, 32).contiguous(memory_format=torch.channels_last))
    assert seen == [True, True, True]


@pytest.mark.parametrize("kwargs,match", [
    (dict(widths=[64, 32, 16]), r"widths must list 4 stage widths \(4x4 to 32x32\)"),
    (dict(widths=[64, 32, 16, 0]), "widths must be an integer >= 1"),
    (dict(blocks=[1, 1]), "blocks must be one number or 4"),
    (dict(blocks=[0, 0, 0, 0]), "at least one residual block"),
    (dict(blocks=0), "blocks must be an integer >= 1"),
    (dict(widths=[128, 64, 32, 12]), "group_width=16 must divide expansion x width = 2 x 12"),
    (dict(resolution=4), "resolution must be a power of two >= 8"),
    (dict(channels=0), "channels must be an integer >= 1"),
])
@pytest.mark.parametrize("cls", [R3GANGenerator, R3GANCritic])
def test_r3gan_bad_arguments_name_the_parameter(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)

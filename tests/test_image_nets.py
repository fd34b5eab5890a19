"""The image networks: shapes, the papers' initialisation, conditioning, spectral norm, gradient penalties and
save/load through the Hub folder format."""

import pytest
import torch

import ganzoo
from ganzoo.constraints import SpectralNorm, apply_spectral_norm
from ganzoo.nets import ConditionalBatchNorm2d, DCGANCritic, DCGANGenerator, ResNetCritic, ResNetGenerator

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
                                    ResNetCritic(channels=1, width=8)], ids=["layer", "none", "resnet"])
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


@pytest.mark.parametrize("gen", [DCGANGenerator(width=8, num_classes=10), ResNetGenerator(width=16, channels=1)],
                         ids=["dcgan-conditional", "resnet"])
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

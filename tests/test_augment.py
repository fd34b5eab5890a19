"""DiffAugment's ops (ganzoo.augment): differentiable, seeded, the identity at p = 0, and drawing their shifts, holes
and colour factors from the reference implementation's ranges (mit-han-lab/data-efficient-gans)."""

from __future__ import annotations

import pytest
import torch

from ganzoo.augment import OPS, POLICIES, brightness, contrast, cutout, diff_augment, saturation, translation


def _images(n=256, c=1, side=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, c, side, side, generator=g) * 2 - 1


@pytest.mark.parametrize("policy", [*POLICIES, "color,translation,cutout"])
def test_every_policy_is_differentiable_and_seeded(policy):
    x = _images(16).requires_grad_(True)
    torch.manual_seed(1)
    y = diff_augment(x, policy)
    y.square().sum().backward()
    assert y.shape == x.shape and x.grad is not None and x.grad.abs().sum() > 0
    torch.manual_seed(1)
    assert torch.equal(diff_augment(x.detach(), policy), y.detach())
    torch.manual_seed(2)
    assert not torch.equal(diff_augment(x.detach(), policy), y.detach())


@pytest.mark.parametrize("op", [f for fns in OPS.values() for f in fns], ids=lambda f: f.__name__)
def test_p_zero_is_the_identity_and_p_applies_to_that_fraction(op):
    x = _images(2000, c=3)
    torch.manual_seed(0)
    assert torch.equal(op(x, 0.0), x)
    changed = (op(x, 0.3) != x).flatten(1).any(1).float().mean().item()
    assert abs(changed - 0.3) < 0.04, changed


def test_translation_moves_each_image_by_a_uniform_integer_shift_of_at_most_an_eighth():
    n, side = 4000, 32
    x = torch.zeros(n, 1, side, side)
    x[:, :, 16, 16] = 1.0
    torch.manual_seed(0)
    y = translation(x)
    pos = (y[:, 0] == 1).flatten(1).float().argmax(1)
    dr, dc = pos // side - 16, pos % side - 16
    assert (y.flatten(1).sum(1) == 1).all()  # the pixel is still there, nothing else changed
    for d in (dr, dc):
        counts = torch.bincount(d + 4, minlength=9)
        assert d.min() == -4 and d.max() == 4  # 32 / 8 = 4
        assert (counts - n / 9).abs().max() < 0.2 * n / 9, counts  # uniform on -4..4
    # a shifted-out border reads zeros
    torch.manual_seed(3)
    ones = translation(torch.ones(200, 1, side, side))
    shifted = ones.flatten(1).sum(1) < side * side
    assert shifted.any() and set(ones.unique().tolist()) <= {0.0, 1.0}


def test_cutout_zeroes_a_half_side_square_around_a_uniform_centre():
    n, side = 4000, 32
    torch.manual_seed(0)
    y = cutout(torch.ones(n, 1, side, side))
    holes = y[:, 0] == 0
    rows, cols = holes.any(2), holes.any(1)
    height, width = rows.sum(1), cols.sum(1)
    assert height.max() == 16 and width.max() == 16  # half of the side
    assert ((holes.flatten(1).sum(1)) == height * width).all()  # a rectangle: the square clipped at the border
    full = (height == 16) & (width == 16)
    # the centre is uniform on 0..32 in each direction (the reference's offsets): the square stays whole for centres
    # 8..24, in (17/33)^2 = 26.5% of the images, and those centres spread evenly over 8..24
    assert abs(full.float().mean() - (17 / 33) ** 2) < 0.03, full.float().mean()
    centre_rows = rows[full].float().argmax(1) + 8
    assert centre_rows.min() == 8 and centre_rows.max() == 24


def test_colour_ops_draw_the_reference_factors_and_saturation_needs_channels():
    x = _images(4000, c=1)
    torch.manual_seed(0)
    shift = (brightness(x) - x).flatten(1)
    assert torch.allclose(shift, shift[:, :1].expand_as(shift), atol=1e-6)
    assert -0.5 <= shift.min() and shift.max() <= 0.5 and abs(shift[:, 0].mean()) < 0.02
    assert torch.equal(saturation(x), x)  # one channel: the channel mean is the pixel
    rgb = _images(8, c=3)
    assert not torch.equal(saturation(rgb), rgb)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    factor = ((contrast(x) - mean) / (x - mean)).flatten(1)[:, 0]
    assert 0.5 <= factor.min() and factor.max() <= 1.5


def test_a_bad_policy_or_probability_is_refused_by_name():
    with pytest.raises(ValueError, match="augment policy: unknown op"):
        diff_augment(_images(2), "translate")
    with pytest.raises(ValueError, match="p must be in"):
        diff_augment(_images(2), "cutout", p=1.5)


def test_ada_moves_p_toward_the_target_by_the_papers_step_and_keeps_it_in_0_1():
    from ganzoo.augment import Augment

    ada = Augment("translation", ada_target=0.6, ada_interval=4, ada_kimg=0.5)  # 500 images from 0 to 1
    outs = [torch.tensor([1.0] * 60 + [-1.0] * 4)] * 4  # r_t = 56/64 = 0.875 > 0.6
    for o in outs[:3]:
        assert ada.observe(o) == 0.0  # adjusted every 4 steps only
    assert ada.observe(outs[3]) == pytest.approx(256 / 500) and ada.r_t == pytest.approx(0.875)
    for _ in range(8):
        ada.observe(torch.tensor([1.0] * 64))
    assert ada.p == 1.0  # clipped
    for _ in range(4):
        ada.observe(torch.tensor([1.0] * 32 + [-1.0] * 32))  # r_t = 0 < 0.6: p falls
    assert ada.p == pytest.approx(1 - 256 / 500)
    assert Augment("cutout").p == 1.0 and not Augment("cutout").adaptive  # DiffAugment: p = 1, fixed


def test_ada_state_round_trips_and_ranks_share_one_p():
    from ganzoo.augment import Augment

    a = Augment("cutout", ada_target=0.6, ada_interval=2, ada_kimg=1)
    a.observe(torch.ones(8))
    b = Augment("cutout", ada_target=0.6, ada_interval=2, ada_kimg=1)
    b.load_state_dict(a.state_dict())
    assert a.observe(torch.ones(8)) == b.observe(torch.ones(8)) == pytest.approx(16 / 1000)
    # under DDP the signs are summed over ranks: this rank's batch alone says r_t = 0 (< 0.2, p would fall), the two
    # ranks together say 8/16 = 0.5 (> 0.2): p rises by the 16 images of both
    other_rank = torch.tensor([8.0, 8.0])  # the other rank: 8 images, all with D > 0
    c = Augment("cutout", ada_target=0.2, ada_interval=1, ada_kimg=1)
    p = c.observe(torch.cat([torch.ones(4), -torch.ones(4)]), reduce=lambda s: s + other_rank)
    assert c.r_t == pytest.approx(8 / 16) and p == pytest.approx(16 / 1000)


def test_the_critic_sees_only_augmented_images_in_a_real_fit(tmp_path):
    """A conditional model on small images with cutout: every batch that reaches the critic (real and fake, in the
    critic's and the generator's steps) has its 16x16 hole; the exported config records the policy."""
    import json

    from conftest import quiet_trainer
    from variant_cases import case

    c = case("cgan")
    model = c.build(augment={"policy": "cutout"})
    seen = []
    model.critic.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().clone()))
    quiet_trainer(tmp_path).fit(model, c.data())
    assert len(seen) == 2 * model.critic_iters + model.gen_iters  # real + fake a critic step, fake a generator step
    for x in seen:
        zero = (x == 0).all(dim=1)  # (N, H, W): pixels zero in every channel
        blocks = torch.nn.functional.avg_pool2d(zero.float().unsqueeze(1), 8, stride=1).amax(dim=(1, 2, 3))
        assert (blocks == 1).all(), "an image reached the critic without its cutout hole"
    cfg = json.loads((tmp_path / "generator" / "config.json").read_text())
    assert cfg["training"]["augment"] == {"policy": "cutout", "p": 1.0}


def test_augment_is_refused_for_a_generator_of_points():
    import ganzoo

    with pytest.raises(ValueError, match=r"augment transforms images \(C, H, W\); this generator makes \(2,\)"):
        ganzoo.DCGAN(hidden_dim=16, augment={"policy": "cutout"})
    with pytest.raises(ValueError, match="augment policy: unknown op"):
        ganzoo.DCGAN(augment={"policy": "flip"})


def test_fit_on_few_images_without_augmentation_warns_once_naming_the_how_to(tmp_path):
    import warnings

    from conftest import quiet_trainer
    from variant_cases import case

    from ganzoo.training.latent_checks import SMALL_DATA

    c = case("cgan")
    assert len(c.data().training_set()) == 64 < SMALL_DATA
    for augment, expected in ((None, 1), ({"policy": "cutout"}, 0)):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            quiet_trainer(tmp_path / str(expected)).fit(c.build(augment=augment), c.data())
        small = [str(w.message) for w in rec if "without augmentation" in str(w.message)]
        assert len(small) == expected, small
        if expected:
            assert small[0].startswith("training on 64 images without augmentation") and "howto/small-data" in small[0]

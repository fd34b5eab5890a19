"""The WGAN paper's Example 1 (Arjovsky et al. 2017): P_0 = (0, U[0,1]) vs a generator frozen at
P_theta = (theta, U[0,1]).

The supports are disjoint for theta != 0: W1 = |theta| while JS = log 2 whatever theta is. A trained
WGAN-GP critic's estimate tracks |theta|; a trained JS (logistic) discriminator's value does not.
"""

import math

import pytest
import torch

from ganzoo.constraints import GradientPenalty
from ganzoo.data.toy2d import line_samples
from ganzoo.nets import MLPCritic
from ganzoo.objectives import Logistic, Wasserstein, scalar


def train_critic(objective, constraints, theta, steps, lr, betas, seed=0):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    critic = MLPCritic(2, 1, hidden_dim=64, n_layers=2)
    opt = torch.optim.Adam(critic.parameters(), lr=lr, betas=betas)
    for _ in range(steps):
        real, fake = line_samples(0.0, 256, gen), line_samples(theta, 256, gen)
        r, f = critic(real), critic(fake)
        loss = objective.critic_loss(r, [f])
        for c in constraints:
            loss = loss + c.penalty(lambda x: scalar(critic(x)), real, fake)
        opt.zero_grad()
        loss.backward()
        opt.step()
    real, fake = line_samples(0.0, 8192, gen), line_samples(theta, 8192, gen)
    with torch.no_grad():
        return objective.estimate(critic(real), [critic(fake)]).item()


@pytest.mark.parametrize("theta", [0.25, 0.5, 1.0])
def test_wgan_gp_critic_estimates_w1_on_the_line(theta):
    est = train_critic(Wasserstein(), [GradientPenalty(10.0)], theta, steps=600, lr=1e-3, betas=(0.5, 0.9))
    assert abs(est - abs(theta)) <= 0.15 * abs(theta), (theta, est)


def test_js_discriminator_value_sits_at_log2():
    js = []
    for theta in (0.25, 0.5, 1.0):
        value = train_critic(Logistic(), [], theta, steps=600, lr=1e-3, betas=(0.5, 0.999))
        # V(D) = E log D(x_r) + E log(1 - D(x_g)) <= 2 JS - 2 log 2, with equality at D*
        js.append((value + 2 * math.log(2)) / 2)
    for v in js:
        assert abs(v - math.log(2)) < 0.03 * math.log(2), js
    # flat in theta (the JS gives no signal), unlike W1 which quadruples from 0.25 to 1
    assert max(js) - min(js) < 0.02

"""The objective interface: a divergence seen through the critic's outputs.

An objective is a small stateless object. It never touches optimizers or networks' parameters; the
shared :class:`~ganzoo.training.LatentGAN` orchestrates, the objective only turns critic
outputs into losses.

Shapes: ``real_out`` is the critic's output on a real batch, ``fake_outs`` a list of outputs on
``n_fake_batches`` independent generated batches. Scalar critics output ``(B,)`` or ``(B, 1)``;
feature critics (Cramer, MMD) output ``(B, D)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from torch import Tensor, nn

Witness = Callable[[Tensor], Tensor]


def scalar(out: Tensor) -> Tensor:
    """Flatten a scalar critic's output ``(B,)``/``(B, 1)`` to ``(B,)``."""
    if out.dim() > 1 and out.shape[1:].numel() != 1:
        raise ValueError(
            f"this objective needs a scalar critic (output (B,) or (B, 1)), got output shape {tuple(out.shape)}"
        )
    return out.reshape(out.shape[0])


class Objective:
    """Base class. Subclasses set the class attributes and implement the two losses."""

    name: str = "objective"
    #: independent generated batches per step (Cramer GAN needs two)
    n_fake_batches: int = 1
    #: the generator loss needs the critic's output on a real batch
    needs_real_for_generator: bool = False
    #: the critic's estimate is a distance that should track sample quality (logged every step)
    is_distance: bool = False
    #: the critic outputs one number per sample (False: a feature vector)
    scalar_critic: bool = True
    #: factor that turns the losses into the pix2pix/CycleGAN reference code's (sums of per-term means against
    #: target 1 or 0, the discriminator's halved): 1 for the logistic losses, 2 for least squares (Mao et al.'s 1/2)
    reference_scale: float = 1.0

    def critic_loss(self, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Tensor:
        raise NotImplementedError

    def generator_loss(self, fake_outs: Sequence[Tensor], real_out: Tensor | None = None) -> Tensor:
        raise NotImplementedError

    def estimate(self, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Tensor:
        """The critic's estimate of the divergence (the value the critic maximises)."""
        return -self.critic_loss(real_out, fake_outs)

    def witness(self, critic: nn.Module, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Witness:
        """The scalar function ``x -> (B,)`` whose gradient a penalty constrains.

        For a scalar critic this is the critic itself; Cramer and MMD objectives override it.
        """
        return lambda x: scalar(critic(x))

    def surface(self, critic: nn.Module, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Witness:
        """The witness as a function of any number of points (for plots); the witness itself by default."""
        return self.witness(critic, real_out, fake_outs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

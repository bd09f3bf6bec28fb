"""Bonus, an extra optimizer: Adam.step(params, grads) updates the arrays in place exactly as
torch.optim.Adam does (no weight decay), step after step, and returns them."""

import pytest

from autograder import N_
from autograder.testing import assert_close, require
from autograder.testing.torch_parity import optimizer_trajectory

TASK = "Optimizer"


@pytest.mark.task(TASK)
@pytest.mark.parametrize("options", [{"learning_rate": 0.001}, {"learning_rate": 0.05, "beta1": 0.8,
                                                                 "beta2": 0.99, "eps": 1e-6}])
def test_adam_follows_torch_optim_adam(student, rng, options):
    nb = student.module("notebook")
    params = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    grads = [[rng.standard_normal(p.shape) for p in params] for _ in range(4)]
    adam = nb.Adam(**options)
    expected = optimizer_trajectory(
        "Adam", params, grads, lr=options["learning_rate"],
        betas=(options.get("beta1", 0.9), options.get("beta2", 0.999)), eps=options.get("eps", 1e-8))
    current = [p.copy() for p in params]
    for step, (step_grads, wanted) in enumerate(zip(grads, expected, strict=True), start=1):
        returned = adam.step(current, step_grads)
        require(isinstance(returned, (list, tuple)) and len(returned) == 2,
              N_(f"Adam({options}).step(params, grads) should return the list of updated parameters "
                 f"(2 here), got {type(returned).__name__}"))
        for name, got, value in zip(("W", "b"), returned, wanted, strict=True):
            assert_close(got, value, N_(f"{name} after Adam({options}).step #{step}"),
                         against="torch.optim.Adam",
                         hint=N_("m and v start at zero; divide them by (1 - beta ** t) (bias "
                                 "correction); eps is added to sqrt(v_hat)."))
        current = list(returned)

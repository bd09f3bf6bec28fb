"""Hidden checks of modules.layers.Sequential on other numbers of children and shapes than the
public test, with the grader's known-good affine probes as children (y = x * scale + shift;
parameters [scale, shift]; each records its calls): each child's own input in backward, one call
of each child per pass, finite differences. The container methods the template gives (train, eval,
zero_grad, parameters, parameters_grad) are not graded."""

import pytest

from autograder import N_, config
from autograder.testing import assert_close, require
from autograder.testing.torch_parity import AffineChain, compare_pass, gradient_check, weighted_sum
from autograder.interfaces.torch_modules import affine_modules

SPEC = config.load_for(__file__)
BACKWARD = (N_("go through the modules in reverse order; module i gets as its input the output of "
               "module i - 1 (module.output, kept by its forward) or, for the first module, the "
               "Sequential's own input: grad = module.backward(module_input, grad)."))
FORWARD = N_("feed each module's output to the next one: x = module(x) in a loop over self.modules.")


def build(student, layers, rng, children, features):
    scales = [rng.uniform(0.5, 1.5, features) * rng.choice([-1, 1], features)
              for _ in range(children)]
    shifts = [rng.standard_normal(features) for _ in range(children)]
    probes = affine_modules(student, SPEC.package, zip(scales, shifts, strict=True))
    return layers.Sequential(*probes), probes, AffineChain(scales, shifts), scales, shifts


@pytest.mark.task("Sequential")
@pytest.mark.extends("test_sequential")
def test_sequential_backward_gives_each_child_its_own_input(student, rng):
    layers = student.module("modules.layers")
    for children in (1, 4):
        model, probes, reference, _, _ = build(student, layers, rng, children, 3)
        name = N_(f"Sequential of {children} affine probe(s)")
        x, g = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
        compare_pass(model, reference, x, g, name=name, against=N_("the same chain in torch"),
                     hints={"forward": FORWARD, "backward": BACKWARD})
        for i, (probe, (grad_scale, grad_shift)) in enumerate(
                zip(probes, reference.child_grads(), strict=True)):
            assert_close(probe.grad_shift, grad_shift, N_(f"{name}: child #{i}'s grad_shift"),
                         against="torch", hint="every child's backward must be called once, "
                         "with the gradient w.r.t. ITS output: " + BACKWARD)
            assert_close(probe.grad_scale, grad_scale, N_(f"{name}: child #{i}'s grad_scale (it "
                         "depends on the input the child was given in backward)"),
                         against="torch", hint=BACKWARD)
            calls = probe.calls
            require(calls == ["forward", "backward"],
                  N_(f"{name}: child #{i} saw the calls {calls} during one forward and one backward "
                     "pass of the Sequential, expected ['forward', 'backward'].\n  Hint: forward "
                     "calls each child once; backward calls each child's backward once, reusing the "
                     "outputs kept by forward (never recompute forward in backward: a Dropout would "
                     "draw a new mask)."))


@pytest.mark.task("Sequential")
@pytest.mark.extends("test_sequential")
def test_sequential_finite_differences(student, rng):
    layers = student.module("modules.layers")
    model, _, _, _, _ = build(student, layers, rng, 3, 3)
    x, g = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    forward = model.forward
    forward(x)
    grad_input = model.backward(x, g)
    gradient_check(weighted_sum(forward, g, "Sequential.forward(x)"), x, grad_input,
                   what=N_(f"Sequential of 3 affine probes: backward(x, grad_output) for x of shape "
                           f"{x.shape}"), hint=BACKWARD)

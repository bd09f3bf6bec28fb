"""Hidden checks of modules.layers.Sequential, with the grader's known-good affine probes as
children (y = x * scale + shift; parameters [scale, shift]; each records its calls): each child's
own input in backward, train/eval propagation, parameters()/parameters_grad(), accumulation and
zero_grad, finite differences."""

import numpy as np
import pytest

from autograder.checks import as_array, assert_close, check
from autograder.checks.compare import kind_of
from autograder.checks.torch_parity import AffineChain, compare_pass, gradient_check, weighted_sum

BACKWARD = ("go through the modules in reverse order; module i gets as its input the output of "
            "module i - 1 (module.output, kept by its forward) or, for the first module, the "
            "Sequential's own input: grad = module.backward(module_input, grad).")
FORWARD = "feed each module's output to the next one: x = module(x) in a loop over self.modules."


def build(student, layers, rng, children, features):
    scales = [rng.uniform(0.5, 1.5, features) * rng.choice([-1, 1], features)
              for _ in range(children)]
    shifts = [rng.standard_normal(features) for _ in range(children)]
    probes = [student.probe("affine", s, h) for s, h in zip(scales, shifts, strict=True)]
    return layers.Sequential(*probes), probes, AffineChain(scales, shifts), scales, shifts


@pytest.mark.task("Sequential")
def test_sequential_backward_gives_each_child_its_own_input(student, rng):
    layers = student.module("modules.layers")
    for children in (1, 4):
        model, probes, reference, _, _ = build(student, layers, rng, children, 3)
        name = f"Sequential of {children} affine probe(s)"
        x, g = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
        compare_pass(model, reference, x, g, name=name, against="the same chain in torch",
                     hints={"forward": FORWARD, "backward": BACKWARD})
        for i, (probe, (grad_scale, grad_shift)) in enumerate(
                zip(probes, reference.child_grads(), strict=True)):
            assert_close(probe.grad_shift, grad_shift, f"{name}: child #{i}'s grad_shift",
                         against="torch", hint="every child's backward must be called once, "
                         "with the gradient w.r.t. ITS output: " + BACKWARD)
            assert_close(probe.grad_scale, grad_scale, f"{name}: child #{i}'s grad_scale (it "
                         "depends on the input the child was given in backward)",
                         against="torch", hint=BACKWARD)
            calls = probe.calls
            check(calls == ["forward", "backward"],
                  f"{name}: child #{i} saw the calls {calls} during one forward and one backward "
                  "pass of the Sequential, expected ['forward', 'backward'].\n  Hint: forward "
                  "calls each child once; backward calls each child's backward once, reusing the "
                  "outputs kept by forward (never recompute forward in backward: a Dropout would "
                  "draw a new mask).")


@pytest.mark.task("Sequential")
def test_sequential_train_eval_reach_every_child(student, rng):
    layers = student.module("modules.layers")
    model, probes, reference, _, _ = build(student, layers, rng, 3, 2)
    x = rng.standard_normal((2, 2))
    for mode in ("eval", "train"):
        getattr(model, mode)()
        compare_pass(model, reference, x, rng.standard_normal(x.shape),
                     name=f"Sequential of 3 probes after .{mode}()",
                     against="the same chain in torch",
                     hints={"forward": FORWARD, "backward": BACKWARD})
        states = [probe.training for probe in probes] + [model.training]
        states = [s if isinstance(s, bool) else repr(s) for s in states]
        check(states == [mode == "train"] * 4,
              f"after Sequential.{mode}(), the `training` flags of the children and of the "
              f"Sequential itself are {states}, expected all {mode == 'train'}.\n  Hint: "
              f"Sequential.{mode}() must call {mode}() of every child, and of its base class.")


@pytest.mark.task("Sequential")
def test_sequential_parameters_accumulate_and_reset(student, rng):
    layers = student.module("modules.layers")
    model, probes, reference, scales, shifts = build(student, layers, rng, 3, 4)
    name = "Sequential of 3 affine probes"
    for call in (1, 2):
        x, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
        compare_pass(model, reference, x, g, name=name, against="the same chain in torch",
                     context=f"pass #{call} without zero_grad" if call > 1 else "",
                     hints={"forward": FORWARD, "backward": BACKWARD})
    expected_params = [p for pair in zip(scales, shifts, strict=True) for p in pair]
    expected_grads = [grad for pair in reference.child_grads() for grad in pair]
    for method, expected in (("parameters", expected_params),
                             ("parameters_grad", expected_grads)):
        got = getattr(model, method)()
        check(isinstance(got, list) and len(got) == len(expected),
              f"{name}: {method}() should be a list of {len(expected)} arrays (each child's, in "
              "order), got " + (f"a list of {len(got)}" if isinstance(got, list)
                                else kind_of(got)))
        for k, (value, want) in enumerate(zip(got, expected, strict=True)):
            what = f"{name}: {method}()[{k}] after 2 backward passes without zero_grad"
            assert_close(as_array(value, what), want, what,
                         against="child #{}'s {} ({})".format(
                             k // 2, ("scale", "shift")[k % 2],
                             "accumulated gradient" if method == "parameters_grad" else "value"),
                         hint="concatenate the children's lists in order; gradients of the "
                              "children add up over backward passes until zero_grad().")
    model.zero_grad()
    got = model.parameters_grad()
    check(isinstance(got, list) and len(got) == 6
          and all(isinstance(v, np.ndarray) and not np.any(v) for v in got),
          f"{name}: after zero_grad(), parameters_grad() must hold zeros only.\n  Hint: "
          "Sequential.zero_grad() calls zero_grad() of every child.")


@pytest.mark.task("Sequential")
def test_sequential_finite_differences(student, rng):
    layers = student.module("modules.layers")
    model, _, _, _, _ = build(student, layers, rng, 3, 3)
    x, g = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    forward = model.forward
    forward(x)
    grad_input = model.backward(x, g)
    gradient_check(weighted_sum(forward, g, "Sequential.forward(x)"), x, grad_input,
                   what=f"Sequential of 3 affine probes: backward(x, grad_output) for x of shape "
                        f"{x.shape}", hint=BACKWARD)

"""modules.layers.Sequential against a torch chain, as in the course's test_sequential.

The children are the grader's known-good affine probes (y = x * scale + shift, parameters
[scale, shift], each recording its calls) rather than your own layers, so that this test grades
the container only: its forward and backward passes. The container methods the template gives
(train, eval, zero_grad, parameters, parameters_grad) are not graded; the test reads each child's
gradients from the child itself.
"""

import pytest

from autograder import N_, config
from autograder.testing import assert_close, require
from autograder.testing.torch_parity import AffineChain, compare_pass
from autograder.interfaces.torch_modules import affine_modules

SPEC = config.load_for(__file__)
INPUT_SHAPES = [(64, 16), (128, 32)]
CHILDREN = 3
PASSES = 2
HINTS = {
    "forward": N_("feed each module's output to the next one: x = module(x) in a loop over "
                  "self.modules."),
    "backward": N_("go through the modules in reverse order; module i gets as its input the output "
                   "of module i - 1 (module.output, kept by its forward) or, for the first module, "
                   "the Sequential's own input: grad = module.backward(module_input, grad)."),
    "params": N_("backward must call every child's backward once, with that child's own input and "
                 "the gradient w.r.t. its output; the child's gradients then add up until zero_grad."),
    "calls": N_("forward calls each child once; backward calls each child's backward once, reusing "
                "the outputs kept by forward (never recompute forward in backward: a Dropout would "
                "draw a new mask, a BatchNormalization would update its statistics twice)."),
}


@pytest.mark.task("Sequential")
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_sequential(student, rng, mode):
    layers = student.module("modules.layers")
    for input_shape in INPUT_SHAPES:
        features = input_shape[1]
        scales = [rng.uniform(0.5, 1.5, features) * rng.choice([-1, 1], features)
                  for _ in range(CHILDREN)]
        shifts = [rng.standard_normal(features) for _ in range(CHILDREN)]
        probes = affine_modules(student, SPEC.package, zip(scales, shifts, strict=True))
        model = layers.Sequential(*probes)
        model.train() if mode == "train" else model.eval()
        reference = AffineChain(scales, shifts)
        name = N_(f"Sequential of {CHILDREN} affine probes in {mode} mode")
        for call in range(1, PASSES + 1):
            x = rng.standard_normal(input_shape)
            grad_output = rng.standard_normal(input_shape)
            compare_pass(model, reference, x, grad_output, name=name,
                         against=N_("the same chain of affine maps in torch"), hints=HINTS,
                         context=f"pass #{call} without zero_grad" if call > 1 else "")
            for i, (probe, pair) in enumerate(zip(probes, reference.child_grads(), strict=True)):
                calls = probe.calls
                require(calls == ["forward", "backward"] * call,
                      N_(f"{name}: child #{i} saw the calls {calls} during {call} forward and "
                         f"backward pass(es) of the Sequential, expected "
                         f"{['forward', 'backward'] * call}.\n  Hint: {HINTS['calls']}"))
                for kind, expected in zip(("scale", "shift"), pair, strict=True):
                    what = (f"{name}: child #{i}'s grad_{kind} after backward pass #{call}"
                            + (" (it depends on the input the child was given in backward)"
                               if kind == "scale" else ""))
                    assert_close(getattr(probe, f"grad_{kind}"), expected, what,
                                 against=N_(f"torch's grad of child #{i}'s {kind}"),
                                 hint=HINTS["params"])

"""modules.layers.Sequential against a torch chain, as in the course's test_sequential.

The children are the grader's known-good affine probes (y = x * scale + shift, parameters
[scale, shift]) rather than your own layers, so that this test grades the container only.
"""

import pytest

from autograder.checks import as_array, assert_close, check
from autograder.checks.compare import kind_of
from autograder.checks.torch_parity import AffineChain, compare_pass

INPUT_SHAPES = [(64, 16), (128, 32)]
CHILDREN = 3
PASSES = 2
HINTS = {
    "forward": "feed each module's output to the next one: x = module(x) in a loop over "
               "self.modules.",
    "backward": "go through the modules in reverse order; module i gets as its input the output "
                "of module i - 1 (module.output, kept by its forward) or, for the first module, "
                "the Sequential's own input: grad = module.backward(module_input, grad).",
    "params": "backward must call every child's backward with that child's own input.",
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
        probes = [student.probe("affine", s, h) for s, h in zip(scales, shifts, strict=True)]
        model = layers.Sequential(*probes)
        model.train() if mode == "train" else model.eval()
        reference = AffineChain(scales, shifts)
        name = f"Sequential of {CHILDREN} affine probes in {mode} mode"
        for call in range(1, PASSES + 1):
            x = rng.standard_normal(input_shape)
            grad_output = rng.standard_normal(input_shape)
            compare_pass(model, reference, x, grad_output, name=name,
                         against="the same chain of affine maps in torch", hints=HINTS,
                         context=f"pass #{call} without zero_grad" if call > 1 else "")
            got = model.parameters_grad()
            if not (isinstance(got, list) and len(got) == 2 * CHILDREN):
                check(False, f"{name}: parameters_grad() should be a list of {2 * CHILDREN} "
                             "arrays (scale and shift grads of each child, in order), got "
                             + (f"a list of length {len(got)}" if isinstance(got, list)
                                else kind_of(got)))
            for i, pair in enumerate(reference.child_grads()):
                for j, (kind, expected) in enumerate(zip(("scale", "shift"), pair, strict=True)):
                    what = (f"{name}: parameters_grad()[{2 * i + j}] (grad of child #{i}'s "
                            f"{kind}) after backward pass #{call}")
                    assert_close(as_array(got[2 * i + j], what), expected, what,
                                 against=f"torch's grad of child #{i}'s {kind}",
                                 hint=HINTS["params"])

"""ambictl.symmetry is the one place for the symmetries, the pairing of two words' letters and the
case classes: make, eval and training call it, nothing keeps a copy, and it loads without torch.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import PYTHON, cli_env

import ambictl
from ambictl import symmetry
from ambictl.errors import UsageError

# What symmetry.py defines and other modules used to define for themselves.
ONE_PLACE = ("SYMMETRIES", "apply", "apply_symmetry", "transform", "check_symmetry",
             "pair_cells", "word_pairs", "case_class", "case_groups", "CASES", "AUTO_CASE",
             "check_case", "case_options", "case_choices")


def test_no_module_keeps_its_own_copy() -> None:
    """Any of these names a module holds is symmetry's own object (imported), never a copy."""
    for info in pkgutil.iter_modules(ambictl.__path__):
        if info.name in ("__main__", "symmetry"):
            continue
        module = importlib.import_module(f"ambictl.{info.name}")
        for name in ONE_PLACE:
            if hasattr(module, name):
                theirs = getattr(module, name)
                assert any(theirs is getattr(symmetry, n, None) for n in ONE_PLACE), \
                    f"ambictl.{info.name}.{name} is not ambictl.symmetry's"


def test_symmetry_loads_without_torch() -> None:
    code = ("import sys, ambictl.symmetry, ambictl.compose; "
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))")
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, env=cli_env(),
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name", symmetry.SYMMETRIES)
def test_numpy_and_torch_transforms_agree_and_undo_themselves(name: str) -> None:
    x = np.random.default_rng(0).random((3, 1, 5, 7)).astype(np.float32)
    turned = symmetry.apply(x, name)
    np.testing.assert_array_equal(symmetry.transform(torch.from_numpy(x), name).numpy(), turned)
    np.testing.assert_array_equal(symmetry.apply(turned, name), x)
    per_sample = torch.full((3,), symmetry.SYMMETRIES.index(name))
    np.testing.assert_array_equal(symmetry.transform(torch.from_numpy(x), per_sample).numpy(),
                                  turned)
    with pytest.raises(UsageError, match="unknown symmetry"):
        symmetry.apply(x, "spin")


def test_train_words_fine_tunes_on_the_cells_make_draws(capsys, monkeypatch, tmp_path) -> None:
    """`train --words` asks training for exactly the (a, b, symmetry) cells of pair_cells."""
    from ambictl import cli, training

    seen = {}

    def fake_train(dataset, out, cfg, **kwargs):
        seen["pairs"] = cfg.pairs
        raise UsageError("stopped before training")

    monkeypatch.setattr(training, "train", fake_train)
    monkeypatch.setattr(cli, "_debug", False)
    for sym, w1, w2 in [("rotate", "dear", "read"), ("mirror", "bdb", "dbd"),
                        ("flip", "AMB", "VWP")]:
        monkeypatch.setattr(sys, "argv", ["ambictl", "train", str(tmp_path), "-o",
                                          str(tmp_path / "run"), "--words", w1, w2,
                                          "--symmetry", sym])
        with pytest.raises(SystemExit):
            cli.main()
        cells = symmetry.pair_cells(w1, w2, sym)
        assert seen.pop("pairs") == sorted({(a, b, sym) for a, b in cells})
    capsys.readouterr()

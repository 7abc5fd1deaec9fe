"""ambictl.symmetry is the one place for the symmetries, the pairing of two words' letters and the
case classes: make, eval and training call it, nothing keeps a copy, and it loads without torch.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

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
             "check_case", "case_options", "case_choices", "MAX_RATIO", "check_lengths",
             "cell_candidates", "align", "split_readings", "describe_split", "is_wide_cell")


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


# --- words of different lengths ------------------------------------------------------------------


def _all_splits(word1: str, word2: str, sym: str) -> list[list[tuple[str, str]]]:
    """Every split by brute force, straight from the definition (not from symmetry's code):
    cut word1 into chunks and word2 (from its end for rotate / mirror) into as many chunks, and
    keep the cut pairs whose cells are 1:1, 2:1 or 1:2."""
    def cuts(word: str) -> list[list[str]]:
        if not word:
            return [[]]
        return [[word[:a], *rest] for a in (1, 2) if a <= len(word) for rest in cuts(word[a:])]

    splits = []
    for up in cuts(word1):
        for down in cuts(word2):
            if len(up) != len(down):
                continue
            turned = down if sym == "flip" else down[::-1]
            cells = list(zip(up, turned, strict=True))
            if all(len(u) + len(t) <= 3 for u, t in cells):
                splits.append(cells)
    return splits


def _splits_from(candidates: list[tuple[str, str]], word1: str, word2: str,
                 sym: str) -> list[list[tuple[str, str]]]:
    """Every row of candidate cells that lays word1 out left to right and word2 from its end
    (rotate / mirror) or its start (flip)."""
    if not word1 and not word2:
        return [[]]
    out = []
    for up, turned in candidates:
        if not word1.startswith(up):
            continue
        if sym == "flip" and word2.startswith(turned):
            rest = word2[len(turned):]
        elif sym != "flip" and word2.endswith(turned):
            rest = word2[:len(word2) - len(turned)]
        else:
            continue
        out += [[(up, turned), *tail]
                for tail in _splits_from(candidates, word1[len(up):], rest, sym)]
    return out


@pytest.mark.parametrize("sym", symmetry.SYMMETRIES)
def test_alex_sam_splits_cover_every_letter_once(sym: str) -> None:
    splits = _all_splits("Alex", "Sam", sym)
    assert len(splits) == 3
    candidates = symmetry.cell_candidates("Alex", "Sam", sym)
    assert sorted(_splits_from(candidates, "Alex", "Sam", sym)) == sorted(splits)
    assert len(candidates) == len(set(candidates))
    assert set(candidates) == {c for split in splits for c in split}  # no dead end, none missing
    for split in splits:
        assert symmetry.split_readings(split, sym) == ("Alex", "Sam")
    if sym != "flip":
        assert [("Al", "m"), ("e", "a"), ("x", "S")] in splits
        assert [("A", "m"), ("le", "a"), ("x", "S")] in splits
        assert [("A", "m"), ("l", "a"), ("ex", "S")] in splits
    # Every split scores 1 but for one weak cell each; the middle split's is the least weak.
    for best in splits:
        score = {c: 1.0 for c in candidates}
        for split in splits:
            wide = next(c for c in split if len(c[0]) == 2)
            score[wide] = 0.5 if split is best else 0.1
        chosen = symmetry.align("Alex", "Sam", sym, score)
        assert chosen == best
        assert symmetry.split_readings(chosen, sym) == ("Alex", "Sam")


def test_align_prefers_the_best_weakest_cell_then_the_sum() -> None:
    """Maximin first (a split with a fine sum but one poor cell loses), then the larger sum."""
    score = {("Al", "m"): 0.2, ("e", "a"): 1.0, ("x", "S"): 1.0,  # weakest 0.2, sum 2.2
             ("A", "m"): 0.5, ("le", "a"): 0.5,  # with ("x", "S"): weakest 0.5, sum 2.0
             ("l", "a"): 0.6, ("ex", "S"): 0.5}  # with ("A", "m"): weakest 0.5, sum 1.6
    assert symmetry.align("Alex", "Sam", "rotate", score) == [("A", "m"), ("le", "a"),
                                                              ("x", "S")]
    score[("le", "a")] = 0.4  # its weakest drops below [A, l, ex]'s, whatever the sums say
    assert symmetry.align("Alex", "Sam", "rotate", score) == [("A", "m"), ("l", "a"),
                                                              ("ex", "S")]


def test_ties_prefer_fewer_wide_cells_then_the_earliest() -> None:
    """Constant scores: the split with the fewest wide cells, its wide cells first."""
    for sym in symmetry.SYMMETRIES:
        score = dict.fromkeys(symmetry.cell_candidates("Alexis", "Tomas", sym), 1.0)
        cells = symmetry.align("Alexis", "Tomas", sym, score)
        assert [len(u) + len(t) for u, t in cells] == [3, 2, 2, 2, 2]
        assert symmetry.split_readings(cells, sym) == ("Alexis", "Tomas")
    # Mixed wide cells (2:1 and 1:2) only win on score: equal sums, one wide cell beats three.
    mixed = [s for s in _all_splits("Alexis", "Tomas", "rotate")
             if sum(len(u) + len(t) == 3 for u, t in s) == 3]
    assert mixed
    for split in mixed:
        score = dict.fromkeys(symmetry.cell_candidates("Alexis", "Tomas", "rotate"), 0.5)
        score.update(dict.fromkeys(split, 1.0))
        assert symmetry.align("Alexis", "Tomas", "rotate", score) == split


def test_align_without_scores_still_splits_and_never_picks_an_unscored_cell() -> None:
    for sym in symmetry.SYMMETRIES:
        cells = symmetry.align("Oliver", "Eva", sym, {})
        assert symmetry.split_readings(cells, sym) == ("Oliver", "Eva")
    score = {c: 1.0 for c in symmetry.cell_candidates("Alex", "Sam", "rotate")}
    del score[("Al", "m")], score[("ex", "S")]
    assert symmetry.align("Alex", "Sam", "rotate", score) == [("A", "m"), ("le", "a"),
                                                              ("x", "S")]
    with pytest.raises(ValueError, match="NaN"):
        symmetry.align("Alex", "Sam", "rotate", dict.fromkeys(score, float("nan")))


@pytest.mark.parametrize("sym", symmetry.SYMMETRIES)
def test_a_ratio_of_two_splits_into_wide_cells_only(sym: str) -> None:
    splits = _all_splits("Oliver", "Eva", sym)
    assert len(splits) == 1
    assert all((len(u), len(t)) == (2, 1) for u, t in splits[0])
    assert set(symmetry.cell_candidates("Oliver", "Eva", sym)) == set(splits[0])
    assert symmetry.align("Oliver", "Eva", sym, {}) == splits[0]
    assert symmetry.split_readings(splits[0], sym) == ("Oliver", "Eva")
    reverse = symmetry.align("Eva", "Oliver", sym, {})  # the long word turned
    assert all((len(u), len(t)) == (1, 2) for u, t in reverse)
    assert symmetry.split_readings(reverse, sym) == ("Eva", "Oliver")


def test_a_ratio_over_two_is_refused_in_one_line() -> None:
    for w1, w2 in [("Christopher", "Al"), ("Al", "Christopher"), ("Maximilian", "Eve"),
                   ("abc", "")]:
        with pytest.raises(UsageError) as err:
            symmetry.align(w1, w2, "rotate", {})
        message = str(err.value)
        assert "\n" not in message and "ratio over 2" in message
        assert f"{len(w1)} and {len(w2)} letters" in message
        with pytest.raises(UsageError):
            symmetry.cell_candidates(w1, w2, "rotate")
    symmetry.check_lengths("Oliver", "Eva")  # exactly 2: fine
    symmetry.check_lengths("dear", "read")
    with pytest.raises(UsageError, match="unknown symmetry"):
        symmetry.align("Alex", "Sam", "spin", {})


@pytest.mark.parametrize("sym", symmetry.SYMMETRIES)
def test_equal_lengths_always_pair_one_letter_per_cell(sym: str) -> None:
    expected = symmetry.pair_cells("dear", "read", sym)
    assert symmetry.cell_candidates("dear", "read", sym) == list(dict.fromkeys(expected))
    wide_favoured = {("de", "d"): 9.0, ("ar", "r"): 9.0, ("e", "ea"): 9.0, ("d", "de"): 9.0}
    for score in ({}, dict.fromkeys(expected, 1.0), wide_favoured,
                  {c: float(i) for i, c in enumerate(expected)}):
        assert symmetry.align("dear", "read", sym, score) == expected
    assert symmetry.split_readings(expected, sym) == ("dear", "read")


@pytest.mark.parametrize("sym", symmetry.SYMMETRIES)
@pytest.mark.parametrize("words", [("Alex", "Sam"), ("Sam", "Alex"), ("Oliver", "Eva"),
                                   ("Anna", "Bob"), ("mother", "son")])
def test_the_turned_picture_reads_the_second_word_cell_by_cell(sym: str,
                                                              words: tuple[str, str]) -> None:
    """Geometry, not bookkeeping: each cell is drawn so that its turned chunk reads once the
    symmetry is applied to that cell alone (a wide cell is two columns, one per letter of a
    two-letter chunk). Turning the whole row must then show every turned letter upright (row 0
    on top) and in the order split_readings claims, which must be word2."""
    for split in _all_splits(*words, sym):
        pieces = []
        for k, (_, turned) in enumerate(split):
            width = 2 if len(split[k][0]) + len(turned) == 3 else 1
            letter = [c * len(turned) // width for c in range(width)]  # the letter each column
            # shows in the turned reading; label: cell, letter within the chunk, image row
            seen = np.array([[100 * k + 10 * letter[c] + r for c in range(width)]
                             for r in range(2)])
            pieces.append(symmetry.apply(seen, sym))  # drawn so that turning it shows `seen`
        row = np.concatenate(pieces, axis=1)
        turned_row = symmetry.apply(row, sym)
        assert (turned_row % 10 == np.arange(2)[:, None]).all()  # every letter upright
        labels = [int(v) // 10 for v in turned_row[0]]
        order = list(dict.fromkeys(labels))  # letters left to right (labels are distinct)
        assert labels == sorted(labels, key=order.index)  # each letter's columns are adjacent
        text = "".join(split[lab // 10][1][lab % 10] for lab in order)
        assert text == symmetry.split_readings(split, sym)[1] == words[1]


UNEQUAL_PAIRS = Path(symmetry.__file__).parent / "wordlists" / "unequal_pairs.txt"


def test_the_unequal_pairs_list_splits_into_cells() -> None:
    pairs = []
    for line in UNEQUAL_PAIRS.read_text(encoding="utf-8").splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            assert len(words) == 2, line
            pairs.append((words[0], words[1]))
    assert len(pairs) >= 100
    assert len(set(pairs)) == len(pairs)
    for w1, w2 in pairs:
        assert len(w1) != len(w2), (w1, w2)
        assert max(len(w1), len(w2)) <= symmetry.MAX_RATIO * min(len(w1), len(w2)), (w1, w2)
        assert all(3 <= len(w) <= 10 and w.isascii() and w.isalpha() for w in (w1, w2))
        score = dict.fromkeys(symmetry.cell_candidates(w1, w2, "rotate"), 1.0)
        cells = symmetry.align(w1, w2, "rotate", score)
        assert symmetry.split_readings(cells, "rotate") == (w1, w2)
        assert all(1 <= len(u) <= 2 and 1 <= len(t) <= 2 and len(u) + len(t) <= 3
                   for u, t in cells)

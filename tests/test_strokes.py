"""The pen-stroke stage: the soft rasteriser, the nib fit, the refinement and what make delivers."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from test_make import Overlay, build_tiny_model, svg_paths, with_generator

from ambictl import strokes
from ambictl.ambigram import Model, load_model, make_ambigram
from ambictl.errors import UsageError
from ambictl.strokes import Nib, Strokes, render
from ambictl.vectorize import rasterize

pytestmark = pytest.mark.usefixtures("one_thread")


def one(points: list[list[float]], closed: bool = False) -> Strokes:
    return Strokes(torch.tensor([[points]], dtype=torch.float32), torch.tensor([[closed]]),
                   torch.tensor([[True]]))


def test_gradient_agrees_with_finite_differences_and_moves_the_stroke_to_its_target() -> None:
    nib = Nib(4.0)
    start = one([[10, 16], [16, 16], [22, 16]])
    target = render(one([[10, 18], [16, 18], [22, 18]]), nib, (32, 32)).detach()

    def loss(p: torch.Tensor) -> torch.Tensor:
        return ((render(Strokes(p, start.closed, start.on), nib, (32, 32)) - target) ** 2).sum()

    p = start.points.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(loss(p), [p])
    eps = 1e-2
    for i, c in ((1, 1), (0, 1), (2, 0)):
        d = torch.zeros_like(p)
        d[0, 0, i, c] = eps
        fd = (loss(p.detach() + d) - loss(p.detach() - d)) / (2 * eps)
        assert float(g[0, 0, i, c]) == pytest.approx(float(fd), rel=0.05, abs=1e-3)
    for _ in range(60):  # plain gradient descent brings it down onto the target
        (g,) = torch.autograd.grad(loss(p), [p])
        p = (p - 0.02 * g).detach().requires_grad_(True)
    assert float(p.detach()[0, 0, :, 1].mean()) == pytest.approx(18.0, abs=0.3)
    assert float(loss(p.detach())) < 0.05 * float(loss(start.points))


def test_a_round_pen_draws_a_tube_of_its_width_and_a_dot_is_a_disc() -> None:
    ink = render(one([[6, 16], [26, 16]]), Nib(4.0), (32, 32), scale=4, edge=0.25)[0, 0]
    column = ink[:, 16 * 4].numpy()  # across the stroke at its middle
    assert (column > 0.5).sum() / 4 == pytest.approx(4.0, abs=0.3)
    dot = render(one([[16, 16]] * 4), Nib(6.0), (32, 32), scale=4, edge=0.25)[0, 0]
    assert float((dot > 0.5).sum()) / 16 == pytest.approx(math.pi * 9, rel=0.05)


def test_a_closed_stroke_wraps_round() -> None:
    ring = [[16 + 8 * math.cos(t), 16 + 8 * math.sin(t)]
            for t in np.linspace(0, 2 * math.pi, 9)]
    ink = render(one(ring, closed=True), Nib(2.0), (32, 32), scale=4, edge=0.25)[0, 0].numpy()
    ys, xs = np.nonzero(ink > 0.5)
    r = np.hypot((xs + 0.5) / 4 - 16, (ys + 0.5) / 4 - 16)
    assert np.all(np.abs(r - 8) < 1.3)  # a round ring, no open gap or cusp at the seam
    angles = np.degrees(np.arctan2((ys + 0.5) / 4 - 16, (xs + 0.5) / 4 - 16)) % 360
    assert np.histogram(angles, bins=36, range=(0, 360))[0].min() > 0


@pytest.mark.parametrize(("contrast", "angle"), [(1.0, 0.0), (0.35, 35.0), (0.4, 120.0)])
def test_the_nib_fit_recovers_the_pen_that_drew_the_glyphs(contrast: float, angle: float
                                                           ) -> None:
    nib = Nib(7.0, contrast, math.radians(angle))
    ring = [[32 + 18 * math.cos(t), 32 + 18 * math.sin(t)]
            for t in np.linspace(0, 2 * math.pi, 13)]
    shapes = [one(ring, closed=True), one([[12, 10], [52, 54]]), one([[52, 10], [12, 54]]),
              one([[32, 6], [32, 58]]), one([[6, 32], [58, 32]])]
    glyphs = np.stack([render(s, nib, (64, 64), edge=0.5)[0, 0].numpy() for s in shapes])
    fitted = strokes.fit_nib(glyphs)
    assert fitted.contrast == pytest.approx(contrast, abs=0.15)
    if contrast < 0.8:  # a round pen has no angle
        diff = (math.degrees(fitted.angle) - angle + 90) % 180 - 90
        assert abs(diff) < 12
    assert fitted.stroke == pytest.approx(nib.stroke, rel=0.2)


def test_a_stroke_switched_off_leaves_no_ink_in_the_outline() -> None:
    s = Strokes(torch.tensor([[[[6.0, 8.0], [26.0, 8.0]], [[6.0, 24.0], [26.0, 24.0]]]]),
                torch.zeros(1, 2, dtype=torch.bool), torch.tensor([[True, False]]))
    back = rasterize(strokes.finish(s, Nib(3.0), (32, 32))[1][0], (32, 32))
    assert back[7:9, 6:26].mean() > 0.9  # the stroke that is on
    assert back[18:, :].max() == 0.0  # nothing where the one switched off lies


def test_the_outline_and_the_bitmap_of_strokes_agree() -> None:
    s = Strokes(torch.tensor([[[[8.0, 6.0], [12.0, 16.0], [8.0, 26.0]],
                               [[20.0, 6.0], [24.0, 16.0], [20.0, 26.0]]]]),
                torch.zeros(1, 2, dtype=torch.bool), torch.ones(1, 2, dtype=torch.bool))
    nib = Nib(3.5, 0.5, 0.6)
    bitmaps, outlines = strokes.finish(s, nib, (32, 32))
    bitmap, back = bitmaps[0], rasterize(outlines[0], (32, 32))
    assert np.abs(bitmap - back).mean() < 0.01  # edge pixels' coverage within a few %
    assert back.sum() == pytest.approx(bitmap.sum(), rel=0.02)


# ----------------------------------------------------------------------------- in make


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory, sample_fonts) -> Model:  # noqa: ANN001
    path = build_tiny_model(tmp_path_factory.mktemp("strokes") / "tiny.pt", sample_fonts.plain)
    return with_generator(load_model(path), Overlay())  # candidates that look like letters


FAST = replace(strokes.DEFAULT, steps=3)


@pytest.fixture(autouse=True)
def few_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(strokes, "DEFAULT", FAST)


def test_strokes_on_delivers_every_cell_as_strokes_and_the_svg_draws_the_bitmap(tiny: Model
                                                                                ) -> None:
    amb = make_ambigram("dap", "pad", candidates=2, style=0, weights=tiny, strokes="on")
    assert all(s.strokes for s in amb.scores) and amb.report()["glyphs"][0]["strokes"]
    paths = svg_paths(amb.to_svg())
    assert len(paths) == 3  # one <path> per glyph, as for the generator's glyphs
    back = rasterize([p for ps in paths for p in ps], (amb.layout.height, amb.layout.width))
    # thin strokes are mostly edge: compare coverage, not thresholded pixels
    assert np.abs(back - amb.bitmap).sum() < 0.05 * amb.bitmap.sum()
    off = make_ambigram("dap", "pad", candidates=2, style=0, weights=tiny, strokes="off")
    assert not any(s.strokes for s in off.scores)
    assert [s.pick for s in off.scores] == [s.pick for s in amb.scores]  # same choice first


def test_strokes_keep_the_letters_and_the_bytes_for_a_seed(tiny: Model) -> None:
    runs = [make_ambigram("Dab", "qeP", candidates=2, style=0, case="keep", seed=3,
                          weights=tiny, strokes="on") for _ in range(2)]
    assert runs[0].to_svg() == runs[1].to_svg() and runs[0].report() == runs[1].report()
    assert runs[0].drawn == ("Dab", "qeP")  # --case keep: strokes never change a letter


def test_auto_takes_strokes_exactly_where_the_choice_says(tiny: Model) -> None:
    from ambictl import ambigram

    amb = make_ambigram("bod", "pod", candidates=2, style=0, weights=tiny, strokes="auto")
    off = make_ambigram("bod", "pod", candidates=2, style=0, weights=tiny, strokes="off")
    pen = strokes.stroke_cells(list(off.glyphs), off.pairs, "rotate", tiny.recognizers,
                               tiny.chars, ambigram.style_nib(tiny, 0))
    take = ambigram.stroke_choice(tiny, list(off.glyphs), pen.bitmaps, off.pairs, "rotate")
    assert [s.strokes for s in amb.scores] == list(take)
    for i, took in enumerate(take):  # the other cells are the generator's glyphs, unchanged
        if not took:
            assert np.array_equal(amb.glyphs[i], off.glyphs[i])


def test_wide_cells_get_strokes_too(tiny: Model) -> None:
    amb = make_ambigram("Alex", "Sam", candidates=2, weights=tiny, strokes="on")
    widths = [g.shape[1] for g in amb.glyphs]
    assert 2 * tiny.config.image_size in widths and all(s.strokes for s in amb.scores)
    assert all(amb.outlines)


def test_an_unknown_strokes_mode_is_refused_before_the_model(tiny: Model) -> None:
    with pytest.raises(UsageError, match="unknown --strokes 'sometimes'"):
        make_ambigram("dear", "read", strokes="sometimes", weights=tiny)

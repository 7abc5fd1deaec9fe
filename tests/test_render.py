"""The em frame (one scale per font, fixed bands, turning maps d onto p) and the bbox fill."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SIZE

from ambictl.render import MARGIN_FRACTION, NOTDEF_PROBE, glyph_problems, render

LOWER_FLAT = "acemnorsuvwxz"  # lower case without ascender or descender
CAPITALS = "ABDEH"


def ink_rows(img: np.ndarray) -> tuple[int, int]:
    rows = np.nonzero((img > 127).any(axis=1))[0]
    return int(rows.min()), int(rows.max())


def ink_box(img: np.ndarray, level: int = 0) -> tuple[int, int, int, int]:
    """top, bottom, left, right of the pixels above `level`."""
    rows = np.nonzero((img > level).any(axis=1))[0]
    cols = np.nonzero((img > level).any(axis=0))[0]
    return int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())


@pytest.fixture(scope="module")
def em(sample_fonts) -> dict[str, np.ndarray]:
    chars = LOWER_FLAT + CAPITALS + "bdpqgilmIO"
    images = render(str(sample_fonts.plain), 0, chars, SIZE, "em")
    return dict(zip(chars, images, strict=True))


def test_images_are_uint8_ink_on_black(sample_fonts) -> None:
    for normalize in ("em", "bbox"):
        images = render(str(sample_fonts.plain), 0, "aB3", SIZE, normalize)
        assert images.shape == (3, SIZE, SIZE) and images.dtype == np.uint8
        assert images.max() == 255
        assert (images[:, 0, 0] == 0).all() and (images[:, -1, -1] == 0).all()


def test_unknown_normalisation_is_refused(sample_fonts) -> None:
    with pytest.raises(ValueError, match="normalisation"):
        render(str(sample_fonts.plain), 0, "a", SIZE, "fill")


def test_lower_case_shares_one_baseline_and_x_height(em) -> None:
    bottoms = {ch: ink_rows(em[ch])[1] for ch in LOWER_FLAT}
    tops = {ch: ink_rows(em[ch])[0] for ch in LOWER_FLAT}
    assert max(bottoms.values()) - min(bottoms.values()) <= 1, bottoms
    assert max(tops.values()) - min(tops.values()) <= 1, tops


def test_capitals_share_one_baseline_and_cap_height(em) -> None:
    bottoms = {ch: ink_rows(em[ch])[1] for ch in CAPITALS}
    tops = {ch: ink_rows(em[ch])[0] for ch in CAPITALS}
    assert max(bottoms.values()) - min(bottoms.values()) <= 1, bottoms
    assert max(tops.values()) - min(tops.values()) <= 1, tops


def test_bands_are_centred_in_the_frame(em) -> None:
    for ch in "xoH":
        top, bottom = ink_rows(em[ch])
        assert abs((top + bottom + 1) / 2 - SIZE / 2) <= 1.5, (ch, top, bottom)


@pytest.mark.parametrize(("upright", "turned"), [("d", "p"), ("b", "q"), ("n", "u")])
def test_turning_the_frame_maps_one_letter_onto_another(em, upright: str, turned: str) -> None:
    rotated = np.rot90(em[upright], 2)
    (t1, b1), (t2, b2) = ink_rows(rotated), ink_rows(em[turned])
    assert abs(t1 - t2) <= 2 and abs(b1 - b2) <= 2, (upright, (t1, b1), turned, (t2, b2))


def test_every_character_has_the_same_scale(em) -> None:
    def height(ch: str) -> int:
        top, bottom = ink_rows(em[ch])
        return bottom - top + 1

    def width(ch: str) -> int:
        _, _, left, right = ink_box(em[ch], 127)
        return right - left + 1

    assert abs(height("o") - height("x")) <= 2
    assert abs(height("O") - height("H")) <= 2
    assert abs(height("d") - height("p")) <= 2
    assert height("H") > height("x") + 2  # capitals are not blown up to one size ...
    assert width("i") * 2 < width("m")  # ... nor is a narrow letter stretched to fill
    assert height("l") > height("o") + 3


def test_the_notdef_probe_does_not_change_the_scale(sample_fonts) -> None:
    chars = "agjQW"
    for path in sample_fonts.files:
        plain = render(str(path), 0, chars, SIZE, "em")
        probed = render(str(path), 0, chars + NOTDEF_PROBE, SIZE, "em")
        assert np.array_equal(plain, probed[:-1]), path.name


def test_bbox_fills_the_frame_on_the_long_side(sample_fonts) -> None:
    chars = "oIWl-m"
    margin = max(1, round(SIZE * MARGIN_FRACTION))
    images = render(str(sample_fonts.plain), 0, chars, SIZE, "bbox")
    for ch, img in zip(chars, images, strict=True):
        top, bottom, left, right = ink_box(img)
        long_side = max(bottom - top, right - left) + 1
        assert long_side >= SIZE - 2 * margin - 1, (ch, top, bottom, left, right)
        assert min(top, left) >= margin - 1 and max(bottom, right) <= SIZE - margin, ch


def test_glyph_problems_flags_empty_notdef_and_twins() -> None:
    blank = np.zeros((SIZE, SIZE), np.uint8)
    box = blank.copy()
    box[4:28, 6:26] = 255
    box[6:26, 8:24] = 0
    bar = blank.copy()
    bar[4:28, 14:18] = 255
    dot = blank.copy()
    dot[14:18, 14:18] = 255
    notdef = np.roll(box, 2, axis=1)  # the same box, elsewhere
    images = np.stack([blank, box, bar, bar.copy(), dot])
    problems = glyph_problems(images, "abcde", notdef)
    assert problems["a"] == "renders empty"
    assert "notdef" in problems["b"]
    assert "identical" in problems["c"] and "identical" in problems["d"]
    assert "e" not in problems

"""The held-out judge: its network, augmentation, training on the validation fonts only, loading,
and (with the shipped weights) that it reads clean glyphs and refuses ordinary text turned."""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import SampleFonts, copy_fonts

from ambictl import weights
from ambictl.augment import strong
from ambictl.errors import DataError
from ambictl.glyphs import to_model_size
from ambictl.judge import (
    LIGHT_JUDGE,
    Judge,
    JudgeConfig,
    JudgeNet,
    JudgeTrainConfig,
    clean_accuracy,
    load_judge,
    train_judge,
)
from ambictl.readers import Recognizer
from ambictl.render import render
from ambictl.symmetry import transform

SHIPPED = weights.default_path(weights.DEFAULT_JUDGE)
# The shipped judges: eval's (strong augmentation) and the cross-check (light augmentation).
shipped_judges = pytest.mark.parametrize("path, augmentation", [
    pytest.param(p, a, marks=pytest.mark.skipif(not p.is_file(), reason=f"no {p} (train it: "
                                                 "ambictl train-judge data/glyphs -o ...)"))
    for p, a in ((SHIPPED, "strong"), (weights.default_path(LIGHT_JUDGE), "light"))])
TINY_CHARS = "abdpqnuo"


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory, sample_fonts: SampleFonts) -> Path:
    from ambictl.dataset import build_dataset

    root = tmp_path_factory.mktemp("judge")
    fonts = copy_fonts(sample_fonts.files, root / "fonts")
    return build_dataset(root / "ds", chars=TINY_CHARS, size=32, fonts=[fonts], system=False,
                         bundled=False, workers=1).out



pytestmark = pytest.mark.usefixtures("one_thread")

# ----------------------------------------------------------------------------- structure


def test_judge_net_differs_from_the_training_recognisers() -> None:
    net = JudgeNet(62)
    x = torch.rand(3, 1, 32, 32)
    assert net.eval()(x).shape == (3, 62)
    assert net.features(x).shape == (3, 128)
    mine = {type(m).__name__ for m in net.modules()}
    assert "GELU" in mine and "ReLU" not in mine
    for kind in ("vgg", "wide", "coarse"):
        theirs = {type(m).__name__ for m in Recognizer(62, kind).modules()}
        assert mine != theirs
    # Small: the shipped file stores it in half precision, well under 2 MB.
    assert sum(p.numel() for p in net.parameters()) * 2 < 2_000_000


def test_augmentation_is_seeded_and_keeps_shape() -> None:
    x = torch.zeros(4, 1, 64, 64)
    x[:, :, 16:48, 28:36] = 1
    a = strong(x, torch.Generator().manual_seed(1), 32)
    b = strong(x, torch.Generator().manual_seed(1), 32)
    assert a.shape == (4, 1, 32, 32) and torch.equal(a, b)
    assert a.min() >= 0 and a.max() <= 1 and a.sum() > 0


def test_read_is_restricted_to_the_allowed_characters() -> None:
    net = JudgeNet(4).eval()
    judge = Judge(net, JudgeConfig(chars="abcd"))
    x = torch.rand(5, 1, 64, 64)  # another size: resized to the judge's
    assert set(judge.read(x, "bd")) <= {"b", "d"}
    assert len(judge.read(x)) == 5
    with pytest.raises(DataError, match="does not know"):
        judge.read(x, "xz")


def test_train_judge_uses_validation_fonts_and_saves_a_loadable_file(
        tiny_dataset: Path, tmp_path: Path) -> None:
    from ambictl.dataset import read_manifest

    out = tmp_path / "judge.pt"
    seen = []
    report = train_judge(tiny_dataset, out, JudgeTrainConfig.quick(), width=8,
                         tick=lambda m: seen.append(m["step"]))
    assert seen == list(range(1, JudgeTrainConfig.quick().steps + 1))
    manifest = read_manifest(tiny_dataset)
    assert report.metrics["training_fonts"] == len(manifest["split"]["val"])
    assert report.metrics["unseen_fonts"] == len(manifest["split"]["train"])
    assert set(report.metrics["clean_accuracy_unseen_fonts"]) >= {"all", "case_merged",
                                                                  "within_lower"}
    judge = load_judge(out)
    assert judge.chars == TINY_CHARS and judge.meta["trained_on_split"] == "val"
    val_families = {f["family"] for f in manifest["fonts"] if f["split"] == "val"}
    assert set(judge.meta["families"]) == val_families
    assert len(judge.read(torch.rand(2, 1, 32, 32), "pd")) == 2
    # A model file is not a judge file, and a damaged judge is refused.
    weights.save(tmp_path / "model.pt", "model", {"x": torch.zeros(1)})
    with pytest.raises(DataError):
        load_judge(tmp_path / "model.pt")
    blob = bytearray(out.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (tmp_path / "bad.pt").write_bytes(bytes(blob))
    with pytest.raises(DataError):
        load_judge(tmp_path / "bad.pt")
    with pytest.raises(DataError, match="train-judge"):
        load_judge(tmp_path / "missing.pt")


def test_a_light_judge_trains_and_an_unknown_augmentation_is_refused(
        tiny_dataset: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    light = replace(JudgeTrainConfig.quick(), augment="light")
    report = train_judge(tiny_dataset, tmp_path / "light.pt", light, width=8)
    assert load_judge(report.path).meta["train_config"]["augment"] == "light"
    with pytest.raises(ValueError, match="unknown judge augmentation"):
        train_judge(tiny_dataset, tmp_path / "x.pt", replace(light, augment="blur"), width=8)
    assert not (tmp_path / "x.pt").exists()


def test_clean_accuracy_figures() -> None:
    class Perfect(JudgeNet):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self._logits

    chars = "cC"
    net = Perfect(2)
    net._logits = torch.tensor([[0.0, 1.0], [0.0, 1.0]])  # reads C twice
    judge = Judge(net, JudgeConfig(chars=chars))
    images = torch.zeros(2, 32, 32, dtype=torch.uint8)
    acc = clean_accuracy(judge, images, torch.tensor([0, 1]))
    assert acc["all"] == 0.5 and acc["case_merged"] == 1.0
    assert acc["within_lower"] == 1.0 and acc["within_upper"] == 1.0


# ----------------------------------------------------------------------------- the shipped judge


def _glyphs(font: Path, chars: str) -> torch.Tensor:
    return to_model_size(torch.from_numpy(render(str(font), 0, chars, 64, "em")), 32)


@shipped_judges
def test_shipped_judge_card(path: Path, augmentation: str) -> None:
    judge = load_judge(path)
    if augmentation == "light":  # also by its short name
        assert load_judge("light").meta["path"] == str(path)
    assert path.stat().st_size < 2_000_000
    acc = judge.metrics["clean_accuracy_unseen_fonts"]
    assert acc["all"] >= 0.93 and acc["within_lower"] >= 0.95 and acc["within_upper"] >= 0.95
    assert judge.meta["trained_on_split"] == "val"
    assert judge.meta["train_config"].get("augment", "strong") == augmentation


@shipped_judges
def test_shipped_judge_reads_clean_glyphs(path: Path, augmentation: str,
                                          sample_fonts: SampleFonts) -> None:
    judge = load_judge(path)
    for chars in (string.ascii_lowercase, string.ascii_uppercase):
        read = judge.read(_glyphs(sample_fonts.plain, chars), chars)
        assert np.mean([r == c for r, c in zip(read, chars, strict=True)]) >= 0.95, read


@shipped_judges
def test_shipped_judge_refuses_ordinary_text_turned(path: Path, augmentation: str,
                                                    sample_fonts: SampleFonts) -> None:
    judge = load_judge(path)
    words = ["hello", "world", "family", "garden", "letter", "answer", "travel", "python"]
    hits, total = 0, 0
    for word in words:
        glyphs = _glyphs(sample_fonts.plain, word)
        assert "".join(judge.read(glyphs, string.ascii_lowercase)) == word
        turned = "".join(judge.read(transform(glyphs, "rotate"), string.ascii_lowercase))[::-1]
        assert turned != word
        hits += sum(a == b for a, b in zip(turned, word, strict=True))
        total += len(word)
    assert hits / total < 0.3

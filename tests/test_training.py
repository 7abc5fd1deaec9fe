"""Models and training: shapes, conditioning, a learning step, checkpoints, resume, safe loading."""

from __future__ import annotations

import json
import pickle
import signal
import subprocess
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import PYTHON, cli_env

from ambictl import weights
from ambictl.errors import DataError, UsageError
from ambictl.models import Discriminator, ModelConfig, build_generator, fast_layout
from ambictl.readers import Recognizer, fit_classifier, margin_shortfall
from ambictl.symmetry import transform
from ambictl.training import TrainConfig, ink_excess, train, wide_only

TINY = {"width": 8, "d_width": 8, "emb_dim": 8}
pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: threads only contend


def tiny_config(**kw) -> TrainConfig:
    base = replace(TrainConfig.quick(), steps=6, batch_size=8, recognizer_steps=4,
                   recognizer_batch=16, sample_every=3, checkpoint_every=3, n_styles=2,
                   model=TINY)
    return replace(base, **kw)


def test_transform_is_an_involution_per_sample() -> None:
    x = torch.rand(3, 1, 5, 5)
    sym = torch.tensor([0, 1, 2])
    y = transform(x, sym)
    assert torch.equal(y[0], x[0].flip(-1, -2))
    assert torch.equal(y[1], x[1].flip(-1))
    assert torch.equal(y[2], x[2].flip(-2))
    assert torch.equal(transform(y, sym), x)


def test_generator_shapes_and_conditioning() -> None:
    torch.manual_seed(0)
    cfg = ModelConfig(chars="abcd", **TINY)
    G = build_generator(cfg)
    # FiLM starts at zero; give the condition some weight so labels matter from the start.
    for p in G.parameters():
        p.data.normal_(0, 0.3)
    ga, gb = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    z = torch.zeros(2, cfg.z_dim)
    sym = torch.zeros(2, dtype=torch.long)
    out = G(ga, gb, torch.tensor([0, 0]), torch.tensor([1, 1]), sym, z)
    assert out.shape == (2, 1, 32, 32)
    assert out.min().item() >= 0 and out.max().item() <= 1
    other_a = G(ga, gb, torch.tensor([2, 2]), torch.tensor([1, 1]), sym, z)
    other_b = G(ga, gb, torch.tensor([0, 0]), torch.tensor([3, 3]), sym, z)
    assert not torch.allclose(out, other_a)
    assert not torch.allclose(out, other_b)


@pytest.mark.parametrize("spec", ["vgg", "wide", "coarse", "wide+warp"])
def test_recognizer_and_discriminator_shapes(spec: str) -> None:
    x = torch.rand(4, 1, 32, 32)
    assert Recognizer(7, spec, width=8)(x).shape == (4, 7)
    cfg = ModelConfig(chars="abcdefg", **TINY)
    assert Discriminator(cfg)(x, torch.tensor([0, 1, 2, 3])).shape == (4,)


@pytest.mark.parametrize("spec", ["resnet", "vgg+blur", "+warp"])
def test_unknown_recognizer_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="unknown recogniser"):
        Recognizer(7, spec)


def test_a_fine_tune_reuses_the_recognizers_it_asks_for_and_trains_the_others(
        small_dataset, tmp_path: Path) -> None:
    base = train(small_dataset.path, tmp_path / "base",
                 tiny_config(steps=2, recognizer_kinds=("vgg", "wide")), device="cpu")
    old = weights.load(base.weights_path, "model")["recognizers"]
    assert [e["kind"] for e in old] == ["vgg", "wide"]
    cfg = tiny_config(steps=2, recognizer_kinds=("wide", "coarse+warp", "vgg+warp"))
    tuned = train(small_dataset.path, tmp_path / "tuned", cfg, device="cpu",
                  init_weights=str(base.weights_path))
    new = weights.load(tuned.weights_path, "model")["recognizers"]
    assert [e["kind"] for e in new] == ["wide", "coarse+warp", "vgg+warp"]
    assert all(torch.equal(old[1]["state"][k], new[0]["state"][k]) for k in old[1]["state"])
    assert len(tuned.recognizer_accuracy) == 3


def test_one_generator_step_lowers_the_legibility_loss_on_a_fixed_batch(small_dataset) -> None:
    """GanTrainer.train_step, the step `train` runs, on one batch held fixed: both networks
    move, and the recogniser reads the generator's glyphs better after each step."""
    import torch.nn.functional as F

    from ambictl.dataset import load_dataset
    from ambictl.device import Dist
    from ambictl.glyphs import GlyphTable
    from ambictl.training import GanTrainer

    glyph_set = load_dataset(small_dataset.path)
    # Legibility alone (the other terms would blur what is measured), read through 4 draws.
    cfg = tiny_config(batch_size=8, lr_g=1e-3, cls_warmup=0, cls_draws=4, adv_weight=0.0,
                      ms_weight=0.0, ink_weight=0.0, margin_weight=0.0)
    table = GlyphTable(glyph_set, 32)
    torch.manual_seed(0)
    x, y = table.glyphs.flatten(0, 1), torch.arange(len(table.chars)).repeat(table.n_fonts)
    reader = fit_classifier(Recognizer(len(table.chars), "vgg", width=8), lambda: (x, y), 40,
                            lr=3e-3, weight_decay=0.0, smoothing=0.0)  # reads the clean glyphs
    trainer = GanTrainer(ModelConfig(chars=glyph_set.chars, **cfg.model), cfg, table, [reader],
                         torch.device("cpu"), Dist())
    batch = trainer._batch()
    trainer._batch = lambda: batch  # type: ignore[method-assign]

    @torch.no_grad()
    def clean_loss() -> float:  # the recogniser on both views, without augmentation
        b = batch
        x = trainer.G(b["glyph_a"], b["glyph_tb"], b["a"], b["b"], b["sym"], b["z"])
        labels = torch.cat([b["a"], b["b"]])
        logits = trainer._within_case(reader(torch.cat([x, transform(x, b["sym"])])), labels)
        return float(F.cross_entropy(logits, labels))

    d0 = [p.detach().clone() for p in trainer.D.parameters()]
    losses = [clean_loss()]
    for _ in range(12):
        assert np.isfinite(list(trainer.train_step().values())).all()
        losses.append(clean_loss())
    assert trainer.step == 12
    assert any(not torch.equal(a, b) for a, b in zip(d0, trainer.D.parameters(), strict=True))
    assert losses[1] < losses[0], losses
    assert losses[-1] < 0.9 * losses[0], [round(v, 3) for v in losses]


def test_ctrl_c_while_the_recognisers_train_leaves_nothing_and_says_so(small_dataset,
                                                                        tmp_path: Path) -> None:
    from ambictl.training import Interrupted

    class CtrlC:  # the progress display, which sees the recogniser's first step
        def add_task(self, *args, **kwargs) -> int:
            return 0

        def update(self, *args, **kwargs) -> None:
            raise KeyboardInterrupt

    run = tmp_path / "run"
    with pytest.raises(Interrupted, match="nothing was written") as caught:
        train(small_dataset.path, run, tiny_config(), device="cpu", progress=CtrlC())
    assert "without --resume" in str(caught.value) and not run.exists()
    with pytest.raises(DataError, match="nothing to resume"):
        train(small_dataset.path, run, tiny_config(), device="cpu", resume=True)


def test_fit_classifier_learns_a_fixed_batch_and_reports_every_step() -> None:
    torch.manual_seed(0)
    model = Recognizer(4, "coarse", width=8)
    x, y = torch.rand(16, 1, 32, 32), torch.arange(16) % 4
    loss = torch.nn.functional.cross_entropy
    before = float(loss(model.eval()(x), y))
    seen: list[dict] = []
    out = fit_classifier(model, lambda: (x, y), 30, lr=3e-3, weight_decay=0.0, smoothing=0.0,
                         tick=seen.append)
    assert out is model and not model.training  # handed back ready to read
    assert [m["step"] for m in seen] == list(range(1, 31))
    assert float(loss(model(x), y)) < 0.9 * before


def test_fast_layout_changes_the_memory_order_on_the_cpu_not_the_values() -> None:
    torch.manual_seed(0)
    plain = Recognizer(10, "vgg").eval()
    fast = Recognizer(10, "vgg").eval()
    fast.load_state_dict(plain.state_dict())
    assert fast_layout(fast) is fast
    # (a one-channel kernel is laid out the same either way)
    convs = [m.weight for m in fast.modules() if isinstance(m, torch.nn.Conv2d)
             and m.in_channels > 1]
    assert convs and all(w.is_contiguous(memory_format=torch.channels_last) and
                         not w.is_contiguous() for w in convs)
    x = torch.rand(4, 1, 32, 32)
    with torch.no_grad():
        assert torch.allclose(fast(x), plain(x), atol=1e-5)
    again = Recognizer(10, "vgg").eval()  # its state dict loads into a plain model
    again.load_state_dict(fast.state_dict())
    with torch.no_grad():
        assert torch.allclose(again(x), plain(x), atol=1e-5)


def test_margin_shortfall_is_the_gap_to_the_closest_rival_below_the_margin() -> None:
    logits = torch.tensor([[5.0, 2.0, 4.0],   # label 0 leads its closest rival (4) by 1
                           [0.0, 9.0, 3.0],   # label 1 leads by 6: nothing to push
                           [1.0, 2.0, 7.0]])  # label 0 trails the rival (7) by 6
    labels = torch.tensor([0, 1, 0])
    assert margin_shortfall(logits, labels, 4.0).tolist() == [3.0, 0.0, 10.0]
    # Classes ruled out by within_case (a huge negative logit) are never the rival.
    masked = torch.tensor([[2.0, torch.finfo(torch.float32).min / 2, 1.0]])
    assert margin_shortfall(masked, torch.tensor([0]), 4.0).tolist() == [3.0]


def test_ink_excess_caps_ink_against_the_heavier_input() -> None:
    light, heavy = torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 4, 4)
    light[:, :, 0, :2] = 1  # 2 of 16 pixels
    heavy[:, :, :2, :2] = 1  # 4 of 16 pixels
    out = torch.zeros(2, 1, 4, 4)
    out[0, :, :2, :3] = 1  # 6 pixels: 1.5 x the heavier input
    out[1, :, :1, :4] = 1  # 4 pixels: as heavy as the heavier input
    excess = ink_excess(out, light, heavy, 1.3)
    assert excess[0].item() == pytest.approx(0.2) and excess[1].item() == 0.0
    assert ink_excess(out, heavy, light, 1.3).tolist() == excess.tolist()  # order-free


def test_train_writes_run_and_resume_reaches_the_same_result(small_dataset, tmp_path: Path
                                                             ) -> None:
    full = train(small_dataset.path, tmp_path / "full", tiny_config(wide=0.25), device="cpu")
    assert full.steps == 6
    run = tmp_path / "full"
    assert (run / "checkpoint.pt").is_file() and (run / "samples.png").is_file()
    assert (run / "samples_wide.png").is_file()  # double-width cells are trained too
    assert (run / "metrics.jsonl").read_text().count('"step"') == 6
    assert '"read_wide"' in (run / "metrics.jsonl").read_text()
    model = weights.load(full.weights_path, "model")
    assert model["styles"]["glyphs"].dtype == torch.uint8

    # Stop after 3 steps, then resume to 6: the weights must equal the uninterrupted run's.
    train(small_dataset.path, tmp_path / "part", tiny_config(steps=3, wide=0.25), device="cpu")
    resumed = train(small_dataset.path, tmp_path / "part", tiny_config(), device="cpu",
                    resume=True)
    assert resumed.steps == 6
    a = weights.load(full.weights_path, "model")["generator"]
    b = weights.load(resumed.weights_path, "model")["generator"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_existing_run_needs_resume_and_resume_needs_the_same_data(small_dataset, tmp_path):
    train(small_dataset.path, tmp_path / "run", tiny_config(steps=3), device="cpu")
    with pytest.raises(UsageError, match="--resume"):
        train(small_dataset.path, tmp_path / "run", tiny_config(steps=3), device="cpu")
    with pytest.raises(DataError):
        train(small_dataset.path, tmp_path / "empty", tiny_config(), device="cpu", resume=True)


def test_safe_loading_refuses_tampered_truncated_and_code(tmp_path: Path) -> None:
    path = tmp_path / "w.pt"
    weights.save(path, "model", {"x": torch.ones(3), "meta": {"a": 1}})
    assert torch.equal(weights.load(path, "model")["x"], torch.ones(3))
    with pytest.raises(DataError, match="not a 'recognizers'"):
        weights.load(path, "recognizers")

    blob = torch.load(path, weights_only=True)
    blob["payload"]["x"][0] = 2.0  # a modified tensor with the old checksum
    torch.save(blob, tmp_path / "tampered.pt")
    with pytest.raises(DataError, match="checksum"):
        weights.load(tmp_path / "tampered.pt", "model")

    (tmp_path / "cut.pt").write_bytes(path.read_bytes()[:100])
    with pytest.raises(DataError, match="truncated"):
        weights.load(tmp_path / "cut.pt", "model")

    # Bytes that look like a pickle of an unknown protocol make torch warn: the one error line
    # must stay the only output.
    (tmp_path / "junk.pt").write_bytes(b"\x80\x85" + bytes(range(256)) * 4)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(DataError, match="truncated"):
            weights.load(tmp_path / "junk.pt", "model")
    assert not seen, [str(w.message) for w in seen]

    class Evil:
        def __reduce__(self):
            return (Path.touch, (tmp_path / "pwned",))

    (tmp_path / "evil.pt").write_bytes(pickle.dumps({"format": "ambictl", "x": Evil()}))
    with pytest.raises(DataError, match="not allowed|truncated"):
        weights.load(tmp_path / "evil.pt", "model")
    assert not (tmp_path / "pwned").exists()


def test_cli_quick_end_to_end_and_sigint_resume(small_dataset, tmp_path: Path) -> None:
    run = tmp_path / "run"
    cmd = [PYTHON, "-m", "ambictl", "train", str(small_dataset.path), "-o", str(run),
           "--quick", "--device", "cpu", "--steps", "100000"]
    proc = subprocess.Popen(cmd, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    # Wait for the state the test needs (3 generator steps logged), however busy the machine:
    # a fixed wait sent the signal too early under load.
    metrics = run / "metrics.jsonl"
    deadline = time.time() + 600  # a hang guard only
    while not metrics.exists() or metrics.read_text().count('"step"') < 3:
        if proc.poll() is not None:
            pytest.fail(f"train ended before 3 steps: {proc.communicate()[1][-500:]}")
        if time.time() > deadline:
            proc.kill()
            pytest.fail("train logged fewer than 3 generator steps in 10 minutes")
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "--resume" in stderr
    ckpt = weights.load(run / "checkpoint.pt", "checkpoint")
    stopped = ckpt["trainer"]["step"]
    assert stopped >= 3

    done = subprocess.run([*cmd[:-1], str(stopped + 2), "--resume"], env=cli_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert weights.load(run / "checkpoint.pt", "checkpoint")["trainer"]["step"] == stopped + 2
    assert weights.load(run / "weights.pt", "model")["meta"]["steps"] == stopped + 2


def test_train_help_states_the_default_run_length() -> None:
    # The CLI does not import torch to print its help, so it spells the default out.
    proc = subprocess.run([PYTHON, "-m", "ambictl", "train", "--help"], env=cli_env(COLUMNS="200"),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert f"default: {TrainConfig().steps};" in proc.stdout


def test_resume_refuses_a_changed_data_set(small_dataset, tmp_path: Path) -> None:
    import shutil

    train(small_dataset.path, tmp_path / "run", tiny_config(steps=3), device="cpu")
    changed = tmp_path / "ds"
    shutil.copytree(small_dataset.path, changed)
    manifest = (changed / "manifest.json").read_text()
    images = np.load(changed / "images.npy")
    images[0, 0, 0] ^= 255  # one pixel differs: a different data set
    np.save(changed / "images.npy", images)
    from ambictl.dataset import ARRAYS, content_hash

    blobs = {n: (changed / f"{n}.npy").read_bytes() for n in ARRAYS}
    old = json.loads(manifest)
    old["content_hash"] = content_hash(blobs, old["chars"])
    (changed / "manifest.json").write_text(json.dumps(old))
    with pytest.raises(DataError, match="data set changed"):
        train(changed, tmp_path / "run", tiny_config(), device="cpu", resume=True)


@pytest.mark.parametrize("damage", ["missing", "corrupt-manifest", "corrupt-array"])
def test_cli_train_on_a_bad_data_set_is_one_line(small_dataset, tmp_path: Path,
                                                 damage: str) -> None:
    import shutil

    ds = tmp_path / "ds"
    if damage != "missing":
        shutil.copytree(small_dataset.path, ds)
        target = ds / ("manifest.json" if damage == "corrupt-manifest" else "labels.npy")
        target.write_bytes(b"\x00garbage")
    out = subprocess.run([PYTHON, "-m", "ambictl", "train", str(ds), "-o", str(tmp_path / "r"),
                          "--quick", "--device", "cpu"], env=cli_env(), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), out.stderr
    assert not (tmp_path / "r" / "checkpoint.pt").exists()


def test_pair_sampler_focuses_on_word_pairs_but_keeps_the_general_mix() -> None:
    from ambictl.glyphs import PairSampler

    chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    sampler = PairSampler(chars, [("d", "d", "rotate"), ("e", "a", "rotate")], focus=0.5)
    a, b, sym = sampler.sample(4000, torch.Generator().manual_seed(0))
    word = (((a == 3) & (b == 3)) | ((a == 4) & (b == 0))) & (sym == 0)
    assert 0.45 < word.float().mean().item() < 0.6
    assert len(set(zip(a.tolist(), b.tolist(), strict=True))) > 200  # the general mix stays
    general = PairSampler(chars)
    assert bool((general.joint > 0).all())  # every pair can come up
    a, b, _ = general.sample(100_000, torch.Generator().manual_seed(0))
    lower = {(x, y) for x, y in zip(a.tolist(), b.tolist(), strict=True) if x >= 26 and y >= 26}
    assert len(lower) == 26 * 26  # and every lower-case pair does, in a long run


def test_resume_refuses_a_checkpoint_of_another_configuration(small_dataset, tmp_path: Path
                                                              ) -> None:
    run = tmp_path / "run"
    train(small_dataset.path, run, tiny_config(steps=3), device="cpu")
    ckpt = weights.load(run / "checkpoint.pt", "checkpoint")
    del ckpt["model_config"]["kind"]  # as if written before ModelConfig.kind: the same model
    weights.save(run / "checkpoint.pt", "checkpoint", ckpt)
    resumed = train(small_dataset.path, run, tiny_config(steps=4), device="cpu", resume=True)
    assert resumed.steps == 4
    ckpt = weights.load(run / "checkpoint.pt", "checkpoint")
    ckpt["model_config"]["width"] = 64  # as if written by a wider model
    weights.save(run / "checkpoint.pt", "checkpoint", ckpt)
    with pytest.raises(DataError, match="another model configuration"):
        train(small_dataset.path, run, tiny_config(), device="cpu", resume=True)


def test_within_case_rules_out_other_case_groups_only() -> None:
    from ambictl.readers import within_case
    from ambictl.symmetry import case_groups

    groups = case_groups("aBc1")
    assert groups.tolist() == [0, 1, 0, 2]
    logits = torch.tensor([[0.0, 5.0, 1.0, 9.0], [0.0, 5.0, 1.0, 9.0]])
    out = within_case(logits, torch.tensor([0, 1]), groups)
    # Label "a": only "a" and "c" remain, so "c" wins; label "B": only "B" remains.
    assert out[0].argmax().item() == 2 and out[1].argmax().item() == 1
    assert torch.equal(out[0, [0, 2]], logits[0, [0, 2]])
    assert torch.isfinite(torch.nn.functional.cross_entropy(out, torch.tensor([0, 1])))


def test_a_wide_run_adds_a_wide_cell_generator_and_keeps_the_rest(small_dataset, tmp_path: Path
                                                                   ) -> None:
    base = train(small_dataset.path, tmp_path / "base", tiny_config(steps=2), device="cpu")
    cfg = wide_only(tiny_config(steps=2), cells=4)
    assert (cfg.batch_size, cfg.batch_size * cfg.wide) == (2, 4)
    res = train(small_dataset.path, tmp_path / "wide", cfg, device="cpu",
                init_weights=str(base.weights_path), what="wide")
    before, after = (weights.load(p, "model") for p in (base.weights_path, res.weights_path))
    assert all(torch.equal(before["generator"][k], after["generator"][k])
               for k in before["generator"])  # single cells are drawn as before
    assert torch.equal(before["styles"]["glyphs"], after["styles"]["glyphs"])
    assert after["wide_generator"].keys() == before["generator"].keys()
    assert any(not torch.equal(before["generator"][k], after["wide_generator"][k])
               for k in before["generator"])
    assert (tmp_path / "wide" / "samples_wide.png").is_file()
    with pytest.raises(UsageError, match="--weights"):
        train(small_dataset.path, tmp_path / "none", cfg, device="cpu", what="wide")

"""Training the 64 px refiner (ambictl.refine) on top of a trained first stage.

Each step draws pairs, fonts and noise codes as the first stage's training does, lets the frozen
first stage draw its 32 px glyphs, and trains the refiner to redraw them at 64 px: realistic to
a 64 px discriminator in both views, read by the first stage's frozen recognisers in both views,
tied to the first stage's shape.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from . import atomic, augment, weights
from .ambigram import load_model
from .dataset import GlyphSet, load_dataset
from .device import pick_device
from .drawing import draw_glyphs
from .errors import DataError, UsageError
from .glyphs import GlyphTable, PairSampler, to_model_size
from .models import Discriminator, ModelConfig, fast_layout
from .readers import legibility_terms, within_case
from .refine import Refiner, RefinerConfig, enlarge, shrink
from .symmetry import SYMMETRIES, case_groups, transform
from .training import (
    SAMPLE_PAIRS,
    Interrupted,
    RunResult,
    _Logger,
    _NullProgress,
    grid_pairs,
    save_png,
    stop_on_signals,
    update_ema,
)

SAMPLE_EVERY = 250  # steps between sample grids
CHECKPOINT_EVERY = 250


@dataclass
class RefineTrainConfig:
    # ~1 s a step on 2 CPU cores (64 px costs 4x the first stage's pixels, hence the lighter
    # batch, one augmented draw and narrower networks than the first stage's).
    steps: int = 2000
    batch_size: int = 24
    lr_r: float = 2e-4
    lr_d: float = 2e-4
    adv_weight: float = 1.0
    cls_weight: float = 5.0
    margin_weight: float = 0.5
    margin: float = 4.0
    cls_draws: int = 1
    # The refiner may move ink within the first stage's strokes but not redraw the letter:
    # L1 between its glyph shrunk to 32 px and the first stage's.
    tie_weight: float = 10.0
    # ...and may not add texture the first stage's glyph lacks: L1 at 64 px against that glyph
    # enlarged (smooth), which costs every bump and little for sharpening an edge.
    smooth_weight: float = 20.0
    ink_weight: float = 5.0
    ink_cap: float = 1.15  # at most this x the first stage's ink
    ema: float = 0.998
    d_width: int = 24
    max_fonts: int | None = None  # train on at most this many fonts, spread evenly (--quick)
    seed: int = 0
    model: dict[str, Any] = field(default_factory=dict)  # RefinerConfig overrides


class RefineTrainer:
    """The refiner, its discriminator, their optimisers and random state; the first stage frozen."""

    def __init__(self, rcfg: RefinerConfig, tcfg: RefineTrainConfig, generator: torch.nn.Module,
                 table32: GlyphTable, table64: GlyphTable, recognizers: list[torch.nn.Module],
                 device: torch.device) -> None:
        self.rcfg, self.tcfg, self.device = rcfg, tcfg, device
        self.t32, self.t64 = table32, table64
        torch.manual_seed(tcfg.seed)
        self.G = generator.to(device).eval().requires_grad_(False)
        self.R = fast_layout(Refiner(rcfg).to(device))
        dcfg = ModelConfig(chars=rcfg.chars, d_width=tcfg.d_width)
        self.D = fast_layout(Discriminator(dcfg).to(device))
        self.R_ema = copy.deepcopy(self.R).eval().requires_grad_(False)
        self.recognizers = [r.to(device).eval().requires_grad_(False) for r in recognizers]
        self.opt_r = torch.optim.Adam(self.R.parameters(), lr=tcfg.lr_r, betas=(0.0, 0.99))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=tcfg.lr_d, betas=(0.0, 0.99))
        self.groups = case_groups(rcfg.chars).to(device)
        self.sampler = PairSampler(rcfg.chars)
        self.rng = torch.Generator(device=device).manual_seed(tcfg.seed * 1000 + 7)
        self.cpu_rng = torch.Generator().manual_seed(tcfg.seed * 1000 + 7)
        self.step = 0

    def batch(self, n: int) -> dict[str, torch.Tensor]:
        a, b, sym = (t.to(self.device) for t in self.sampler.sample(n, self.cpu_rng))
        font = torch.randint(0, self.t32.n_fonts, (n,), generator=self.rng, device=self.device)
        z = torch.randn(n, self.G.cfg.z_dim, generator=self.rng, device=self.device)
        z[: n // 4] = 0  # make's first candidate is code 0: train on it as often as it is used
        with torch.no_grad():
            g32 = draw_glyphs(self.G, self.t32.glyphs, a, b, font, sym, z)
        return {"a": a, "b": b, "sym": sym, "g32": g32, "ref_a": self.t64.glyphs[font, a],
                "ref_tb": transform(self.t64.glyphs[font, b], sym)}

    def train_step(self) -> dict[str, float]:
        t = self.batch(self.tcfg.batch_size)
        labels = torch.cat([t["a"], t["b"]])
        x = self.R(t["g32"], t["ref_a"], t["ref_tb"], t["a"], t["b"], t["sym"])
        views = torch.cat([x, transform(x, t["sym"])])

        font = torch.randint(0, self.t64.n_fonts, labels.shape, generator=self.rng,
                             device=self.device)
        both = torch.cat([self.t64.glyphs[font, labels], views.detach()])
        d_real, d_fake = self.D(augment.diff_augment(both, self.rng),
                                torch.cat([labels, labels])).chunk(2)
        loss_d = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()

        self.D.requires_grad_(False)
        adv = -self.D(augment.diff_augment(views, self.rng), labels).mean()
        self.D.requires_grad_(True)
        small = shrink(views, self.t32.glyphs.shape[-1])
        cls, short = legibility_terms(self.recognizers, small, labels, self.groups,
                                      self.tcfg.cls_draws, self.tcfg.margin, self.rng)
        tie = (small[: len(x)] - t["g32"]).abs().mean()
        smooth = (x - enlarge(t["g32"], x.shape[-1])).abs().mean()
        ink = F.relu(x.mean((1, 2, 3)) / t["g32"].mean((1, 2, 3)).clamp_min(1e-3)
                     - self.tcfg.ink_cap).mean()
        c = self.tcfg
        loss = (c.adv_weight * adv + c.cls_weight * (cls + c.margin_weight * short)
                + c.tie_weight * tie + c.smooth_weight * smooth + c.ink_weight * ink)
        self.opt_r.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_r.step()
        update_ema(self.R_ema, self.R, self.step, self.tcfg.ema)
        self.step += 1
        with torch.no_grad():
            ok = torch.stack([within_case(r(small), labels, self.groups).argmax(1) == labels
                              for r in self.recognizers]).all(0)
            read = (ok.chunk(2)[0] & ok.chunk(2)[1]).float().mean()
        return {"loss_d": loss_d.item(), "adv": adv.item(), "cls": cls.item(),
                "margin": short.item(), "tie": tie.item(), "smooth": smooth.item(),
                "ink": ink.item(), "read": read.item()}


    def state(self) -> dict[str, Any]:
        return {"step": self.step, "R": self.R.state_dict(), "R_ema": self.R_ema.state_dict(),
                "D": self.D.state_dict(), "opt_r": self.opt_r.state_dict(),
                "opt_d": self.opt_d.state_dict(), "rng": self.rng.get_state(),
                "cpu_rng": self.cpu_rng.get_state(), "torch_rng": torch.get_rng_state()}

    def load_state(self, s: dict[str, Any]) -> None:
        self.step = int(s["step"])
        for name in ("R", "R_ema", "D", "opt_r", "opt_d"):
            getattr(self, name).load_state_dict(s[name])
        self.rng.set_state(s["rng"].cpu())
        self.cpu_rng.set_state(s["cpu_rng"])
        torch.set_rng_state(s["torch_rng"])

    @torch.no_grad()
    def sample_grid(self, pairs: list[tuple[str, str, str]], fonts: list[int]) -> torch.Tensor:
        """Rows of pairs; per font three 64 px tiles: the first stage enlarged, the refined
        glyph, the refined glyph turned. Ink = 1."""
        chars = self.rcfg.chars
        rows = []
        for a_ch, b_ch, s_name in grid_pairs(pairs, chars):
            n = len(fonts)
            a = torch.full((n,), chars.index(a_ch), device=self.device)
            b = torch.full((n,), chars.index(b_ch), device=self.device)
            sym = torch.full((n,), SYMMETRIES.index(s_name), device=self.device)
            f = torch.tensor(fonts, device=self.device)
            z = torch.zeros(n, self.G.cfg.z_dim, device=self.device)
            g32 = draw_glyphs(self.G, self.t32.glyphs, a, b, f, sym, z)
            x = self.R_ema(g32, self.t64.glyphs[f, a], transform(self.t64.glyphs[f, b], sym),
                           a, b, sym)
            tiles = torch.stack([enlarge(g32, x.shape[-1]), x, transform(x, sym)], 1)
            rows.append(torch.cat([torch.cat(list(t), -1) for t in tiles], -1)[0])
        return torch.cat(rows, -2)



# ----------------------------------------------------------------------------- the run


def style_glyphs64(glyph_set: GlyphSet, names: list[str], bank32: torch.Tensor, size: int
                   ) -> tuple[torch.Tensor, int]:
    """The refiner's references for the model's styles: each style's font in the data set at
    `size` px (uint8, (n_styles, n_chars, size, size)); a style whose font the data set lacks
    gets its 32 px bank glyphs enlarged. Returns them and how many were enlarged."""
    fonts = {f"{f['family']} {f['style']}": f["id"] for f in glyph_set.manifest["fonts"]}
    out, enlarged = [], 0
    for k, name in enumerate(names):
        rows = glyph_set.font_ids == fonts.get(name, -1)
        img = torch.zeros(len(glyph_set.chars), 1, size, size)
        if int(rows.sum()) == len(glyph_set.chars):
            img[glyph_set.labels[rows]] = to_model_size(glyph_set.images[rows], size)
        else:
            img = enlarge(bank32[k], size)
            enlarged += 1
        out.append((img[:, 0].clamp(0, 1) * 255).round().byte())
    return torch.stack(out), enlarged


def train_refiner(dataset: str | os.PathLike[str], run_dir: str | os.PathLike[str],
                  init_weights: str | os.PathLike[str], tcfg: RefineTrainConfig, *,
                  device: str = "auto", resume: bool = False, progress: Any = None
                  ) -> RunResult:
    """Train a refiner on top of `init_weights` (a model file) into `run_dir`:
    refine_checkpoint.pt (resumable), samples/, metrics.jsonl, and weights.pt = the model file
    with the refiner and its 64 px style references added. One device (no DDP)."""
    t0 = time.time()
    dev = pick_device(device)
    run = Path(run_dir)
    ckpt_path = run / "refine_checkpoint.pt"
    glyph_set = load_dataset(dataset, verify=True)
    atomic.probe_output_dir(run)
    payload = weights.load(init_weights, "model")
    model = load_model(init_weights)
    if model.chars != glyph_set.chars:
        raise DataError(f"{init_weights} draws the characters {model.chars!r}; the data set has "
                        f"{glyph_set.chars!r}")
    ckpt = None
    if resume:
        if not ckpt_path.is_file():
            raise DataError(f"nothing to resume: {run} holds no refine_checkpoint.pt")
        ckpt = weights.load(ckpt_path, "checkpoint")
        tcfg = RefineTrainConfig(**{**ckpt["train_config"], "steps": tcfg.steps})
    elif ckpt_path.exists():
        raise UsageError(f"{run} already holds a refiner run; pass --resume to continue it or "
                         "choose another --out")
    rcfg = RefinerConfig(chars=model.chars, **tcfg.model)
    train = glyph_set.subset("train") if glyph_set.manifest["split"]["train"] else glyph_set
    try:
        t32 = GlyphTable(train, model.config.image_size).spread(tcfg.max_fonts or 0).to(dev)
        t64 = GlyphTable(train, rcfg.size).spread(tcfg.max_fonts or 0).to(dev)
    except ValueError as e:
        raise DataError(f"{dataset}: {e}") from None
    trainer = RefineTrainer(rcfg, tcfg, copy.deepcopy(model.generator), t32, t64,
                            copy.deepcopy(model.recognizers), dev)
    if ckpt:
        trainer.load_state(ckpt["trainer"])
    log = _Logger(run / "metrics.jsonl", True)
    bar = progress or _NullProgress()
    (run / "samples").mkdir(parents=True, exist_ok=True)

    def checkpoint() -> None:
        weights.save(ckpt_path, "checkpoint", {
            "trainer": trainer.state(), "train_config": asdict(tcfg)})

    def samples() -> None:
        grid = trainer.sample_grid([p for p in SAMPLE_PAIRS if p[2] == "rotate"],
                                   list(range(0, t32.n_fonts, max(1, t32.n_fonts // 3)))[:3])
        array = (255 - grid.clamp(0, 1) * 255).round().byte().cpu().numpy()
        save_png(run / "samples" / f"refine_{trainer.step:06d}.png", array, scale=1)
        save_png(run / "samples.png", array, scale=1)

    task = bar.add_task("refiner", total=tcfg.steps, completed=trainer.step, info="")
    ema: dict[str, float] = {}
    with stop_on_signals() as flag:
        while trainer.step < tcfg.steps:
            m = trainer.train_step()
            ema = {k: 0.95 * ema.get(k, v) + 0.05 * v for k, v in m.items()}
            log.write({"stage": "refiner", "step": trainer.step, **m})
            bar.update(task, completed=trainer.step,
                       info=" ".join(f"{k} {v:.3f}" for k, v in ema.items()))
            if trainer.step % SAMPLE_EVERY == 0:
                samples()
            if trainer.step % CHECKPOINT_EVERY == 0:
                checkpoint()
            if flag["stop"]:
                checkpoint()
                raise Interrupted(f"interrupted at step {trainer.step}: checkpoint saved in "
                                  f"{ckpt_path}; continue with --resume")
    checkpoint()
    samples()
    glyphs64, enlarged = style_glyphs64(glyph_set, model.style_names, model.style_glyphs,
                                        rcfg.size)
    payload["refiner"] = {"config": rcfg.to_dict(), "glyphs": glyphs64,
                          "state": {k: v.cpu().contiguous()
                                    for k, v in trainer.R_ema.state_dict().items()}}
    payload["meta"] = {**payload.get("meta", {}), "refiner": {
        "steps": trainer.step, "seconds": round(time.time() - t0, 1), "device": str(dev),
        "train_config": asdict(tcfg), "styles_enlarged": enlarged,
        "dataset_hash": glyph_set.manifest["content_hash"], "final_metrics": ema}}
    out = run / "weights.pt"
    weights.save(out, "model", payload)
    return RunResult(run, trainer.step, out, ema, [], time.time() - t0)


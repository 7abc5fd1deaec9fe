"""Where torch work runs: the device a command asks for, and the torch.distributed state of a
run started by `torchrun` (DDP). Training, the judge's training and `eval` all pick their device
here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from .errors import UsageError


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA device is available")
    if name == "mps" and not (getattr(torch.backends, "mps", None)
                              and torch.backends.mps.is_available()):
        raise UsageError("--device mps: Apple's MPS is not available")
    if name not in ("cpu", "cuda", "mps"):
        raise UsageError(f"unknown --device {name!r}; choose auto, cpu, cuda or mps")
    if name == "cuda":
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return torch.device(name)


@dataclass
class Dist:
    """torch.distributed state; rank 0 alone writes files and draws progress."""

    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def init_distributed(device: torch.device) -> Dist:
    world = int(os.environ.get("WORLD_SIZE", 1))
    if world <= 1:
        return Dist()
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    return Dist(dist.get_rank(), world)


def broadcast(module: nn.Module, ddp: Dist) -> None:
    """Rank 0's parameters and buffers of `module` on every rank."""
    if ddp.world > 1:
        for t in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(t.data, 0)


def any_stop(local: bool, ddp: Dist) -> bool:
    """Whether any rank wants to stop (on one process: whether this one does)."""
    if ddp.world == 1:
        return local
    t = torch.tensor([float(local)])
    dist.all_reduce(t)
    return bool(t.item() > 0)

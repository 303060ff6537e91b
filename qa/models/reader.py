"""Trained extractive reader: question + passage windows -> best answer spans with character offsets."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qa.errors import ReaderError
from qa.models.calibration import Calibrator
from qa.models.runtime import open_runner, reader_path
from qa.models.tokenizer import INPUTS, encode_pairs, encode_text
from qa.settings import Settings

Runner = Callable[[dict[str, np.ndarray]], tuple[np.ndarray, np.ndarray]]  # inputs -> (start, end) logits


@dataclass(frozen=True)
class Window:
    """One tokenised question+context window; `offsets` map context tokens to characters of the context."""

    context: int  # index of the context it was cut from
    offsets: list[tuple[int, int] | None]  # None for question, special and padding tokens
    length: int  # tokens before the padding


@dataclass(frozen=True)
class Found:
    """A span the reader proposes in one context: characters [start, end) of that context."""

    context: int
    start: int
    end: int
    logit: float  # start + end logit of the span
    null_logit: float  # start + end logit of "no answer here" in the same window
    prob: float  # softmax start prob * softmax end prob within the window (no-answer included)


def tokenizer_windows(tokenizer, question: str, contexts: Sequence[str], max_length: int, stride: int) -> dict:
    """question+context windows (overlapping by `stride` tokens) as padded arrays plus their offset maps: each
    context's windows in order, as a transformers fast tokenizer makes them, but through the `tokenizers`
    tokenizer underneath (so that serving needs no transformers).

    A question longer than a third of the window is cut there, so that every window keeps room for context."""
    question, room = clip_question(tokenizer, question, max_length)
    encoded = encode_pairs(tokenizer, question, list(contexts), max_length, min(stride, room // 2))
    names = [n for n in INPUTS if n in getattr(tokenizer, "model_input_names", INPUTS)]
    width = max((len(e.ids) for _, e in encoded), default=0)
    pad = getattr(tokenizer, "pad_token_id", None) or 0
    arrays = {n: np.full((len(encoded), width), pad if n == "input_ids" else 0, np.int64) for n in names}
    windows = []
    for w, (ctx, e) in enumerate(encoded):
        n = len(e.ids)
        for name, values in zip(INPUTS, (e.ids, e.attention_mask, e.type_ids), strict=True):
            if name in arrays:
                arrays[name][w, :n] = values
        offsets = [tuple(o) if s == 1 else None for o, s in zip(e.offsets, e.sequence_ids, strict=True)]
        windows.append(Window(ctx, offsets, n))
    return {"inputs": arrays, "windows": windows}


def clip_question(tokenizer, question: str, max_length: int) -> tuple[str, int]:
    """The question cut to a third of `max_length` tokens, and the context tokens left in each window."""
    offsets = encode_text(tokenizer, question, special=False).offsets
    keep = max_length // 3
    if len(offsets) > keep:
        question = question[: offsets[keep - 1][1]]
    return question, max_length - min(len(offsets), keep) - 3


def check_windows(tokenizer) -> None:
    """Refuse a tokenizer whose overflowing windows stop short of the passage's end (tokenizers 0.23.2 keeps only
    the first two windows of a long passage, so the rest is never read, nor trained on)."""
    passage = "word " * 100
    windows = tokenizer_windows(tokenizer, "what is it?", [passage], 64, 16)["windows"]
    if max(o[1] for w in windows for o in w.offsets if o) < len(passage.rstrip()):
        version = getattr(__import__("tokenizers"), "__version__", "?")
        raise ReaderError(f"this tokenizer (tokenizers {version}) drops the end of long passages; upgrade tokenizers")


def best_spans(
    start: np.ndarray, end: np.ndarray, window: Window, max_tokens: int, top: int
) -> list[tuple[int, int, float, float]]:
    """The `top` (start_token, end_token, logit, prob) spans of one window, at most `max_tokens` long."""
    ctx = np.array([o is not None for o in window.offsets[: window.length]])
    if not ctx.any():
        return []
    start, end = start[: window.length], end[: window.length]
    p_start, p_end = _softmax(start), _softmax(end)
    idx = np.flatnonzero(ctx)
    s, e = start[idx], end[idx]
    scores = s[:, None] + e[None, :]
    i, j = np.indices(scores.shape)
    scores = np.where((j >= i) & (j - i < max_tokens), scores, -np.inf)
    flat = np.argsort(scores, axis=None)[::-1][:top]
    out = []
    for f in flat:
        a, b = divmod(int(f), scores.shape[1])
        if np.isfinite(scores[a, b]):
            ta, tb = int(idx[a]), int(idx[b])
            out.append((ta, tb, float(scores[a, b]), float(p_start[ta] * p_end[tb])))
    return out


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max())
    return z / z.sum()


class SpanReader:
    """Reads contexts for one question: tokenised windows -> model logits (`runner`) -> best spans."""

    def __init__(
        self,
        runner: Runner,
        tokenizer,
        max_length: int = 192,
        stride: int = 64,
        max_answer_tokens: int = 30,
        calibrator: Calibrator | None = None,
        batch_size: int = 16,
    ):
        check_windows(tokenizer)
        longest = getattr(tokenizer, "model_max_length", 0)  # transformers puts ~1e30 where it is not known
        if 0 < longest < 1_000_000 and max_length > longest:
            raise ReaderError(f"reader_max_length {max_length} is longer than this reader reads ({longest} tokens)")
        self.runner, self.tokenizer = runner, tokenizer
        self.calibrator = calibrator or Calibrator()  # the model's own calibration, saved beside its weights
        self.windows_read, self.seconds = 0, 0.0  # running totals, for reports
        self.max_length, self.stride = max_length, stride
        self.max_answer_tokens, self.batch_size = max_answer_tokens, batch_size

    @classmethod
    def from_settings(cls, s: Settings) -> SpanReader:
        """The reader the settings name, on its backend and threads, with its calibration and answerable prior."""
        path = reader_path(s.reader)
        runner, tokenizer = open_runner(path, s.reader_backend, s.cache_dir, s.reader_threads, s.offline)
        calibrator = Calibrator.load(path).with_prior(s.answerable_prior)
        return cls(runner, tokenizer, s.reader_max_length, s.reader_stride, s.max_answer_tokens, calibrator)

    def read(self, question: str, contexts: Sequence[str], top: int = 3) -> list[Found]:
        """Up to `top` spans per window of every context, best logit first."""
        if not contexts:
            return []
        batch = tokenizer_windows(self.tokenizer, question, contexts, self.max_length, self.stride)
        inputs, windows = batch["inputs"], batch["windows"]
        started = time.perf_counter()
        starts, ends = [], []
        for i in range(0, len(windows), self.batch_size):
            s, e = self.runner({k: v[i : i + self.batch_size] for k, v in inputs.items()})
            starts.append(s)
            ends.append(e)
        start_logits, end_logits = np.concatenate(starts), np.concatenate(ends)
        self.windows_read += len(windows)
        self.seconds += time.perf_counter() - started
        found = []
        for w, window in enumerate(windows):
            s, e = start_logits[w], end_logits[w]
            null = float(s[0] + e[0])
            for a, b, logit, prob in best_spans(s, e, window, self.max_answer_tokens, top):
                found.append(Found(window.context, window.offsets[a][0], window.offsets[b][1], logit, null, prob))
        return sorted(found, key=lambda f: -f.logit)

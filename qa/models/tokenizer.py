"""A model's own tokenizer.json read by the `tokenizers` library alone: serving never imports transformers, whose
import brings in PyTorch (seconds of every `qa ask`)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_STATE = threading.Lock()  # truncation is the tokenizer's state: set and used by one thread at a time


class FastTokenizer:
    """What the reader and the embedder use of a Hugging Face tokenizer: the `tokenizers` tokenizer itself
    (`backend_tokenizer`, as transformers names it), the longest input and the padding id."""

    def __init__(self, path: str | Path):
        from tokenizers import Tokenizer

        path = Path(path)
        self.backend_tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        config_file = path / "tokenizer_config.json"
        config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.exists() else {}
        self.model_max_length = int(config.get("model_max_length") or 1_000_000_000)
        pad = config.get("pad_token") or "[PAD]"
        pad = pad.get("content", "[PAD]") if isinstance(pad, dict) else pad
        self.pad_token_id = self.backend_tokenizer.token_to_id(pad) or 0
        self.model_input_names = list(INPUTS)  # the ONNX runner passes on only those its model takes


def backend(tokenizer):
    """The `tokenizers` tokenizer under a transformers fast tokenizer or a FastTokenizer."""
    return getattr(tokenizer, "backend_tokenizer", tokenizer)


def encode_pairs(tokenizer, first: str, seconds: list[str], max_length: int, stride: int) -> list[tuple[int, object]]:
    """(index of its second text, encoding) of every window of each pair, cut from the second text only."""
    raw = backend(tokenizer)
    with _STATE:
        raw.no_padding()
        raw.enable_truncation(max_length, stride=stride, strategy="only_second")
        encoded = raw.encode_batch([(first, second) for second in seconds])
    return [(i, e) for i, whole in enumerate(encoded) for e in (whole, *whole.overflowing)]


def encode_text(tokenizer, text: str, max_length: int | None = None, special: bool = True):
    """One text's encoding, cut at `max_length` tokens (None: whole)."""
    raw = backend(tokenizer)
    with _STATE:
        raw.no_padding()
        if max_length:
            raw.enable_truncation(max_length)
        else:
            raw.no_truncation()
        return raw.encode(text, add_special_tokens=special)

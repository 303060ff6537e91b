"""Distillation: a teacher reader's start and end distributions over the student's own training windows, whatever
either's tokenizer, and the loss that pulls the student towards them."""

from __future__ import annotations

import numpy as np

from qa.training.squad import Labelled

MAP_KEYS = ("start_map", "end_map")


def teacher_batch(tokenizer, windows: list[Labelled], max_length: int) -> dict[str, np.ndarray]:
    """The teacher's inputs for the same question and context characters as each student window, plus, for every
    student position, the teacher position whose token starts (`start_map`) or ends (`end_map`) at the same
    character; -1 where none does (question, special and padding tokens), 0 (no answer) for 0."""
    enc = tokenizer(
        [w.question for w in windows],
        [w.context[w.first : w.last] for w in windows],
        truncation="only_second",
        max_length=max_length,
        return_offsets_mapping=True,
        padding="longest",
        return_tensors="np",
    )
    width = max(len(w.ids) for w in windows)
    maps = {key: np.full((len(windows), width), -1, dtype=np.int64) for key in MAP_KEYS}
    for b, w in enumerate(windows):
        starts, ends = {}, {}
        for t, (s, o) in enumerate(zip(enc.sequence_ids(b), enc["offset_mapping"][b].tolist(), strict=True)):
            if s == 1 and o[1] > o[0]:
                starts.setdefault(o[0] + w.first, t)
                ends[o[1] + w.first] = t
        maps["start_map"][b, 0] = maps["end_map"][b, 0] = 0
        for p, o in enumerate(w.offsets):
            if o is not None:
                maps["start_map"][b, p] = starts.get(o[0], -1)
                maps["end_map"][b, p] = ends.get(o[1], -1)
    enc.pop("offset_mapping")
    return {**{k: v.astype(np.int64) for k, v in enc.items()}, **maps}


def distillation_loss(student: tuple, teacher: tuple, maps: tuple, temperature: float):
    """KL(teacher || student) of the start and of the end distributions, softened by `temperature`, averaged over
    the two and the batch, times temperature² (so that its gradients keep their scale as the temperature moves).
    `student` and `teacher` are (start, end) logits; `maps` the (start, end) teacher position of each student one."""
    import torch

    losses = []
    for s, t, index in zip(student, teacher, maps, strict=True):
        mapped = t.float().gather(1, index.clamp(min=0)).masked_fill(index < 0, float("-inf"))
        target = torch.softmax(mapped / temperature, dim=-1)
        log_student = torch.log_softmax(s.float() / temperature, dim=-1)
        losses.append((torch.special.xlogy(target, target) - target * log_student).sum(-1).mean())
    return (losses[0] + losses[1]) / 2 * temperature**2

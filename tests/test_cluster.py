"""Index builds on Ray (a local instance): the same chunks and vectors as a single-process build."""

import sys

import numpy as np
import pytest

from qa import QAService
from qa.cli import main
from qa.errors import ClusterError
from qa.ingest.ray_build import chunk_and_embed
from qa.store.snapshot import Snapshot
from qa.store.vectors import contents

from .conftest import SEEDS

pytest.importorskip("ray.data", reason="the cluster extra is not installed")

SECOND = "Volcano erupts in Iceland\n\nThe volcano near Reykjavik erupted on Tuesday. " * 3


def test_ray_build_gives_the_same_chunks_and_vectors(fresh_service, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "seed.txt").write_text((SEEDS / "russia-sanctions-syria.txt").read_text())
    (folder / "volcano.txt").write_text(SECOND)
    fresh_service.build(folder)
    on_ray = QAService(fresh_service.settings.replace(index_dir=tmp_path / "ray-index"), fresh_service.embedder)
    report = on_ray.build(folder, ray="")
    assert report.added == ["seed", "volcano"] and report.chunks > 2

    local, remote = Snapshot(fresh_service.settings.index_dir), Snapshot(on_ray.settings.index_dir)
    assert [(c.article_id, c.start, c.end) for c in remote.chunks] == [
        (c.article_id, c.start, c.end) for c in local.chunks
    ]
    (local_ids, local_vectors), (remote_ids, remote_vectors) = contents(local.vectors), contents(remote.vectors)
    assert np.array_equal(local_ids, remote_ids)
    assert np.abs(local_vectors - remote_vectors).max() < 1e-5
    top = on_ray.ask("Where did the volcano erupt?").passages[0]
    assert top.chunk.article_id == "volcano"


def test_without_ray_the_flag_says_what_to_install(monkeypatch, settings, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ClusterError, match=r"pip install -e '\.\[cluster\]'"):
        chunk_and_embed([], settings, 700, 1)
    assert main(["index", "build", "--ray", "--index-dir", str(settings.index_dir) + "-unused"]) == 2
    assert "pip install -e '.[cluster]'" in capsys.readouterr().err

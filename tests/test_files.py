"""Files written whole or not at all."""

import pytest

from qa.store.files import write_whole


def test_a_file_is_replaced_whole_and_a_failed_write_leaves_the_old_one(tmp_path):
    path = tmp_path / "out.jsonl"
    write_whole(path, "first\n")
    write_whole(path, "second\n")
    assert path.read_text() == "second\n"
    with pytest.raises(UnicodeEncodeError):
        write_whole(path, "half written \ud800")  # fails after the temporary file was opened
    assert path.read_text() == "second\n" and [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]

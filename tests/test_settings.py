from pathlib import Path

import pytest

from qa.settings import Settings


def test_env_then_overrides():
    s = Settings.from_env(
        {"QA_INDEX_DIR": "/tmp/x", "QA_PASSAGES": "7", "QA_OFFLINE": "no", "QA_MIN_PROBABILITY": "0.5", "OTHER": "1"},
        passages=3,
        model=None,
    )
    assert s.index_dir == Path("/tmp/x") and s.passages == 3 and s.offline is False and s.min_probability == 0.5
    assert s.model == Settings().model


def test_bad_value_names_the_setting():
    with pytest.raises(ValueError, match="setting port: cannot read 'eighty' as int"):
        Settings.from_env({"QA_PORT": "eighty"})


def test_every_setting_has_help():
    import dataclasses

    assert all(f.metadata.get("help") for f in dataclasses.fields(Settings))


@pytest.mark.parametrize(
    "env, message",
    [
        ({"QA_MIN_PROBABILITY": "2"}, "setting min_probability: 2.0 must be between 0 and 1"),
        ({"QA_PASSAGES": "0"}, "setting passages: 0 must be between 1 and 50"),
        ({"QA_MAX_ANSWERS": "0"}, "setting max_answers: 0 must be at least 1"),
        ({"QA_CANDIDATES": "0"}, "setting candidates: 0 must be at least 1"),
        ({"QA_DENSE_WEIGHT": "7"}, "setting dense_weight: 7.0 must be between 0 and 1"),
        ({"QA_READER_MAX_LENGTH": "8"}, "setting reader_max_length: 8 must be at least 32"),
        ({"QA_READER_BACKEND": "gpu"}, "setting reader_backend: 'gpu' is not one of onnx-int8, torch"),
        ({"QA_PORT": "70000"}, "setting port: 70000 must be between 0 and 65535"),
    ],
)
def test_out_of_range_settings_are_refused_by_name(env, message):
    with pytest.raises(ValueError) as err:
        Settings.from_env(env)
    assert str(err.value) == message


def test_unknown_answerer_is_refused():
    with pytest.raises(ValueError, match="setting answerer: 'magic' is not one of rules, reader"):
        Settings(answerer="magic")


def test_settings_survive_the_environment_round_trip(tmp_path):
    from qa import Settings

    custom = Settings(index_dir=tmp_path / "i", progress=False, min_probability=0.5, workers=3, answerer="reader")
    assert Settings.from_env(custom.to_env()) == custom

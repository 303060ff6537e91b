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


def test_unknown_answerer_is_refused():
    with pytest.raises(ValueError, match="setting answerer: 'magic' is not one of rules, reader"):
        Settings(answerer="magic")


def test_settings_survive_the_environment_round_trip(tmp_path):
    from qa import Settings

    custom = Settings(index_dir=tmp_path / "i", progress=False, min_probability=0.5, workers=3, answerer="reader")
    assert Settings.from_env(custom.to_env()) == custom

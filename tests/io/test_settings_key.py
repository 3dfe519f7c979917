"""Settings keys: unset (None) fields are keyed as absent, so a release that adds an optional config field
does not mark older finished outputs stale; keys made the old way are still recognised."""

import json

from mathdistill.io.settings import settings_key


def test_unset_fields_are_keyed_as_absent_at_any_depth():
    base = {"model": "m", "lora": {"r": 8, "alpha": 16}, "data": ["a.jsonl"]}
    grown = {"model": "m", "lora": {"r": 8, "alpha": 16, "dropout_new": None}, "data": ["a.jsonl"], "new": None}
    assert settings_key(base) == settings_key(grown)
    assert settings_key(base, legacy=True) != settings_key(grown, legacy=True)


def test_a_set_field_still_changes_the_key():
    assert settings_key({"lr": 1e-5, "seed": None}) != settings_key({"lr": 1e-5, "seed": 0})
    assert settings_key({"lora": {"r": 8}}) != settings_key({"lora": {"r": 16}})
    # 0, False and "" are settings, not "unset"
    assert settings_key({"x": 0}) != settings_key({}) != settings_key({"x": False})


def test_legacy_key_is_the_old_hash_of_every_field():
    import hashlib

    s = {"b": None, "a": 1}
    old = hashlib.sha256(json.dumps(s, sort_keys=True).encode()).hexdigest()[:16]
    assert settings_key(s, legacy=True) == old
    assert settings_key(s) != old

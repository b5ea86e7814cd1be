"""YAML merge keys (``<<: *anchor``) load like any mapping; the merged keys are placed at
the mapping that merges them (ruamel keeps no position for them). Found by test_fuzz."""

from __future__ import annotations

from reconciler.loading.yamlio import load_with_positions

from conftest import Run


def test_merged_keys_load_and_get_their_mappings_position() -> None:
    document = load_with_positions("a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\n")
    assert document.data == {"a": {"b": 1}, "c": {"d": 2, "b": 1}}
    assert document.positions["/c/b"] == (3, 3)
    flow = load_with_positions("identity_config: {<<: {identity_config: true}}\n")
    assert flow.data == {"identity_config": {"identity_config": True}}


def test_validate_answers_a_merge_key_with_a_message_not_a_crash(write: object, run: Run) -> None:
    assert callable(write)
    write(
        "environments/dev.yaml",
        "defaults: &lifespan {lifespan: 1h}\nidentity_config:\n  session:\n    <<: *lifespan\n",
    )
    result = run("validate", "dev")
    assert "Unexpected error" not in result.err and "Traceback" not in result.err
    assert result.code == 1
    assert "environments/dev.yaml:1:1: defaults" in result.err

"""Issue 25 item 5: the steps a schema switch asks of the identities that move."""

from __future__ import annotations

import copy
import json
from typing import Any

from reconciler.comparing.migration import steps_of
from reconciler.comparing.trait_diff import trait_diff

from conftest import FIXTURES

K8S = FIXTURES / "corpus" / "examples-kratos-keto-oathkeeper-k8s" / "identity.schema.json"
OLD: dict[str, Any] = json.loads(K8S.read_text())


def test_each_breaking_trait_change_gets_its_transform() -> None:
    new = copy.deepcopy(OLD)
    properties = new["properties"]["traits"]["properties"]
    properties["group"]["type"] = "string"
    properties["role"]["enum"] = ["user"]
    properties["email"]["maxLength"] = 320
    properties["name"]["required"] = ["first"]
    properties["nickname"] = {"type": "string"}
    new["properties"]["traits"]["required"] = ["email", "nickname"]
    del properties["email"]["ory.sh/kratos"]["recovery"]
    steps = {
        (s.change.trait, s.change.keyword): (s.kind, s.action)
        for s in steps_of(tuple(trait_diff(OLD, new)))
    }
    assert steps[("traits.group", "type")] == (
        "transform",
        'convert values to "string" (from "array"), or drop them',
    )
    assert steps[("traits.role", "enum")] == ("transform", 'map ["admin"] to one of ["user"]')
    assert steps[("traits.email", "maxLength")][0] == "transform"
    assert "maxLength 320" in steps[("traits.email", "maxLength")][1]
    assert steps[("traits.name.first", "required")] == (
        "transform",
        "set a default where it is missing",
    )
    assert steps[("traits.nickname", None)] == ("transform", "set a default where it is missing")
    assert steps[("traits.email", "recovery.via")][0] == "notice"


def test_removals_drop_and_widening_asks_nothing() -> None:
    new = copy.deepcopy(OLD)
    properties = new["properties"]["traits"]["properties"]
    del properties["role"]
    properties["email"].pop("minLength")
    found = steps_of(tuple(trait_diff(OLD, new)))
    kinds = {(s.change.trait, s.kind): s.action for s in found}
    assert kinds[("traits.role", "transform")].startswith("drop it")
    assert kinds[("traits.email", "nothing")] == "nothing"
    assert [s.kind for s in found] == ["transform", "nothing"]  # transforms first

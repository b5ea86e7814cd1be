from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.loading.loader import load_environment
from reconciler.loading.validate import validate

from conftest import Run

Write = Callable[[str, str], Path]


def _problems(
    tmp_path: Path, write: Write, text: str, environ: dict[str, str] | None = None
) -> list[str]:
    write("environments/dev.yaml", text)
    with pytest.raises(ConfigError) as excinfo:
        validate(load_environment(tmp_path, "dev", environ or {}))
    return [problem.split("dev.yaml:", 1)[1] for problem in excinfo.value.problems]


def test_unknown_envelope_key_gets_did_you_mean(tmp_path: Path, write: Write) -> None:
    problems = _problems(tmp_path, write, "identity_confg:\n  selfservice: {}\n")
    assert problems == [
        "1:1: identity_confg: unknown key 'identity_confg'; did you mean 'identity_config'?"
    ]


def test_bad_types_in_the_typed_subtrees_are_all_reported(tmp_path: Path, write: Write) -> None:
    problems = _problems(
        tmp_path,
        write,
        """
        target:
          ory_network: {project: not-a-uuid}
        identity_config:
          selfservice:
            methods:
              totpp: {enabled: true}
              code: {mfa_enabled: "yes"}
            flows:
              settings: {required_aal: aal2}
              login:
                after:
                  password:
                    hooks:
                      - hook: sesion
          session:
            whoami: {required_aal: aal1}
        """,
    )
    # Unknown keys and hooks inside identity_config are the official schema's to report
    # (test_schema_reports_unknown_keys_with_did_you_mean), not the models'.
    assert problems == [
        "2:17: target.ory_network.project: must be a project id (a UUID such as "
        "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c), got 'not-a-uuid'",
        "7:14: identity_config.selfservice.methods.code.mfa_enabled: "
        "must be a boolean (true or false), got 'yes'",
        "9:18: identity_config.selfservice.flows.settings.required_aal: must be 'aal1' or "
        "'highest_available', got 'aal2'",
    ]


def test_schema_reports_unknown_keys_with_did_you_mean(write: Write, run: Run) -> None:
    write(
        "environments/dev.yaml",
        """
        identity_config:
          selfservice:
            methods:
              totpp: {enabled: true}
            flows:
              registration:
                after:
                  password:
                    hooks:
                      - hook: sesion
                  hooks:
                    - hook: web_hook
                      config:
                        url: https://h.test
                        method: POST
                        can_interupt: true
        """,
    )
    result = run("validate", "dev")
    assert result.code == 1
    errors = [line.split("dev.yaml:", 1)[1] for line in result.err.splitlines() if "Error" in line]
    assert sorted(errors) == [
        "10:17: identity_config.selfservice.flows.registration.after.password.hooks[sesion]: hook "
        "`sesion` is not allowed at /selfservice/flows/registration/after/password/hooks/0 by "
        "the OSS Kratos schema (allowed here: b2b_sso, organization, session, "
        "show_verification_ui, web_hook); did you mean `session`?",
        "16:17: identity_config.selfservice.flows.registration.after.hooks[web_hook "
        "https://h.test].config."
        "can_interupt: `can_interupt` at /selfservice/flows/registration/after/hooks/0/config "
        "is unknown to the OSS Kratos config schema; did you mean `can_interrupt`?",
        "4:7: identity_config.selfservice.methods.totpp: `totpp` at /selfservice/methods is "
        "unknown to the OSS Kratos config schema; did you mean `totp`?",
    ]


def test_findings_are_listed_in_file_order(write: Write, run: Run) -> None:
    # Line 12 after line 3: a reviewer reads the messages top to bottom beside the file.
    write(
        "environments/dev.yaml",
        """
        identity_config:
          selfservice:
            methods:
              totpp: {enabled: true}
            flows:
              login:
                lifespan: 1h
              settings:
                privileged_session_max_age: 15m
              registration:
                lifespan: 1h
                enabeld: true
        """,
    )
    result = run("validate", "dev")
    assert result.code == 1
    lines = [
        int(line.split("dev.yaml:", 1)[1].split(":")[0])
        for line in result.err.splitlines()
        if "dev.yaml:" in line
    ]
    assert lines == [4, 12]


def test_web_hook_config_is_typed(tmp_path: Path, write: Write) -> None:
    problems = _problems(
        tmp_path,
        write,
        """
        identity_config:
          selfservice:
            flows:
              registration:
                after:
                  hooks:
                    - hook: web_hook
                      config:
                        url: https://h.test
                        can_interrupt: "no"
        """,
    )
    assert problems == [
        "8:15: identity_config.selfservice.flows.registration.after.hooks[0].config.method: "
        "required key is missing",
        "10:17: identity_config.selfservice.flows.registration.after.hooks[0].config."
        "can_interrupt: must be a boolean (true or false), got 'no'",
    ]


def test_secret_values_never_appear_in_errors(tmp_path: Path, write: Write) -> None:
    problems = _problems(
        tmp_path,
        write,
        "identity_config:\n  selfservice:\n    methods:\n      totp: {enabled: '${FLAG}'}\n",
        {"FLAG": "super-secret-value"},
    )
    assert problems == [
        "4:14: identity_config.selfservice.methods.totp.enabled: "
        "must be a boolean (true or false), got (sensitive)"
    ]


def test_target_needs_exactly_one_kind(tmp_path: Path, write: Write) -> None:
    problems = _problems(tmp_path, write, "target: {}\n")
    assert problems == ["1:1: target: a target needs exactly one of ory_network or kratos_file"]


def test_remove_must_not_contradict_a_set_value(tmp_path: Path, write: Write) -> None:
    write("environments/dev.yaml", "identity_config:\n  a: {b: 1}\nremove: [/a/b]\n")
    with pytest.raises(
        ConfigError, match=r"/a/b is listed under remove: but also set in .*dev.yaml:2:7"
    ):
        validate(load_environment(tmp_path, "dev", {}))


def test_remove_entries_must_be_pointers(tmp_path: Path, write: Write) -> None:
    problems = _problems(tmp_path, write, "remove: [selfservice.methods]\n")
    assert problems == [
        "1:10: remove[0]: must be a JSON pointer such as "
        "/selfservice/methods/link/config/base_url, got 'selfservice.methods'"
    ]


def test_unknown_passthrough_keys_are_allowed(tmp_path: Path, write: Write) -> None:
    write(
        "environments/dev.yaml",
        "identity_config:\n  courier: {message_retries: 5}\n  feature_flags: {x: 1}\n",
    )
    valid = validate(load_environment(tmp_path, "dev", {}))
    assert valid.identity_config == {"courier": {"message_retries": 5}, "feature_flags": {"x": 1}}


def test_an_identity_schema_has_one_source(tmp_path: Path, write: Write) -> None:
    problems = _problems(
        tmp_path,
        write,
        """
        identity_config:
          identity:
            schemas:
              - id: both
                url: base64://e30=
                schema: {type: object}
              - id: neither
              - id: preset://email
        """,
    )
    assert problems == [
        "4:9: identity_config.identity.schemas[0]: "
        "give an identity schema either a url or an inline schema, not both",
        "7:9: identity_config.identity.schemas[1]: "
        "an identity schema needs a url (file://, base64://, https://) or schema",
    ]


def test_a_wrong_rotate_key_is_named(tmp_path: Path, write: Write) -> None:
    problems = _problems(tmp_path, write, "rotate:\n  courier.smtp: 2\n  /a: 0\n  /b: true\n")
    assert problems == [
        "2:3: rotate.courier.smtp: must be a JSON pointer such as "
        "/selfservice/methods/link/config/base_url, got 'courier.smtp'",
        "3:3: rotate./a: must be at least 1, got 0",
        "4:3: rotate./b: must be a whole number, got true",  # as YAML spells it
    ]


def test_an_unknown_target_kind_is_the_one_problem_there(tmp_path: Path, write: Write) -> None:
    # The exactly-one rule is not judged over a typo of one of its keys.
    problems = _problems(tmp_path, write, "target:\n  kratos_fil: {path: k.yaml}\n")
    assert problems == [
        "2:3: target.kratos_fil: unknown key 'kratos_fil'; did you mean 'kratos_file'?"
    ]


_HOOK_WITH_HEADER = """
target: {kratos_file: {path: kratos.yml}}
identity_config:
  courier:
    http:
      request_config:
        url: https://mail.example/send
        headers: {X-Token: abc}
"""


def test_a_secrets_pointer_must_name_a_declared_value(tmp_path: Path, write: Write) -> None:
    # Issue 21: a mistyped pointer left the value it meant unmarked, printed in clear.
    typo = "secrets: [/courier/http/request_config/header/X-Token]\n"
    problems = _problems(tmp_path, write, _HOOK_WITH_HEADER + typo)
    assert problems == [
        "8:11: secrets[0]: /courier/http/request_config/header/X-Token names nothing this "
        "environment declares under identity_config; did you mean "
        "/courier/http/request_config/headers/X-Token?"
    ]
    for declared in ("/courier/http/request_config/headers/X-Token", "/courier/http"):
        write("environments/dev.yaml", _HOOK_WITH_HEADER + f"secrets: [{declared}]\n")
        assert validate(load_environment(tmp_path, "dev", {})).model.secrets == [declared]


def test_a_shared_layer_is_not_checked_alone_for_secrets_pointers(
    tmp_path: Path, write: Write
) -> None:
    write("environments/base.yaml", "secrets: [/courier/http/request_config/headers/X-Token]\n")
    validate(load_environment(tmp_path, "base", {}))  # no target: its overlays are checked
    write("environments/dev.yaml", "extends: base.yaml\ntarget: {kratos_file: {path: k.yml}}\n")
    with pytest.raises(ConfigError, match=r"base\.yaml:1:11: secrets\[0\]: .* names nothing"):
        validate(load_environment(tmp_path, "dev", {}))

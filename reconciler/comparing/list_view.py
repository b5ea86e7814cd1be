"""How a change to a list reads: elements matched by what they are, then field by field.

The JSON Patch replaces a list whole (Ory's lists have no element ids), but a reviewer needs
to see which hook's body changed, not two 700-character lines. Elements are matched by
identity (a hook by ``hook`` and ``config.url``, an identity schema, OIDC provider or courier
channel by ``id``) and every differing leaf gets its own line:
``~ /…/hooks[web_hook https://…/login].config.body: a -> b``. Findings name elements the
same way (``labelled_pointer``, ``labelled_key``). Pure: values are shown by the caller.

A label is built from values (a hook's URL, an element's ``id``): one that is secret (a URL
from ``${VAR}``) shows as ``(sensitive)``, and a control character (a newline in a URL) shows
escaped, so a label never starts a line of its own.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from reconciler.comparing.diff import SCHEMAS, Change
from reconciler.comparing.values import DefaultLookup, EqualityRules, StoredEquality
from reconciler.jsontypes import JSONValue, Pointer, join_pointer, split_pointer
from reconciler.secrets import MASK, SecretPaths

FieldAction = Literal["add", "change", "reset"]
Same = Callable[[JSONValue, JSONValue, Pointer], bool]
# Whether the server fills in this live value itself (a default the user did not write).
Filled = Callable[[Pointer, JSONValue], bool]
# Whether the value at this pointer is secret (a label built from it shows it masked).
Hidden = Callable[[Pointer], bool]


def _never(_pointer: Pointer) -> bool:
    return False


@dataclass(frozen=True)
class FieldChange:
    """One line of a list change. ``*_pointer`` locate the value in live and desired state
    (None on the side that does not have it), for masking and ``file://`` names."""

    action: FieldAction
    label: str
    live: JSONValue = None
    desired: JSONValue = None
    live_pointer: Pointer | None = None
    desired_pointer: Pointer | None = None


def element_key(list_pointer: Pointer, element: JSONValue) -> str | None:
    """What an element is, or None when it has nothing better than its index."""
    parts = _key_parts(list_pointer, element)
    return None if parts is None else " ".join(str(value) for _, value in parts)


def shown_key(list_pointer: Pointer, element: JSONValue, at: Pointer, hidden: Hidden) -> str | None:
    """``element_key`` as a label shows it: a secret part masked (``hidden`` says which, the
    element being at ``at``), control characters escaped."""
    parts = _key_parts(list_pointer, element)
    if parts is None:
        return None
    return " ".join(
        MASK if hidden(at + relative) else printable(str(value)) for relative, value in parts
    )


def _key_parts(list_pointer: Pointer, element: JSONValue) -> list[tuple[Pointer, object]] | None:
    """The values an element's key is made of, each with its pointer inside the element."""
    if not isinstance(element, dict):
        return None
    if list_pointer.endswith("/hooks") and "hook" in element:
        config = element.get("config")
        url = config.get("url") if isinstance(config, dict) else None
        hook: list[tuple[Pointer, object]] = [("/hook", element["hook"])]
        return [*hook, ("/config/url", url)] if isinstance(url, str) else hook
    for key in ("id", "name"):
        if isinstance(element.get(key), str | int) and not isinstance(element.get(key), bool):
            return [(f"/{key}", element[key])]
    return None


def printable(text: str) -> str:
    """``text`` as one line: control characters (a newline, an escape) escaped as JSON does."""
    return text if text.isprintable() else json.dumps(text)[1:-1]


def keyed(list_pointer: Pointer, elements: list[JSONValue]) -> list[str]:
    """A unique identity per element, in order (``#2`` marks a repeated identity)."""
    return _unique([element_key(list_pointer, element) for element in elements])


def shown_keys(
    list_pointer: Pointer, elements: list[JSONValue], base: Pointer, hidden: Hidden
) -> list[str]:
    """``keyed`` as labels show it (see ``shown_key``); the list is at ``base``."""
    return _unique(
        [
            shown_key(list_pointer, element, join_pointer(base, index), hidden)
            for index, element in enumerate(elements)
        ]
    )


def _unique(bases: list[str | None]) -> list[str]:
    keys: list[str] = []
    for index, base in enumerate(bases):
        key = str(index) if base is None else base
        repeat = 1
        while key in keys:
            repeat += 1
            key = f"{base} #{repeat}"
        keys.append(key)
    return keys


def element_label(list_pointer: Pointer, key: str) -> str:
    return f"{list_pointer}[{key}]"


def is_element_list(value: JSONValue) -> bool:
    """Lists shown element by element: lists of mappings (hooks, schemas, providers…)."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def list_changes(
    list_pointer: Pointer,
    live: JSONValue,
    desired: JSONValue,
    desired_base: Pointer,
    same: Same,
    filled: Filled = lambda pointer, value: False,
    hidden: Hidden = _never,
) -> list[FieldChange]:
    """The field lines that turn ``live`` into ``desired`` (both lists at ``list_pointer``).

    ``desired_base`` is where the desired list sits in the environment (for masking and
    ``file://`` names); ``same`` compares two leaves by meaning (durations, content hashes);
    live keys the desired element lacks are left out when ``filled`` says the server puts
    them there itself (a web hook's ``emit_analytics_event``); ``hidden`` says which values
    are secret, for the labels.
    """
    live_items = live if isinstance(live, list) else []
    desired_items = desired if isinstance(desired, list) else []
    live_keys, desired_keys = keyed(list_pointer, live_items), keyed(list_pointer, desired_items)
    pairs = _pairs(list_pointer, live_items, desired_items, live_keys, desired_keys)
    live_labels = shown_keys(list_pointer, live_items, list_pointer, hidden)
    desired_labels = shown_keys(list_pointer, desired_items, desired_base, hidden)
    lines: list[FieldChange] = []
    for index in range(len(desired_items)):
        label = element_label(list_pointer, desired_labels[index])
        here = join_pointer(desired_base, index)
        if index in pairs:
            at = pairs[index]
            there = join_pointer(list_pointer, at)
            pair = (live_items[at], desired_items[index])
            lines += _compare(label, *pair, there, here, same, filled)
        else:
            lines += element_added(label, desired_items[index], here)
    for index in range(len(live_items)):
        if index not in pairs.values():
            there = join_pointer(list_pointer, index)
            label = element_label(list_pointer, live_labels[index])
            lines += [
                FieldChange("reset", label + suffix, leaf, None, at, None)
                for suffix, at, leaf in _leaves(live_items[index], there)
            ]
    paired = [pairs[index] for index in sorted(pairs)]
    if paired != sorted(paired):
        before = ", ".join(live_labels[at] for at in sorted(paired))
        after = ", ".join(live_labels[at] for at in paired)
        lines.append(FieldChange("change", f"{list_pointer} (order)", before, after))
    return lines


def _pairs(
    list_pointer: Pointer,
    live: list[JSONValue],
    desired: list[JSONValue],
    live_keys: list[str],
    desired_keys: list[str],
) -> dict[int, int]:
    """Desired index -> the live index of the same element: same identity, else (hooks only)
    the same kind of hook at the same place, so a changed URL reads as a changed field."""
    pairs = {i: live_keys.index(key) for i, key in enumerate(desired_keys) if key in live_keys}
    if not list_pointer.endswith("/hooks"):
        return pairs
    for index, element in enumerate(desired):
        free = index < len(live) and index not in pairs.values() and index not in pairs
        if free and _hook_of(element) is not None and _hook_of(element) == _hook_of(live[index]):
            pairs[index] = index
    return pairs


def _hook_of(element: JSONValue) -> str | None:
    return str(element["hook"]) if isinstance(element, dict) and "hook" in element else None


def element_added(label: str, element: JSONValue, pointer: Pointer) -> list[FieldChange]:
    """One ``+`` line per leaf of a new element (its ``id`` is in the label already)."""
    return [
        FieldChange("add", label + suffix, None, leaf, None, at)
        for suffix, at, leaf in _leaves(element, pointer)
        if not (suffix == ".id" and label.endswith(f"[{leaf}]"))
    ]


def _compare(
    label: str,
    live: JSONValue,
    desired: JSONValue,
    there: Pointer,
    here: Pointer,
    same: Same,
    filled: Filled,
) -> list[FieldChange]:
    if isinstance(live, dict) and isinstance(desired, dict):
        lines: list[FieldChange] = []
        for key, value in desired.items():
            inner, at, to = f"{label}.{key}", join_pointer(there, key), join_pointer(here, key)
            if key in live:
                lines += _compare(inner, live[key], value, at, to, same, filled)
            else:
                lines += element_added(inner, value, to)
        for key in [k for k in live if k not in desired]:
            at = join_pointer(there, key)
            if not filled(at, live[key]):
                lines.append(FieldChange("reset", f"{label}.{key}", live[key], None, at))
        return lines
    if same(desired, live, here):
        return []
    return [FieldChange("change", label, live, desired, there, here)]


def _leaves(value: JSONValue, pointer: Pointer) -> Iterator[tuple[str, Pointer, JSONValue]]:
    """``(.a.b suffix, pointer, leaf)``; lists inside an element stay whole."""
    if isinstance(value, dict) and value:
        for key, child in value.items():
            for suffix, at, leaf in _leaves(child, join_pointer(pointer, key)):
                yield f".{key}{suffix}", at, leaf
    else:
        yield "", pointer, value


def field_changes(
    change: Change,
    sensitive: frozenset[Pointer],
    default_at: DefaultLookup | None,
    secret_paths: SecretPaths,
) -> tuple[FieldChange, ...]:
    """How ``change`` reads field by field: a change of a list of elements (or a new identity
    schema), one line per differing leaf; ``()`` when it reads whole. Values compare as the
    planner compares them (a secret by value, ``sensitive`` and the service's
    ``secret_paths`` say which are), and a live key holding the default ``default_at`` gives
    is the server's own, not a change."""
    where = change.source or change.pointer
    hidden = functools.partial(secret_paths.is_sensitive, marked=sensitive)
    if change.pointer == SCHEMAS + "/-" and isinstance(change.desired, dict):
        key = shown_key(SCHEMAS, change.desired, where, hidden) or "new"
        return tuple(element_added(element_label(SCHEMAS, key), change.desired, where))
    if change.action == "reset" or not isinstance(change.desired, list):
        return ()
    if not (is_element_list(change.desired) or is_element_list(change.live)):
        return ()
    same = StoredEquality(EqualityRules(secret_paths=secret_paths, sensitive=sensitive)).same

    def filled(pointer: Pointer, live: JSONValue) -> bool:
        found, default = default_at(pointer) if default_at is not None else (False, None)
        return found and same(default, live, pointer)

    lines = list_changes(change.pointer, change.live, change.desired, where, same, filled, hidden)
    return tuple(lines)


# -- naming elements elsewhere (findings, locations) ------------------------------------------


def labelled_pointer(pointer: Pointer, document: JSONValue) -> str:
    """``/a/hooks/0/config`` as ``/a/hooks[web_hook https://…].config`` where ``document``
    says what element 0 is; unchanged when no list element on the way has an identity."""
    head, steps = _labelled_steps(pointer, document)
    if not steps:
        return pointer
    return head + "".join(steps)


def labelled_key(pointer: Pointer, document: JSONValue) -> str:
    """A dotted key (``identity.schemas[preset://email].url``) naming list elements by
    identity; indices only where an element has none."""
    tokens = split_pointer(pointer)
    parts: list[str] = []
    current: JSONValue = document
    walked = ""
    for token in tokens:
        if isinstance(current, list) and token.isdigit() and int(token) < len(current):
            key = element_key(walked, current[int(token)])
            shown = f"[{token if key is None else key}]"
            if parts:
                parts[-1] += shown
            else:
                parts.append(shown)
            current = current[int(token)]
        else:
            parts.append(token)
            current = current.get(token) if isinstance(current, dict) else None
        walked = join_pointer(walked, token)
    return ".".join(parts)


def _labelled_steps(pointer: Pointer, document: JSONValue) -> tuple[str, list[str]]:
    """The pointer up to the first labelled list element, then ``[key]`` and ``.field``s."""
    tokens = split_pointer(pointer)
    current: JSONValue = document
    walked = ""
    for position, token in enumerate(tokens):
        if isinstance(current, list) and token.isdigit() and int(token) < len(current):
            key = element_key(walked, current[int(token)])
            if key is not None:
                inner = ""
                for rest_token in tokens[position + 1 :]:
                    inner = join_pointer(inner, rest_token)
                rest = labelled_key(inner, current[int(token)]) if inner else ""
                return walked, [f"[{key}]"] + ([f".{rest}"] if rest else [])
            current = current[int(token)]
        else:
            current = current.get(token) if isinstance(current, dict) else None
        walked = join_pointer(walked, token)
    return pointer, []

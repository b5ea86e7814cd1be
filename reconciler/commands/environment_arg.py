"""The ENV argument: a name or a path to its file, with shell completion of the names."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.shell_completion import CompletionItem

SUFFIXES = (".yaml", ".yml")

if TYPE_CHECKING:  # click 8.2+ types ParamType by its value; at run time any click >= 8.1 works
    StringParamType = click.ParamType[str]
else:
    StringParamType = click.ParamType


class EnvironmentName(StringParamType):
    """``prod``, or ``environments/prod.yaml`` (what tab completion of a path gives)."""

    name = "ENV"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        path = Path(text)
        if path.suffix not in SUFFIXES and len(path.parts) == 1:
            return text
        folder = (_root(ctx) / "environments").resolve()
        for candidate in (path, _root(ctx) / path, folder / path):
            if candidate.resolve().parent == folder and path.suffix in SUFFIXES:
                return path.stem
        self.fail(f"{text} is not a file in {folder} (name the environment, e.g. prod)", param, ctx)

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        folder = _root(ctx) / "environments"
        if not folder.is_dir():
            return []
        names = sorted({p.stem for p in folder.iterdir() if p.suffix in SUFFIXES})
        return [CompletionItem(name) for name in names if name.startswith(incomplete)]


def _root(ctx: click.Context | None) -> Path:
    """The --dir of the run (also while completing, when the group's callback has not run)."""
    root = ctx.find_root().params.get("root") if ctx is not None else None
    return Path(root) if root is not None else Path()


ENVIRONMENT = EnvironmentName()

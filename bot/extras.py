"""Optional dependencies (pip extras): import them, or stop with one line that names the extra.

``pip install oomlens`` gives the CLI (analyze, gfp, summary), which needs only lark, jinja2 and
pyyaml. The Slack bot, PNG charts and PostgreSQL each come with an extra; a command that needs a
missing one raises ``MissingExtra``, which the CLI prints as one line (never a traceback).
"""

from __future__ import annotations

import importlib
from types import ModuleType

# extra -> (what it is for, the import names it provides)
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "slack": (
        "the Slack bot and its store",
        ("slack_bolt", "slack_sdk", "sqlalchemy", "alembic", "starlette", "uvicorn", "prometheus_client"),
    ),
    "charts": ("PNG charts", ("matplotlib",)),
    "postgres": ("a PostgreSQL DATABASE_URL", ("psycopg",)),
}


class MissingExtra(RuntimeError):
    """``str(error)`` is one line: what is missing and the pip command that adds it."""

    def __init__(self, extra: str, module: str) -> None:
        purpose = EXTRAS[extra][0]
        super().__init__(
            f"{purpose} needs the [{extra}] extra ({module} is not installed): pip install 'oomlens[{extra}]'"
        )
        self.extra = extra
        self.module = module


def require(extra: str, *modules: str) -> ModuleType | None:
    """Import ``modules`` (default: every module of ``extra``); the last one is returned."""
    last = None
    for name in modules or EXTRAS[extra][1]:
        try:
            last = importlib.import_module(name)
        except ImportError as error:
            # Only the top-level package being absent means the extra is missing; an ImportError
            # raised inside an installed package is a real bug and must show itself.
            missing = (getattr(error, "name", None) or "").split(".")[0]
            if missing != name.split(".")[0]:
                raise
            raise MissingExtra(extra, name) from None
    return last


def available(extra: str) -> bool:
    try:
        require(extra)
    except MissingExtra:
        return False
    return True

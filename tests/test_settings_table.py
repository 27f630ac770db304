"""One settings table: docs/settings.md and deploy/.env.example are generated from
bot.settings.VARIABLES and list exactly the variables the code reads."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import VARIABLES, env_example, settings_markdown

REPO = Path(__file__).resolve().parents[1]
READ = re.compile(
    r"""(?:get|number|flag|environ\.get|env\.get)\(\s*["']((?:SLACK|OOMLENS)_[A-Z_]+|DATABASE_URL|PORT|LOG_LEVEL)["']"""
)


def test_generated_files_are_fresh():
    assert (REPO / "docs" / "settings.md").read_text(encoding="utf-8") == settings_markdown(), (
        "docs/settings.md is stale: run python -m bot.settings"
    )
    assert (REPO / "deploy" / ".env.example").read_text(encoding="utf-8") == env_example(), (
        "deploy/.env.example is stale: run python -m bot.settings"
    )


def test_the_table_lists_exactly_the_variables_the_code_reads():
    read = set()
    for path in (REPO / "bot").rglob("*.py"):
        read.update(READ.findall(path.read_text(encoding="utf-8")))
    listed = {variable.name for variable in VARIABLES}
    assert len(listed) == len(VARIABLES), "a variable is listed twice"
    assert read - listed == set(), "read by the code but missing from bot.settings.VARIABLES"
    assert listed - read == set(), "listed in bot.settings.VARIABLES but read nowhere"

"""A program the person says was just updated (OOM201 ``updated``: knowledge/checks/processes.py
``UPDATED_SAID``): memory growth that begins with a new release is that release's own regression, so
the first step is that program's next release, or its previous one until a fix is out.

On the real folds 1-4 paste of mailcow/mailcow-dockerized #3049 ('rspamd updated yesterday;' above
the kill lines of rspamd; the fix came with mailcow's next update of its rspamd configuration)."""

from __future__ import annotations

import re

from oomcases import is_held_out, load_case

from bot.pipeline import analyze

MAILCOW = "gh-mailcow-mailcow-dockerized-3049"
SAID = "rspamd updated yesterday;"


def _text() -> str:
    return load_case(MAILCOW)[0].decode()


def _steps(text: str) -> list[str]:
    return [s for f in analyze(text).events[0].findings for s in f.remediation]


def test_the_case_is_not_held_out() -> None:
    assert not is_held_out(MAILCOW)


def test_the_update_the_person_names_leads() -> None:
    text = _text()
    assert SAID in text
    first = _steps(text)[0]
    assert first.startswith("Look first at rspamd's last update") and SAID in first
    assert "update rspamd to the release that fixes it" in first and "previous release" in first
    patterns = [re.compile(p, re.I) for p in load_case(MAILCOW)[1]["fix_patterns"]]
    assert all(p.search(first) for p in patterns)


def test_only_the_update_of_the_program_that_grew_counts() -> None:
    # no words about an update: the growth step leads, as before
    assert _steps(_text().replace(SAID, "rspamd is slow;"))[0].startswith("Find out why rspamd grows")
    # another program updated: nothing says rspamd's release changed
    assert not any("last update" in s for s in _steps(_text().replace(SAID, "nginx updated yesterday;")))
    # the name must stand alone: 'rspamdx' is another program
    assert not any("last update" in s for s in _steps(_text().replace(SAID, "rspamdx updated yesterday;")))

"""The same kernel output rendered the ways people paste it must give the same facts.

Each variant is built from a real lab dump (console format, one kernel message per line) by
applying what a log tool, a chat client, a mail reader or a web page does to it.
"""

from __future__ import annotations

import html
import quopri
import textwrap

import pytest
from oomcases import load_case

from bot.pipeline import analyze
from bot.render.json_out import contract_fields

BASES = ("lab-memcg-v2-deb61-arm64", "lab-lowmem-sockleak-deb61-686pae", "lab-oom-score-adj-deb612-amd64")


def _messages(case: str) -> list[str]:
    """The bare kernel messages of a console capture (strip `[   1.234567] `)."""
    out = []
    for line in load_case(case)[0].decode().splitlines():
        if line.startswith("[") and "] " in line[:16]:
            line = line.split("] ", 1)[1]
        out.append(line)
    return out


def _facts(text: str) -> list[dict]:
    return [contract_fields(e.event) for e in analyze(text).events]


def _stamp(i: int) -> str:
    return f"{2 + i / 1000:.6f}"


VARIANTS = {
    "bare": lambda m: "\n".join(m),
    "dmesg": lambda m: "\n".join(f"[{_stamp(i):>12}] {x}" for i, x in enumerate(m)),
    "caller-id": lambda m: "\n".join(f"[{_stamp(i):>12}] [  T{150 + i % 3}] {x}" for i, x in enumerate(m)),
    "console-levels": lambda m: "\n".join(f"<4>[{_stamp(i):>12}] {x}" for i, x in enumerate(m)),
    "dmesg-relative": lambda m: "\n".join(f"[  +0.{i:06d}] {x}" for i, x in enumerate(m)),
    "dmesg-human": lambda m: "\n".join(f"[Mar14 02:03] {x}" for x in m),
    "dmesg-x": lambda m: "\n".join(f"kern  :warn  : [Sat Mar 14 02:03:57 2026] {x}" for x in m),
    "journal-monotonic": lambda m: "\n".join(f"[{_stamp(i):>12}] db-7 kernel: {x}" for i, x in enumerate(m)),
    "journal-iso": lambda m: "\n".join(f"2026-03-14T02:03:57+0000 db-7 kernel: {x}" for x in m),
    "syslog-kernel-tag": lambda m: "\n".join(
        f"Mar 14 02:03:57 db-7 kernel: [{_stamp(i)}] {x}" for i, x in enumerate(m)
    ),
    "html-escaped": lambda m: html.escape("\n".join(m), quote=False),
    "fenced-quoted-twice": lambda m: "> > ```text\n" + "\n".join("> > " + x for x in m) + "\n> > ```",
    "interleaved": lambda m: "\n".join(
        f"Mar 14 02:03:57 db-7 kernel: {x}\nMar 14 02:03:57 db-7 sshd[77]: Connection closed by 10.0.0.9 port 4242"
        for x in m
    ),
    "rsyslog-012": lambda m: "Mar 14 02:03:57 db-7 kernel: " + "#012".join(m),
    "quoted-printable": lambda m: quopri.encodestring(
        "\n".join(f"Mar 14 02:03:57 db-7 kernel: {x}" for x in m).encode()
    ).decode(),
    "fixed-width-80": lambda m: "\n".join(
        "\n".join(line[i : i + 80] for i in range(0, max(len(line), 1), 80))
        for line in (f"Mar 14 02:03:57 db-7 kernel: {x}" for x in m)
    ),
    "word-wrapped-72": lambda m: "\n".join(
        "\n".join(
            textwrap.wrap(f"Mar 14 02:03:57 db-7 kernel: {x}", 72, break_long_words=False, break_on_hyphens=False)
        )
        for x in m
    ),
}


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_gives_the_same_facts(base: str, variant: str) -> None:
    messages = _messages(base)
    expected = _facts("\n".join(messages))
    assert expected and expected[0]["kind"], "the base case must parse"
    assert _facts(VARIANTS[variant](messages)) == expected

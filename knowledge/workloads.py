"""Workload records (knowledge/workloads.yaml) and how a report is matched to one.

A record is matched by the command name the kernel prints (truncated to 15 characters) or by a
cgroup path / systemd unit in the report. The first record that matches wins, so specific
records (Elasticsearch) come before general ones (any JVM).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from grammar import regexcache

from .yamlload import load_yaml

PATH = Path(__file__).with_name("workloads.yaml")


@dataclass(frozen=True)
class Workload:
    id: str
    name: str
    process: tuple[re.Pattern[str], ...]
    cgroup: tuple[re.Pattern[str], ...]
    levers: str
    sources: tuple[str, ...]
    # False for programs that log on every host of their kind (the kubelet, container runtimes):
    # their log lines around a report do not say that they hold the memory
    named_in_logs: bool = True
    # the setting that decides how many of its processes run, each a full copy (pm.max_children,
    # MaxRequestWorkers, worker counts, parallel jobs); None when one process does the work
    count_setting: str | None = None
    # product names that stand for this program in a person's own words around a log ("our
    # elasticsearch pod keeps dying"): only names that are no common English word
    prose: tuple[str, ...] = ()
    # commands in a person's own words that can only mean this program at work ("after I run
    # `make -j`"): regular expressions, matched where a word starts; unlike a product name, a
    # command with its telling option says what was running when the kernel killed
    prose_commands: tuple[re.Pattern[str], ...] = ()
    # the heap-like setting sized against the container or unit limit, and the share of the limit
    # its record's sources give it (low, high): the steps turn a limit the report prints into a size
    limit_setting: str | None = None
    limit_share: tuple[float, float] | None = None
    # the generic runtime's process name it runs under where its own name is not the command
    # (Home Assistant Core is python3 in its container): such a process is this record's only when
    # the paste's other lines or its author's words name this program (Analysis.workload)
    runs_as: tuple[re.Pattern[str], ...] = ()
    # the product to update for a leak of a process that runs under a runtime's name ("Home
    # Assistant Core" for its python3): what the update path names instead of the runtime
    product: str | None = None


@lru_cache(maxsize=1)
def load() -> tuple[Workload, ...]:
    records = load_yaml(PATH.read_text("utf-8")) or []
    out = []
    for record in records:
        out.append(
            Workload(
                id=record["id"],
                name=record["name"],
                process=tuple(regexcache.compile(p) for p in record.get("process") or ()),
                cgroup=tuple(re.compile(p, re.I) for p in record.get("cgroup") or ()),
                levers=" ".join(str(record["levers"]).split()),
                sources=tuple(record.get("sources") or ()),
                named_in_logs=bool(record.get("named_in_logs", True)),
                count_setting=record.get("count_setting"),
                prose=tuple(str(word) for word in record.get("prose") or ()),
                prose_commands=tuple(
                    regexcache.compile(rf"(?<![A-Za-z0-9_-])(?:{p})(?![A-Za-z0-9_])")
                    for p in record.get("prose_commands") or ()
                ),
                limit_setting=record.get("limit_setting"),
                limit_share=(
                    (float(record["limit_share"][0]), float(record["limit_share"][-1]))
                    if record.get("limit_share")
                    else None
                ),
                runs_as=tuple(regexcache.compile(p) for p in record.get("runs_as") or ()),
                product=record.get("product"),
            )
        )
    return tuple(out)


# Language runtimes and shells: their process runs another program's code, so a leak in it is
# the application's and "update java" (or python3, node, bash) would name the wrong thing to update.
# Versioned names too: java7, ruby2.5, and openSUSE's update-alternatives names (ruby.ruby2.5).
_RUNTIME = re.compile(
    r"^(java[0-9]*|node|nodejs|python[0-9.]*|pypy[0-9.]*|ruby[0-9.]*(?:\.ruby[0-9.]+)?|bundle|dotnet|mono"
    r"|php[0-9.]*(?:-cgi)?|perl[0-9.]*|beam\.smp|deno|bun|bash|sh|dash|zsh)$"
)


def program_to_update(name: str | None, workload: Mapping[str, Any] | None = None) -> str:
    """What a step tells to update to the release that fixes a leak of the process ``name``: the
    program itself (ganesha.nfsd, dcgm-exporter); for a language runtime or shell that runs it
    (java, python3, node) the product of its record (``workload``, a finding's ctx.workload with
    the record's id) when the record names one (the JVM servers, Home Assistant Core), else "the
    application"."""
    if name and not _RUNTIME.match(name):
        return name
    record = next((w for w in load() if w.id == workload.get("id")), None) if workload else None
    return record.product if record is not None and record.product else "the application"


def runs_as(name: str, named: Iterable[Workload]) -> Workload | None:
    """The first of the ``named`` records (those the paste's other lines or words name) whose
    ``runs_as`` pattern matches the process name ``name``: a generic runtime's process (python3)
    that the paste says is that program."""
    return next((w for w in named if any(p.search(name) for p in w.runs_as)), None)


def recognise_named(name: str, kind: str) -> Workload | None:
    """The record a program or unit named in the text around the report stands for: a process
    name by the records' process patterns, a unit or container name by their cgroup patterns, a
    word of a person's own text by their ``prose`` names (:func:`mentions`).
    Records whose program logs on every host of its kind (``named_in_logs: false``) are left out."""
    if kind == "prose":
        workload = _prose_names()[1].get(name.lower()) or next(
            (w for pattern, w in _prose_commands() if pattern.fullmatch(name)), None
        )
    else:
        workload = recognise((name,), ()) if kind == "process" else recognise((), (name,))
    return workload if workload is not None and workload.named_in_logs else None


def recognise(names: Iterable[str | None], paths: Iterable[str | None] = ()) -> Workload | None:
    """The first record whose process pattern matches one of ``names`` (in order) or whose cgroup
    pattern matches one of ``paths``; None when nothing matches."""
    # (lists, not generators: a generator resumed from C costs more than the loop it runs)
    return _recognise(tuple([n for n in names if n]), tuple([p for p in paths if p]))


@lru_cache(maxsize=4096)
def _recognise(names: tuple[str, ...], paths: tuple[str, ...]) -> Workload | None:
    # a pure function of the names and paths, asked by several findings per event and again for
    # every event of a log that repeats one story: every record's patterns each time
    for workload in load():
        if any(p.search(path) for path in paths if path for p in workload.cgroup):
            return workload
    for name in names:
        for workload in load():
            if name and any(p.search(name) for p in workload.process):
                return workload
    return None


# Chinese and Japanese write no space between words, and Korean joins its particles to the word
# before them ("open-vm-tools有内存泄漏", "Redis가"): a character of those scripts ends a Latin
# product name as a space would. (Read in Python, not in the pattern: a character class of those
# ranges costs some milliseconds to compile at start.)
_SPACELESS = (
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF),
)


def _continues_word(char: str) -> bool:
    """Whether ``char`` next to a name makes it part of a longer word (a letter, digit or
    underscore of a script that separates its words)."""
    if not (char.isalnum() or char == "_"):
        return False
    code = ord(char)
    return not any(low <= code <= high for low, high in _SPACELESS)


@lru_cache(maxsize=1)
def _prose_names() -> tuple[re.Pattern[str], dict[str, Workload]]:
    """One pattern of every record's ``prose`` names (whole words, any case; the longest first so
    that `clickhouse-backup` is not read as a shorter name), and the record of each name (lower
    case). A name joined by a hyphen to a word before or after it names another program
    (`cassandra-stress` is a load generator, `redis-exporter` a metrics agent), a version after
    it does not (`redis-2.6.13`); a character of a script written without spaces (Chinese,
    Japanese) or with particles joined to words (Korean) ends a name as a space does."""
    names: dict[str, Workload] = {}
    for workload in load():
        for word in workload.prose:
            names.setdefault(word.lower(), workload)
    alternation = "|".join(re.escape(w) for w in sorted(names, key=len, reverse=True))
    # (the pattern's bounds are ASCII; ``mentions`` checks the characters of other scripts)
    pattern = re.compile(rf"(?<![A-Za-z0-9_-])(?:{alternation})(?!-[A-Za-z])", re.I) if names else re.compile(r"(?!)")
    return pattern, names


@lru_cache(maxsize=1)
def _prose_commands() -> tuple[tuple[re.Pattern[str], Workload], ...]:
    """Every record's ``prose_commands``, each with its record."""
    return tuple((pattern, workload) for workload in load() for pattern in workload.prose_commands)


def mentions(text: str) -> list[str]:
    """The records' ``prose`` names and ``prose_commands`` in ``text`` (a line of a person's own
    words), as written, in the order they appear."""
    found = []
    for match in _prose_names()[0].finditer(text):
        start, end = match.span()
        if (start and _continues_word(text[start - 1])) or (end < len(text) and _continues_word(text[end])):
            continue  # inside a longer word: "éredis", "redisé", "redis2"
        found.append((start, match.group(0)))
    if "-" in text or "=" in text:  # every command pattern holds its option (-j, --jobs, MAKEFLAGS=)
        for pattern, _workload in _prose_commands():
            found += [(match.start(), match.group(0)) for match in pattern.finditer(text)]
    return [word for _start, word in sorted(found, key=lambda item: item[0])]

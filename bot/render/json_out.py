"""The JSON contract of `oomlens analyze --format json|jsonl`.

Every event carries the fields of ``tests/corpus/FORMAT.md`` under those exact names (``null``
when the paste does not show them), ``overview`` (the view every surface renders: headline,
cause, victim, request, zone states, memory breakdown, top processes, what is missing),
``findings`` and ``details`` (the full parsed facts). The report lists ``groups``: the event
numbers that tell one story again (same cause, same victim).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import IO, Any

from bot.pipeline import AnalysedEvent, Report
from grammar.facts import Event, Watchdog
from knowledge.overview import Overview

CONTRACT_FIELDS = (
    "kind",
    "trigger_comm",
    "trigger_pid",
    "gfp_mask",
    "gfp_symbolic",
    "order",
    "oom_score_adj",
    "constraint",
    "memcg",
    "killed_pid",
    "killed_comm",
    "killed_anon_rss_kb",
    "killed_file_rss_kb",
    "killed_shmem_rss_kb",
    "killed_total_vm_kb",
    "free_swap_kb",
    "total_swap_kb",
    "ram_pages",
    "zones",
    "process_table_rows",
)


_SCALARS = (str, int, float, bool, type(None))


class Rows:
    """A task table left as its rows (``report_dict(..., stream_rows=True)``): ``write_json`` writes
    it one row at a time, so a 100,000-row table is never a list of 100,000 dicts nor 50 MB of
    JSON in memory at once. Only ``write_json`` understands it."""

    __slots__ = ("rows",)

    def __init__(self, rows: tuple[Any, ...]) -> None:
        self.rows = rows


def write_json(value: Any, out: IO[str]) -> None:
    """``dumps(value, indent=True)`` and a newline written to ``out``: as UTF-8 bytes straight to
    its binary buffer when it has one, a task table (``Rows``) row by row. The bytes are those
    ``dumps`` gives for the same report with every table converted (tests/test_json_stream.py)."""
    buffer = getattr(out, "buffer", None)
    if buffer is not None:
        try:
            import orjson

            tables: list[Rows] = []
            nonce = _nonce()  # a paste cannot spell the placeholder
            skeleton = orjson.dumps(
                value, default=_placeholders(tables, nonce), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
            )
        except (ImportError, TypeError):
            pass
        else:
            out.flush()
            start = 0
            for number, table in enumerate(tables):
                placeholder = _placeholder(number, nonce)
                at = skeleton.index(placeholder, start)
                line_start = skeleton.rfind(b"\n", 0, at) + 1
                indent = at - line_start - len(skeleton[line_start:at].lstrip(b" "))
                buffer.write(skeleton[start:at])
                _write_rows(buffer, table.rows, indent)
                start = at + len(placeholder)
            buffer.write(skeleton[start:])
            buffer.flush()
            return
    out.write(dumps(_converted(value), indent=True) + "\n")


def _placeholder(number: int, nonce: str) -> bytes:
    # what orjson writes for the string "\0rows<n>-<nonce>\0"
    return b'"\\u0000rows%d-%s\\u0000"' % (number, nonce.encode())


def _nonce() -> str:
    """A random tag for the placeholders: ``secrets.token_hex(8)``'s 16 hex digits from the same
    source (``os.urandom``), without importing ``secrets`` (with ``hmac`` and ``base64``: 2.4M
    instructions of `oomlens analyze --format json`)."""
    return os.urandom(8).hex()


def _placeholders(tables: list[Rows], nonce: str) -> Callable[[Any], str]:
    """orjson's ``default``: each task table (``Rows``) it meets is put in ``tables`` and written
    as a placeholder string, in the order of the text; any other value orjson cannot write is
    refused (TypeError) as without ``default``. (Replacing the tables in a copy of the value
    beforehand walked the whole event, some ten thousand values, in Python: 0.3 ms per event of a
    big log, issue 12.)"""

    def default(value: Any) -> str:
        if value.__class__ is Rows:
            tables.append(value)
            return f"\0rows{len(tables) - 1}-{nonce}\0"
        raise TypeError

    return default


def _converted(value: Any) -> Any:
    if isinstance(value, Rows):
        return [plain(row) for row in value.rows]
    if isinstance(value, dict):
        return {key: _converted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_converted(item) for item in value]
    return value


_ROW_CHUNK = 1024  # rows serialised by one orjson call: few calls, and a small buffer each


def _row_chunks(rows: tuple[Any, ...], indent: int | None) -> Iterator[bytes]:
    """The rows' JSON list items in chunks of ``_ROW_CHUNK`` rows, each chunk's items joined by
    ``,``, without the list's brackets or the comma between chunks. orjson serialises the rows
    (dataclasses) itself: no dict per row. ``indent``: the items as orjson indents a list ``indent``
    spaces deep (each item on its own lines); None: compact. TypeError when orjson refuses a row."""
    import orjson

    option = orjson.OPT_INDENT_2 if indent is not None else 0
    margin = b"\n" + b" " * (indent or 0)
    for start in range(0, len(rows), _ROW_CHUNK):
        text = orjson.dumps(rows[start : start + _ROW_CHUNK], option=option)
        if indent is None:
            yield text[1:-1]
        else:  # `[\n  {...},\n  {...}\n]`: the items one level in, then moved to the list's depth
            yield text[1:-2].replace(b"\n", margin) if indent else text[1:-2]


def _write_rows(buffer: Any, rows: tuple[Any, ...], indent: int) -> None:
    """A list of rows as orjson indents it ``indent`` spaces deep (its ``[`` already placed)."""
    import orjson

    if not rows:
        buffer.write(b"[]")
        return
    buffer.write(b"[")
    inner = b"\n" + b" " * (indent + 2)
    for start in range(0, len(rows), _ROW_CHUNK):
        chunk = rows[start : start + _ROW_CHUNK]
        comma = b"," if start else b""
        try:
            (text,) = _row_chunks(chunk, indent)
        except TypeError:  # a row orjson refuses (a lone surrogate): those rows by the standard library
            for index, row in enumerate(chunk):
                try:
                    item = orjson.dumps(plain(row), option=orjson.OPT_INDENT_2)
                except TypeError:
                    item = dumps(plain(row), indent=True).encode("utf-8", "surrogatepass")
                buffer.write((comma if index == 0 else b",") + inner + item.replace(b"\n", inner))
        else:
            buffer.write(comma + text)
    buffer.write(b"\n" + b" " * indent + b"]")


def dumps_pieces(value: Any) -> list[str]:
    """``dumps(value)`` (compact) for a value whose task tables are ``Rows``, as pieces whose
    concatenation is that text: the rows are serialised by orjson in chunks, never a list of a
    dict per row nor the whole text at once while the report is alive (``--format jsonl``)."""
    try:
        import orjson

        tables: list[Rows] = []
        nonce = _nonce()  # a paste cannot spell the placeholder
        skeleton = orjson.dumps(value, default=_placeholders(tables, nonce))
        pieces: list[str] = []
        start = 0
        for number, table in enumerate(tables):
            placeholder = _placeholder(number, nonce)
            at = skeleton.index(placeholder, start)
            pieces.append(skeleton[start:at].decode("utf-8") + "[")
            for index, chunk in enumerate(_row_chunks(table.rows, None)):
                pieces.append(("," if index else "") + chunk.decode("utf-8"))
            pieces.append("]")
            start = at + len(placeholder)
        pieces.append(skeleton[start:].decode("utf-8"))
        return pieces
    except (ImportError, TypeError):  # what orjson refuses: the whole text as ``dumps`` writes it
        return [dumps(_converted(value))]


def dumps(value: Any, *, indent: bool = False) -> str:
    """JSON text of ``value``, non-ASCII kept as is, 2-space indented when ``indent``.

    orjson (C/Rust) writes it 16x faster than the standard library's pure-Python indenting
    encoder; the text is the same as ``json.dumps(value, indent=2, ensure_ascii=False)`` except
    that floats below 1e-4 are spelled without an exponent (the same values), and compact
    output has no space after ``,`` and ``:``. Whatever orjson refuses (a lone surrogate from a
    broken paste, a non-string key) is written by the standard library."""
    try:
        import orjson

        return orjson.dumps(value, option=orjson.OPT_INDENT_2 if indent else 0).decode("utf-8")
    except (ImportError, TypeError):
        import json

        return json.dumps(value, indent=2 if indent else None, ensure_ascii=False)


@functools.cache
def _field_names(cls: Any) -> tuple[str, ...] | None:
    """The fields of a dataclass type, None for any other type (asked once per type)."""
    if dataclasses.is_dataclass(cls):
        return tuple(f.name for f in dataclasses.fields(cls))
    return None


_SCALAR_TYPES = frozenset(_SCALARS)


def plain(
    value: Any,
    skip: frozenset[str] = frozenset(),
    rows: frozenset[str] = frozenset(),
    given: dict[str, Any] | None = None,
) -> Any:
    """Facts -> JSON-ready values (dataclasses, read-only mappings, tuples). ``skip`` names fields
    of ``value`` itself (not of what it holds) that are left out, never converted; ``rows``,
    fields of it left as ``Rows`` for ``write_json`` to write one at a time; ``given``, fields
    whose JSON the caller has made (in their place, never converted)."""
    if not (skip or rows or given):
        return _plain(value)
    if isinstance(value, _SCALARS):
        return value
    cls = value.__class__
    if _field_names(cls) is None:
        return _plain(value)
    given = given or {}
    return _fields_converter(cls, skip, rows, frozenset(given))(value, given)


def _plain(value: Any) -> Any:
    """``plain(value)``: an event's details are some ten thousand values, most of them numbers and
    strings, which are taken as they are without a call; a dataclass is converted by a function
    made once for its type (``_converter``), with no loop over its fields."""
    cls = value.__class__
    if cls in _SCALAR_TYPES:
        return value
    return _CONVERTERS[cls](value)


class _Converters(dict[type, Callable[[Any], Any]]):
    """type -> the function that converts a value of exactly that type, made by ``_converter`` the
    first time the type is looked up: what a value holds is converted by ``_CONVERTERS[item.__class__](item)``,
    with no call of ``_plain`` in between."""

    def __missing__(self, cls: type) -> Callable[[Any], Any]:
        return _converter(cls)


_CONVERTERS = _Converters()


def _converter(cls: type) -> Callable[[Any], Any]:
    """The function ``_plain`` calls for a value of type ``cls``, made and kept on first use: for
    a dataclass, one dict display of its fields (``_fields_converter``); for the other types the
    branch of ``isinstance`` tests that ``plain`` takes for it, which depends on the type alone."""
    convert: Callable[[Any], Any]
    if issubclass(cls, _SCALARS):
        convert = _same
    elif _field_names(cls) is not None:
        convert = _fields_converter(cls, frozenset(), frozenset(), frozenset())
    elif issubclass(cls, (dict, MappingProxyType)):
        convert = _plain_mapping
    elif issubclass(cls, (list, tuple)):
        convert = _plain_sequence
    else:
        convert = _same
    _CONVERTERS[cls] = convert
    return convert


def _same(value: Any) -> Any:
    return value


def _plain_mapping(value: Any) -> dict[str, Any]:
    scalars, converters = _SCALAR_TYPES, _CONVERTERS
    return {
        k if k.__class__ is str else str(k): v if v.__class__ in scalars else converters[v.__class__](v)
        for k, v in value.items()
    }


def _plain_sequence(value: Any) -> list[Any]:
    if not value:
        return []
    scalars, converters = _SCALAR_TYPES, _CONVERTERS
    return [v if v.__class__ in scalars else converters[v.__class__](v) for v in value]


# Conversions of one dataclass type (and set of names) before its converter is compiled: one
# paste converts most types a few times, and compiling each type it meets cost the JSON run of the
# bundled sample about 25M instructions (+4 % of the whole process, callgrind); a big log converts
# each type thousands of times.
_COMPILE_AFTER = 8


@functools.cache
def _fields_converter(
    cls: type, skip: frozenset[str], rows: frozenset[str], given: frozenset[str]
) -> Callable[[Any, dict[str, Any] | None], dict[str, Any]]:
    """``plain(value, skip, rows, given)`` for a dataclass ``value`` of type ``cls``: a loop over
    its fields for the first ``_COMPILE_AFTER`` values, then the compiled function
    (``_compiled_fields_converter``), which this one hands each later value to and which replaces
    it in ``_CONVERTERS``. Both make the same dict (tests/test_json_converters.py)."""
    names = tuple(name for name in _field_names(cls) or () if name not in skip)
    scalars, converters = _SCALAR_TYPES, _CONVERTERS
    compiled: Callable[[Any, dict[str, Any] | None], dict[str, Any]] | None = None
    calls = 0

    def convert_fields(value: Any, given_values: dict[str, Any] | None = None) -> dict[str, Any]:
        nonlocal compiled, calls
        if compiled is not None:
            return compiled(value, given_values)
        calls += 1
        if calls > _COMPILE_AFTER:
            compiled = _compiled_fields_converter(cls, skip, rows, given)
            if not (skip or rows or given) and converters.get(cls) is convert_fields:
                converters[cls] = compiled
            return compiled(value, given_values)
        out: dict[str, Any] = {}
        for name in names:
            if name in given:
                out[name] = given_values[name]  # type: ignore[index]
            elif name in rows:
                out[name] = Rows(getattr(value, name))
            else:
                item = getattr(value, name)
                out[name] = item if item.__class__ in scalars else converters[item.__class__](item)
        return out

    return convert_fields


def _compiled_fields_converter(
    cls: type, skip: frozenset[str], rows: frozenset[str], given: frozenset[str]
) -> Callable[[Any, dict[str, Any] | None], dict[str, Any]]:
    """``plain(value, skip, rows, given)`` for a dataclass ``value`` of type ``cls``, as a function
    of the value and ``given`` compiled once per type and set of names: a dict display of the
    fields in their order, each read once and taken as it is when its type is a scalar one (the
    loop over ``dataclasses.fields`` with a ``getattr`` per field was most of the JSON-ready dict's
    time, issue 12)."""
    items = []
    for index, name in enumerate(_field_names(cls) or ()):
        if name in skip:
            continue
        if name in given:
            items.append(f"{name!r}: given[{name!r}]")
        elif name in rows:
            items.append(f"{name!r}: Rows(value.{name})")
        else:
            items.append(
                f"{name!r}: (x{index} if (x{index} := value.{name}).__class__ in scalars else convert[x{index}.__class__](x{index}))"
            )
    source = "def convert_fields(value, given=None):\n    return {" + ", ".join(items) + "}\n"
    namespace: dict[str, Any] = {"Rows": Rows, "scalars": _SCALAR_TYPES, "convert": _CONVERTERS}
    exec(source, namespace)
    convert_fields: Callable[[Any, dict[str, Any] | None], dict[str, Any]] = namespace["convert_fields"]
    return convert_fields


def contract_fields(event: Event) -> dict[str, Any]:
    """The FORMAT.md fields of one event."""
    trigger, kill = event.trigger, event.kill
    memcg = None
    if event.kind == "memcg-oom" and event.memcg is not None:
        memcg = event.memcg.path or event.memcg.stats_path
    zones: list[str] | None = None
    names = [zone.name for zone in event.zones] + [b.zone for b in event.buddy]
    if names:
        zones = list(dict.fromkeys(names))
    summary = event.oom_summary
    constraint = summary.constraint if summary else None
    if memcg is None and event.kind == "memcg-oom" and summary is not None:
        memcg = summary.oom_memcg  # the `oom-kill:` summary line names the memcg whose limit was hit
    # Without a "Killed process" line the `oom-kill:` summary line still names the victim
    # (mm/oom_kill.c dump_oom_summary prints the task the kernel chose: task=,pid=).
    victim_pid = kill.pid if kill else (summary.pid if summary else None)
    victim_comm = kill.comm if kill else (summary.task if summary else None)
    return {
        "kind": event.kind,
        "trigger_comm": trigger.comm if trigger else None,
        "trigger_pid": trigger.pid if trigger else None,
        "gfp_mask": trigger.gfp_mask if trigger else None,
        "gfp_symbolic": trigger.gfp_symbolic if trigger else None,
        "order": trigger.order if trigger else None,
        "oom_score_adj": trigger.oom_score_adj if trigger else None,
        "constraint": constraint,
        "memcg": memcg,
        "killed_pid": victim_pid,
        "killed_comm": victim_comm,
        "killed_anon_rss_kb": kill.anon_rss_kb if kill else None,
        "killed_file_rss_kb": kill.file_rss_kb if kill else None,
        "killed_shmem_rss_kb": kill.shmem_rss_kb if kill else None,
        "killed_total_vm_kb": kill.total_vm_kb if kill else None,
        "free_swap_kb": event.free_swap_kb,
        "total_swap_kb": event.total_swap_kb,
        "ram_pages": event.ram_pages,
        "zones": zones,
        "process_table_rows": len(event.tasks) if event.task_table_present else None,
    }


def finding_dict(finding: Any) -> dict[str, Any]:
    return {
        "code": finding.code,
        "name": finding.name,
        "category": finding.category,
        "title": finding.title,
        "severity": finding.severity,
        "confidence": round(float(finding.confidence), 2),
        "role": finding.role,
        "explanation": finding.explanation,
        "evidence": [
            {
                "name": e.name,
                "label": e.label,
                "value": e.value,
                "unit": getattr(e, "unit", None),
                "lines": [{"line": line.number, "text": line.text} for line in e.lines] if e.lines else [],
            }
            for e in finding.evidence
        ]
        if finding.evidence
        else [],
        "remediation": list(finding.remediation),
        "references": list(finding.references),
    }


def overview_dict(overview: Overview) -> dict[str, Any]:
    """The overview as JSON: the cause by reference (its full record is in ``findings``)."""
    # the event's own keys hold the findings and what was not evaluated in full: never converted here
    cause, victim = overview.cause, overview.victim
    given: dict[str, Any] = {
        "cause": None
        if cause is None
        else {
            "code": cause.code,
            "name": cause.name,
            "title": cause.title,
            "category": cause.category,
            "confidence": round(float(cause.confidence), 2),
        },
        # the victim's lines are those of the `Killed process` line, which the event quotes
        "victim": None if victim is None else _victim_dict(victim),
        "headline_parts": list(overview.headline_parts),
    }
    out = plain(overview, skip=_OVERVIEW_SKIP, given=given)
    out["todo"] = list(overview.todo)
    out["doubt"] = overview.doubt  # below 60 %: what the paste cannot tell, what to paste next
    return out


_OVERVIEW_SKIP = frozenset({"findings", "not_evaluated"})
_VICTIM_SKIP = frozenset({"lines"})


def _victim_dict(victim: Any) -> Any:
    out = plain(victim, skip=_VICTIM_SKIP)
    out["text"] = victim.text  # after the fields, as ``{**fields, "text": ...}`` places it
    return out


def watchdog_dict(watchdog: Watchdog) -> dict[str, Any]:
    """A watchdog report told with the event (``grammar.facts.Watchdog``): its kind, CPU,
    seconds, task and pid as printed, its first line, and its own call trace (innermost first)."""
    return {
        "kind": watchdog.kind,
        "cpu": watchdog.cpu,
        "seconds": watchdog.seconds,
        "comm": watchdog.comm,
        "pid": watchdog.pid,
        "line": watchdog.line.number,
        "text": watchdog.line.text,
        "call_trace": list(watchdog.call_trace),
        "lines": list(watchdog.lines),
    }


def event_dict(analysed: AnalysedEvent, *, stream_rows: bool = False) -> dict[str, Any]:
    event = analysed.event
    out = contract_fields(event)
    # the machine that printed it (FORMAT.md, "Logs from several hosts")
    out["host"], out["kernel"], out["arch"] = event.host, event.kernel, event.arch
    out["page_size_kb"] = event.page_size_kb
    gfp = analysed.gfp
    out["gfp_flags"] = list(getattr(gfp, "flag_names", []) or []) if gfp is not None else None
    out["first_line"] = event.first_line
    out["last_line"] = event.last_line
    out["unparsed"] = [{"line": u.line, "text": u.text} for u in event.unparsed] if event.unparsed else []
    if event.stall_ms is not None:  # 4.9-4.14's stall warning: the request had not failed (only then)
        out["stall_ms"] = event.stall_ms
    if event.watchdogs:  # (only when the paste shows one: every other event's JSON is unchanged)
        out["watchdogs"] = [watchdog_dict(w) for w in event.watchdogs]
    out["missing"] = [{"part": m.part, "description": m.description} for m in analysed.overview.missing]
    out["findings"] = [finding_dict(f) for f in analysed.findings]
    out["not_evaluated"] = (
        [{"code": n.code, "name": n.name, "missing": list(n.missing)} for n in analysed.not_evaluated]
        if analysed.not_evaluated
        else []
    )
    out["overview"] = overview_dict(analysed.overview)
    out["gfp"] = gfp.to_dict() if gfp is not None and hasattr(gfp, "to_dict") else None
    # the source lines are in the paste, and unparsed/missing are above: never converted
    out["details"] = plain(event, skip=_DETAILS_SKIP, rows=_TASK_ROWS if stream_rows else _NO_ROWS)
    return out


_DETAILS_SKIP = frozenset({"lines", "unparsed", "missing", "watchdogs", "stall_ms"})  # stall_ms: above, when set
_TASK_ROWS = frozenset({"tasks"})
_NO_ROWS: frozenset[str] = frozenset()


def report_dict(report: Report, *, stream_rows: bool = False) -> dict[str, Any]:
    """The report as JSON-ready values; with ``stream_rows`` each task table is left as ``Rows``
    (only for ``write_json``)."""
    return {
        "kernel": report.kernel,
        "arch": report.arch,
        "page_size_kb": report.dump.page_size_kb,
        "events": [event_dict(e, stream_rows=stream_rows) for e in report.events],
        "groups": [[o.number for o in group] for group in report.groups()],
        "warnings": list(report.warnings),
    }

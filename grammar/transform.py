"""The Transformer beside ``oom.lark``: one method per line rule, each giving a typed record.

Fields come from the named groups of the rule's terminal, taken from the one match that classified
the line (``lexicon.classify_fields``); lists
of ``key:value`` pairs inside a line are split on whitespace and separators the kernel prints,
so the syntax of every line stays in the grammar file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lark import Lark, Token, Transformer

from . import lexicon
from .lexicon import field_matcher, group_names


def task_row_parts(text: str) -> tuple[int, str]:
    """A task-dump row's pid and the rest of the row after `]` (as the token had it: with the newline)."""
    pid, _, rest = text.partition("]")
    return int(pid.lstrip("[ \t")), rest + "\n"


@dataclass(slots=True)
class Item:
    """One classified line: the rule that matched and its fields."""

    kind: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    number: int = 0  # filled in by the assembler (line number in the paste)
    prefix: str = ""
    # A run of task rows is one item (``parse.classify_lines``): the rows after the first, with
    # the same prefix, as the normaliser's lines (objects with ``number`` and ``text``)
    run: tuple[Any, ...] = ()


_NO_FIELDS: dict[str, Any] = {}  # shared by every task row: never written to


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _number_with_unit(value: str) -> int | None:
    """`8056kB` -> 8056, `4096` -> 4096, `12KB` -> 12 (unit handled by the caller's key)."""
    digits = value.rstrip("kKBbpages")
    return _int(digits)


def colon_pairs(text: str) -> dict[str, int]:
    """`free:8056kB min:8048kB isolated(anon):0kB all_unreclaimable? yes` -> {key: int}."""
    values: dict[str, int] = {}
    words = text.replace(": ", ":").split()
    for word in words:
        key, sep, value = word.partition(":")
        if sep and value:
            try:  # _number_with_unit, inlined: a zone line has 30 pairs
                values[key] = int(value.rstrip(",").rstrip("kKBbpages"))
            except ValueError:
                continue
    return values


def kernel_flag(text: str, name: str) -> bool | None:
    """`... all_unreclaimable? yes` -> True."""
    marker = name + "? "
    at = text.find(marker)
    if at < 0:
        return None
    return text[at + len(marker) :].startswith("yes")


def comma_assignments(text: str) -> dict[str, str]:
    """`constraint=X,nodemask=(null),cpuset=/,mems_allowed=0,2,global_oom,task=a` -> dict.

    A piece without `=` continues the previous value (mems_allowed lists nodes with commas)
    unless it is a bare flag such as `global_oom`.
    """
    values: dict[str, str] = {}
    last: str | None = None
    for piece in text.split(","):
        piece = piece.strip()
        if not piece.strip(".\u2026 "):
            last = None  # `CONSTRAINT_NONE,...`: a person cut the list here
            continue
        key, sep, value = piece.partition("=")
        if sep:
            values[key] = value
            last = key
        elif piece.replace("_", "").isalpha():
            values[piece] = ""
            last = None
        elif last is not None and piece:
            values[last] += "," + piece
    return values


_SUMMARY_END = re.compile(r",uid=\d+$")
# mm/oom_kill.c dump_oom_summary() (v4.19-v6.18) separates its fields with commas only; a space
# before one of its own field names is where a person broke the line by hand (and, in the blog of
# the twelfth wave, dropped the fields between): the joined line reads
# `constraint=CONSTRAINT_MEMCG task=java,pid=90057,uid=0`, two fields, not one value with a space.
_SUMMARY_BROKEN_AT = re.compile(
    r"[ \t]+(?=(?:constraint|nodemask|cpuset|mems_allowed|oom_memcg|task_memcg|task|pid|uid)=|global_oom(?:,|$))"
)
# A kernel release as `uname -r` prints it: 4.18.0-14485-g036ca364c6b2, 5.10.81-android12-9-24321119.
_RELEASE_WORD = re.compile(r"^\d+\.\d+(\.\d+)?([-+_.~][\w.+~-]*)?$")
# `uname -a` prints machine, processor, hardware platform and OS after the kernel version
# (coreutils; the two middle fields only when known): `... 2003 i686 AMD Duron(tm) processor
# AuthenticAMD GNU/Linux`. The word before `GNU/Linux` is the machine only when those two are
# left out or repeat it (`x86_64 x86_64 x86_64`); else the machine is the first machine name
# after the version's `#`.
_UNAME_MACHINE = re.compile(
    r"x86_64|amd64|i[3-6]86|aarch64|arm64|armv\w+|arm|ppc64le|ppc64|ppc|s390x|s390|mips\w*|riscv64|sparc64|ia64|m68k"
)
_OLD_X86_64_FRAME = re.compile(r"<[0-9a-fA-F]{16}>\{(?::\w+:)?([\w.$]+)\+\d+\}")
_ELLIPSES = ("...", "\u2026")
_VMALLOC_ORDER = re.compile(r"\bpage order (\d+),")  # 5.13+ `vmalloc error: size N, page order 9, ...`
# The size a vmalloc failure asked for: 5.13+ `size %lu,`, 4.12-5.12 `%lu bytes` and `allocated %ld of
# %ld bytes` (mm/vmalloc.c __vmalloc_node_range(), __vmalloc_area_node())
_VMALLOC_SIZE = re.compile(r"\bsize (\d+)\b|\b(\d+) bytes\b")


def _vmalloc_size(what: str) -> int | None:
    match = _VMALLOC_SIZE.search(what)
    return int(match.group(1) or match.group(2)) if match else None


def _shortened(value: str | None) -> bool:
    """True when a person cut or hid part of ``value`` (`...`, `…`, `0x240****`)."""
    return value is not None and (any(mark in value for mark in _ELLIPSES) or "*" in value)


def _hex(value: str | None) -> str | None:
    """A mask as printed, or None when digits are hidden (`0x240****`, `0x24xxxx`)."""
    if not value or not value.startswith("0x"):
        return None
    try:
        int(value[2:], 16)
    except ValueError:
        return None
    return value


def _symbolic(value: str | None) -> str | None:
    """The kernel's own symbolic gfp print, None when a person shortened it (`(...)`)."""
    if value is None or _shortened(value):
        return None
    return value  # `gfp_mask=0x0()`: the kernel's print of no flag is empty


def cut_assignments(text: str) -> dict[str, str]:
    """``key=value`` / ``key:value`` pairs of a line a person cut short. The value at the cut
    counts only when it ends in its unit (`anon-rss:1234kB`) or a closed parenthesis, so that
    `order=1` cut from `order=12` is not read as 1. `mode:0x201da(GFP_HIGH...` still gives the
    mask: the parenthesis shows that the number before it is whole."""
    values: dict[str, str] = {}
    words = [word for word in re.split(r"[,\s]+", text) if word]
    ended = bool(re.search(r"[,\s]$", text))
    for position, word in enumerate(words):
        match = re.match(r"([\w-]+)[=:](.+)", word)
        if match is None:
            continue
        key, value = match.groups()
        if value[-1] in "\"'`\u201d" and value[:-1] and not _shortened(value[:-1]):
            # the closing quote of a kill line quoted in a sentence: the value before it is whole
            value = value[:-1]
            values[key] = value
            continue
        if "(" in value:
            value, _, symbolic = value.partition("(")
            if symbolic.endswith(")") and not _shortened(symbolic):
                values[key + "()"] = symbolic[:-1]
            if value and not _shortened(value):
                values[key] = value
            continue
        if _shortened(value):
            continue
        if position == len(words) - 1 and not ended and not value.lower().endswith("kb"):
            continue
        values[key] = value
    return values


def _uname_machine(groups: dict[str, Any], line: str) -> str | None:
    machine: str | None = groups.get("un_machine")
    if machine and _UNAME_MACHINE.fullmatch(machine):
        return machine
    words = line.split("#", 1)[-1].split()
    return next((word for word in words if _UNAME_MACHINE.fullmatch(word)), machine)


def _comm_and_rest(text: str) -> tuple[str | None, str]:
    """` (java) total-vm:...` -> ("java", " total-vm:..."); (None, text) when the name was cut."""
    text = text.lstrip(",")
    if not text.startswith(" (") or ")" not in text:
        return None, text
    comm, _, rest = text[2:].partition(")")
    return (None if _shortened(comm) else comm), rest


_ELISION = re.compile(r"\.{2,}|…")  # BUDDY_CUT's mark of orders left out


class LineTransformer(Transformer[Token, list[Item]]):
    """Turns the parse tree of a normalised dump into a list of :class:`Item`."""

    def start(self, children: list[Item]) -> list[Item]:
        return children

    def _groups(self, terminal: str, token: Token) -> dict[str, Any]:
        values = getattr(token, "values", None)
        if values is not None and token.type == terminal:
            return dict(zip(group_names(terminal), values, strict=True))
        match = field_matcher(terminal)(str(token))  # a token of Lark's own lexer
        return match.groupdict() if match else {}

    # -- triggers ---------------------------------------------------------------------------
    def invoked(self, children: list[Token]) -> Item:
        token = children[0]
        groups = self._groups("INVOKED", token)
        args = comma_assignments(groups.get("inv_args") or "")
        mask = args.get("gfp_mask", "")
        symbolic = None
        if "(" in mask:
            mask, _, rest = mask.partition("(")
            symbolic = rest.rstrip(")")
        return Item(
            "invoked",
            str(token),
            {
                "comm": groups.get("inv_comm"),
                "gfp_mask": _hex(mask),
                "gfp_symbolic": _symbolic(symbolic),
                "order": _int(args.get("order")),
                "oom_adj": _int(args.get("oom_adj", args.get("oomkilladj"))),
                "oom_score_adj": _int(args.get("oom_score_adj")),
                "nodemask": args.get("nodemask"),
            },
        )

    def invoked_cut(self, children: list[Token]) -> Item:
        groups = self._groups("INVOKED_CUT", children[0])
        args = cut_assignments(groups.get("ic_args") or "")
        comm = groups.get("ic_comm") or None
        keyed = bool(groups.get("ic_key"))  # `gfp_mask=0x`: the kernel's own format, cut at its first value
        if not keyed and not args.keys() & {"gfp_mask", "order", "oom_score_adj", "oom_adj", "oomkilladj"}:
            # `java invoked oom-killer: ...` names the line, shows nothing: the kernel's line only
            # under the kernel's log prefix (grammar/parse.py classify_lines), else a person's words
            rest = (groups.get("ic_args") or "").strip().strip(".…")
            if not comm or _shortened(comm) or rest:  # `smbd invoked oom-killer: see below`: a person's words
                return Item("other", str(children[0]))
            return Item(
                "invoked",
                str(children[0]),
                {
                    "comm": comm,
                    "gfp_mask": None,
                    "gfp_symbolic": None,
                    "order": None,
                    "oom_adj": None,
                    "oom_score_adj": None,
                    "nodemask": None,
                    "cut": True,
                    "shows_nothing": True,
                },
            )
        return Item(
            "invoked",
            str(children[0]),
            {
                "comm": None if _shortened(comm) else comm,
                "gfp_mask": _hex(args.get("gfp_mask")),
                "gfp_symbolic": _symbolic(args.get("gfp_mask()")),
                "order": _int(args.get("order")),
                "oom_adj": _int(args.get("oom_adj", args.get("oomkilladj"))),
                "oom_score_adj": _int(args.get("oom_score_adj")),
                "nodemask": args.get("nodemask"),
                "cut": True,
            },
        )

    def legacy_invoked(self, children: list[Token]) -> Item:
        groups = self._groups("LEGACY_INVOKED", children[0])
        args = comma_assignments(groups.get("li_args") or "")
        return Item(
            "invoked",
            str(children[0]),
            {
                "comm": None,
                "gfp_mask": args.get("gfp_mask"),
                "gfp_symbolic": None,
                "order": _int(args.get("order")),
                "oom_adj": None,
                "oom_score_adj": None,
                "nodemask": None,
            },
        )

    def _warn_alloc(self, terminal: str, prefix: str, token: Token) -> tuple[dict[str, Any], dict[str, str | None]]:
        """The fields warn_alloc()'s header prints for a failure and for a stall alike (comm, order,
        mode, then `nodemask=`, `cpuset=`, `mems_allowed=`), from ``terminal``'s groups named
        ``prefix``_comm, _order, _mode, _sym and _rest; the groups, for what only one of them has."""
        groups = self._groups(terminal, token)
        rest = comma_assignments(groups.get(prefix + "_rest") or "")
        return (
            {
                "comm": groups.get(prefix + "_comm"),
                "order": _int(groups.get(prefix + "_order")),
                "gfp_mask": _hex(groups.get(prefix + "_mode")),
                "gfp_symbolic": _symbolic(groups.get(prefix + "_sym")),
                "nodemask": rest.get("nodemask"),
                "cpuset": rest.get("cpuset"),
                "mems_allowed": rest.get("mems_allowed"),
            },
            groups,
        )

    def alloc_failure(self, children: list[Token]) -> Item:
        fields, _groups = self._warn_alloc("ALLOC_FAILURE", "af", children[0])
        return Item("alloc_failure", str(children[0]), fields)

    def alloc_stall(self, children: list[Token]) -> Item:
        """4.9-4.14's `comm: page allocation stalls for Nms, order:N, mode:0x...`: the same report as an
        allocation failure's (warn_alloc(): task header, trace, Mem-Info), opened by a warning that the
        request is still in the slow path; ``stall_ms`` tells the two apart."""
        fields, groups = self._warn_alloc("ALLOC_STALL", "as", children[0])
        return Item("alloc_failure", str(children[0]), {**fields, "stall_ms": _int(groups.get("as_ms"))})

    def alloc_stall_mode(self, children: list[Token]) -> Item:
        """4.9-rc's stall warning printed its mode on a line of its own (oom.lark ALLOC_STALL_MODE)."""
        groups = self._groups("ALLOC_STALL_MODE", children[0])
        return Item(
            "alloc_stall_mode",
            str(children[0]),
            {"gfp_mask": _hex(groups.get("asm_mode")), "gfp_symbolic": _symbolic(groups.get("asm_sym"))},
        )

    def vmalloc_failure(self, children: list[Token]) -> Item:
        fields, groups = self._warn_alloc("VMALLOC_FAILURE", "vf", children[0])
        words = (groups.get("vf_what") or "").replace(",", " ").split()
        order = next((_int(words[i + 2]) for i in range(len(words) - 2) if words[i : i + 2] == ["page", "order"]), None)
        return Item(
            "alloc_failure",
            str(children[0]),
            {**fields, "order": order, "vmalloc": True, "vmalloc_size": _vmalloc_size(groups.get("vf_what") or "")},
        )

    def vmalloc_failure_cut(self, children: list[Token]) -> Item:
        groups = self._groups("VMALLOC_FAILURE_CUT", children[0])
        what = groups.get("vfc_what") or ""
        order = _VMALLOC_ORDER.search(what)  # (its comma shows the number whole)
        mode = what.find(", mode:")
        args = cut_assignments(what[mode:]) if mode >= 0 else {}
        comm = groups.get("vfc_comm") or None
        return Item(
            "alloc_failure",
            str(children[0]),
            {
                "comm": None if _shortened(comm) else comm,
                "order": _int(order.group(1)) if order else None,
                "gfp_mask": _hex(args.get("mode")),
                "gfp_symbolic": _symbolic(args.get("mode()")),
                "nodemask": args.get("nodemask"),
                "cpuset": args.get("cpuset"),
                "mems_allowed": args.get("mems_allowed"),
                "vmalloc": True,
                "vmalloc_size": _vmalloc_size(what),
                "cut": True,
            },
        )

    def alloc_failure_cut(self, children: list[Token]) -> Item:
        groups = self._groups("ALLOC_FAILURE_CUT", children[0])
        args = cut_assignments(groups.get("afc_args") or "")
        comm = groups.get("afc_comm") or None
        if not args.keys() & {"order", "mode"}:
            return Item("other", str(children[0]))
        return Item(
            "alloc_failure",
            str(children[0]),
            {
                "comm": None if _shortened(comm) else comm,
                "order": _int(args.get("order")),
                "gfp_mask": _hex(args.get("mode")),
                "gfp_symbolic": _symbolic(args.get("mode()")),
                "nodemask": args.get("nodemask"),
                "cpuset": args.get("cpuset"),
                "mems_allowed": args.get("mems_allowed"),
                "cut": True,
            },
        )

    # -- who was running --------------------------------------------------------------------
    def _header(self, kind: str, pid: str | None, comm: str | None, cpu: str | None, rest: str) -> Item:
        release = None
        words = rest.split()
        for index, word in enumerate(words):
            if word.startswith("#") and index > 0:
                candidate = words[index - 1]
                if candidate[:1].isdigit() and "." in candidate:
                    release = candidate
                break
        else:
            # No `#N` build number: the line was cut after the release (a console or mail
            # wrapper shortened it, `... 4.18.0-14485-g036ca364c6b2-dir`), or a vendor build
            # prints none. The release is then the last word, if it has the shape of one.
            if words and _RELEASE_WORD.match(words[-1]):
                release = words[-1]
        tainted = None
        if rest.startswith("Tainted:"):
            flags = rest[len("Tainted:") :]
            if release and release in flags:
                flags = flags[: flags.index(release)]
            tainted = " ".join(flags.split()) or None
        return Item(
            kind,
            "",
            {"pid": _int(pid), "comm": comm, "cpu": _int(cpu), "kernel": release, "tainted": tainted},
        )

    def task_header_new(self, children: list[Token]) -> Item:
        g = self._groups("TASK_HEADER_NEW", children[0])
        item = self._header(
            "task_header", g.get("thn_pid"), g.get("thn_comm"), g.get("thn_cpu"), g.get("thn_rest") or ""
        )
        item.text = str(children[0])
        return item

    def task_header_old(self, children: list[Token]) -> Item:
        g = self._groups("TASK_HEADER_OLD", children[0])
        item = self._header("task_header", g.get("tho_pid"), g.get("tho_comm"), None, g.get("tho_rest") or "")
        item.text = str(children[0])
        return item

    def task_header_cut(self, children: list[Token]) -> Item:
        g = self._groups("TASK_HEADER_CUT", children[0])
        item = self._header(
            "task_header",
            g.get("thc_pid") or g.get("thc_opid"),
            g.get("thc_comm") or g.get("thc_ocomm"),
            g.get("thc_cpu"),
            g.get("thc_rest") or "",
        )
        item.text = str(children[0])
        return item

    def uname(self, children: list[Token]) -> Item:
        g = self._groups("UNAME", children[0])
        text = str(children[0])
        return Item("other", text, {"release": g.get("un_release"), "machine": _uname_machine(g, text)})

    def banner(self, children: list[Token]) -> Item:
        g = self._groups("BANNER", children[0])
        return Item("other", str(children[0]), {"release": g.get("lv_release"), "machine": g.get("lv_cpu")})

    def kernel_version(self, children: list[Token]) -> Item:
        g = self._groups("KERNEL_VERSION", children[0])
        return Item("other", str(children[0]), {"release": g.get("kv_release")})

    def task_header_s390(self, children: list[Token]) -> Item:
        g = self._groups("TASK_HEADER_S390", children[0])
        item = self._header("task_header", None, None, g.get("ths_cpu"), g.get("ths_rest") or "")
        item.text = str(children[0])
        return item

    def task_process(self, children: list[Token]) -> Item:
        g = self._groups("TASK_PROCESS", children[0])
        return Item(
            "task_process",
            str(children[0]),
            {"pid": _int(g.get("tp_pid")), "comm": g.get("tp_comm"), "task_digits": len(g.get("tp_task") or "")},
        )

    def hardware(self, children: list[Token]) -> Item:
        g = self._groups("HARDWARE", children[0])
        return Item("hardware", str(children[0]), {"name": g.get("hw_name")})

    def workqueue(self, children: list[Token]) -> Item:
        g = self._groups("WORKQUEUE", children[0])
        return Item(
            "workqueue",
            str(children[0]),
            {"name": g.get("wq_name"), "function": g.get("wq_fn"), "module": g.get("wq_module")},
        )

    def cpuset_line(self, children: list[Token]) -> Item:
        g = self._groups("CPUSET_LINE", children[0])
        return Item(
            "cpuset_line",
            str(children[0]),
            {"comm": g.get("cs_comm"), "cpuset": g.get("cs_cpuset"), "mems_allowed": g.get("cs_mems")},
        )

    def call_trace_start(self, children: list[Token]) -> Item:
        return Item("call_trace_start", str(children[0]))

    def trace_line(self, children: list[Token]) -> Item:
        text = str(children[0])
        function = None
        braces = "{" in text  # (_OLD_X86_64_FRAME needs one: a line without asks no word)
        for word in text.replace("(", " ").replace(")", " ").split():
            if "+0x" in word:
                # 2.6.1x x86_64 printk_address() puts a module symbol's module first: `:ip_tables:ipt_do_table+0x1eb/0x318`
                function = word.split("+0x", 1)[0].rpartition(":")[2]
                break
            if braces:
                old_x86_64 = _OLD_X86_64_FRAME.search(word)  # `<ffffffff8014d7bc>{out_of_memory+48}`
                if old_x86_64:
                    function = old_x86_64.group(1)
                    break
        # `[<c01739ac>] ? dump_header+0x4d/0x160`: the unwinder was not sure of this frame
        unreliable = function is not None and ("? " + function) in text
        return Item("trace_line", text, {"function": function, "unreliable": unreliable})

    def trace_line_cut(self, children: list[Token]) -> Item:
        return self.trace_line(children)

    def register_line(self, children: list[Token]) -> Item:
        return Item("register_line", str(children[0]))

    # -- Mem-Info -----------------------------------------------------------------------------
    def meminfo_start(self, children: list[Token]) -> Item:
        return Item("meminfo_start", str(children[0]))

    def percpu_start(self, children: list[Token]) -> Item:
        return Item("percpu", str(children[0]))

    def percpu_line(self, children: list[Token]) -> Item:
        return Item("percpu", str(children[0]))

    def node_stat(self, children: list[Token]) -> Item:
        g = self._groups("NODE_STAT", children[0])
        text = g.get("ns_fields") or ""
        return Item(
            "node_stat",
            str(children[0]),
            {
                "node": _int(g.get("ns_node")),
                "values": colon_pairs(text),
                "all_unreclaimable": kernel_flag(text, "all_unreclaimable"),
            },
        )

    def zone(self, children: list[Token]) -> Item:
        g = self._groups("ZONE", children[0])
        text = "free:" + (g.get("z_fields") or "")
        return Item(
            "zone",
            str(children[0]),
            {
                "node": _int(g.get("z_node")),
                "name": g.get("z_name"),
                "values": colon_pairs(text),
                "all_unreclaimable": kernel_flag(text, "all_unreclaimable"),
            },
        )

    def zone_cut(self, children: list[Token]) -> Item:
        g = self._groups("ZONE_CUT", children[0])
        pairs = cut_assignments("free:" + (g.get("zc_fields") or ""))
        values = {key: number for key, value in pairs.items() if (number := _number_with_unit(value)) is not None}
        return Item(
            "zone",
            str(children[0]),
            {
                "node": _int(g.get("zc_node")),
                "name": g.get("zc_name"),
                "values": values,
                "all_unreclaimable": None,
                "cut": True,
            },
        )

    def lowmem_reserve(self, children: list[Token]) -> Item:
        g = self._groups("LOWMEM_RESERVE", children[0])
        values = tuple(int(v) for v in (g.get("lr_values") or "").split())
        return Item("lowmem_reserve", str(children[0]), {"values": values})

    def buddy(self, children: list[Token]) -> Item:
        g = self._groups("BUDDY", children[0])
        return self._buddy(children[0], g.get("b_orders") or "", g.get("b_node"), g.get("b_zone"), g.get("b_total"))

    def buddy_cut(self, children: list[Token]) -> Item:
        g = self._groups("BUDDY_CUT", children[0])
        shown = " ".join(_ELISION.split(g.get("bc_orders") or ""))  # where orders were left out: no order
        return self._buddy(children[0], shown, g.get("bc_node"), g.get("bc_zone"), g.get("bc_total"))

    def _buddy(self, token: Token, text: str, node: str | None, zone: str | None, total: str | None) -> Item:
        orders = []
        words = text.split()
        for index, word in enumerate(words):
            count, star, size = word.partition("*")
            if not star:
                continue
            types = None
            if index + 1 < len(words) and words[index + 1].startswith("("):
                types = words[index + 1].strip("()")
            # (_int(...) or 0 inline: a buddy line has a dozen orders)
            try:
                size_kb = int(size.rstrip("kB"))
            except ValueError:
                size_kb = 0
            try:
                blocks = int(count)
            except ValueError:
                blocks = 0
            orders.append((size_kb, blocks, types))
        return Item(
            "buddy",
            str(token),
            {
                "node": _int(node),
                "zone": zone,
                "orders": orders,
                "total_kb": _int(total),
            },
        )

    def hugepages(self, children: list[Token]) -> Item:
        g = self._groups("HUGEPAGES", children[0])
        return Item(
            "hugepages",
            str(children[0]),
            {
                "node": _int(g.get("hp_node")),
                "total": _int(g.get("hp_total")),
                "free": _int(g.get("hp_free")),
                "surplus": _int(g.get("hp_surp")),
                "size_kb": _int(g.get("hp_size")),
            },
        )

    def pagecache(self, children: list[Token]) -> Item:
        g = self._groups("PAGECACHE", children[0])
        return Item("pagecache", str(children[0]), {"pages": _int(g.get("pcache_pages"))})

    def swapcache(self, children: list[Token]) -> Item:
        g = self._groups("SWAPCACHE", children[0])
        return Item("swapcache", str(children[0]), {"pages": _int(g.get("scache_pages"))})

    def swapcache_stats(self, children: list[Token]) -> Item:
        return Item("swapcache_stats", str(children[0]))

    def free_swap(self, children: list[Token]) -> Item:
        g = self._groups("FREE_SWAP", children[0])
        return Item("free_swap", str(children[0]), {"kb": _int(g.get("fswap_kb"))})

    def total_swap(self, children: list[Token]) -> Item:
        g = self._groups("TOTAL_SWAP", children[0])
        return Item("total_swap", str(children[0]), {"kb": _int(g.get("tswap_kb"))})

    def page_total(self, children: list[Token]) -> Item:
        g = self._groups("PAGE_TOTAL", children[0])
        what = g.get("ptot_what") or g.get("ptot_what_before")
        what = (
            {"HIGHMEM": "HighMem"}.get(what, what) if what is not None else None
        )  # 2.6.x spells it `pages of HIGHMEM`
        return Item("page_total", str(children[0]), {"what": what, "count": _int(g.get("ptot_count"))})

    def legacy_meminfo(self, children: list[Token]) -> Item:
        g = self._groups("LEGACY_MEMINFO", children[0])
        text = str(children[0])
        values = colon_pairs(text) if g.get("lm_free") is None else {}
        if g.get("lm_free") is not None:
            values = {"free_kb": _int(g.get("lm_free")) or 0, "free_highmem_kb": _int(g.get("lm_high")) or 0}
        return Item("legacy_meminfo", text, {"values": values})

    def meminfo_counters(self, children: list[Token]) -> Item:
        g = self._groups("MEMINFO_COUNTERS", children[0])
        values = colon_pairs(g.get("mc_fields") or "")
        if "Active_anon" in values:  # 2.6.28-2.6.31 show_free_areas() capitalises the first counter
            values["active_anon"] = values.pop("Active_anon")
        return Item("meminfo_counters", str(children[0]), {"values": values})

    # -- the task dump --------------------------------------------------------------------------
    def tasks_state(self, children: list[Token]) -> Item:
        return Item("tasks_state", str(children[0]))

    def task_table(self, children: list[Token]) -> Item:
        # The header line `[  pid  ]   uid  tgid ... name`; its rows are TASK_ROW tokens.
        header = str(children[0])
        return Item("task_table_header", header, {"columns": tuple(header.partition("]")[2].split())})

    def task_row(self, children: list[Token]) -> Item:
        # `[  154]     0   154 ...`: the terminal guarantees the shape; the assembler splits the
        # row when it builds the task (``task_row_parts``). Task tables reach 100,000 rows: no
        # field dict and no copy of the row's text per row while the paste is assembled.
        return Item("task_row", str(children[0]), _NO_FIELDS)

    # -- decision and kill ----------------------------------------------------------------------
    def oom_summary(self, children: list[Token]) -> Item:
        g = self._groups("OOM_SUMMARY", children[0])
        fields = (g.get("osum_fields") or "").rstrip()
        values = comma_assignments(_SUMMARY_BROKEN_AT.sub(",", fields))
        if values and not _SUMMARY_END.search(fields) and not fields.endswith((",", ".", "\u2026")):
            # mm/oom_kill.c dump_oom_summary() always ends with `,uid=%d`: the line was cut, and
            # its last value may be cut too (`oom_memcg=/kubepods/bur`)
            values.pop(next(reversed(values)))
        return Item("oom_summary", str(children[0]), {"values": values})

    def kill_score(self, children: list[Token]) -> Item:
        g = self._groups("KILL_SCORE", children[0])
        return Item(
            "kill_score",
            str(children[0]),
            {
                "memcg": (g.get("ks_who") or "").startswith("Memory cgroup"),
                "pid": _int(g.get("ks_pid")),
                "comm": g.get("ks_comm"),
                "score": _int(g.get("ks_score")),
                "per_mille": "sacrifice child" in str(children[0]),
            },
        )

    def killed(self, children: list[Token]) -> Item:
        g = self._groups("KILLED", children[0])
        values: dict[str, int] = {}
        for word in (g.get("kd_fields") or "").replace(": ", ":").replace(",", " ").split():
            key, sep, value = word.partition(":")
            if sep:
                number = _number_with_unit(value)
                if number is not None or value.lstrip("-").isdigit():
                    values[key] = number if number is not None else int(value)
        uid = values.get("UID")
        if uid is None:
            uid = _int(g.get("kd_uid_old"))
        return Item(
            "killed",
            str(children[0]),
            {
                "memcg": (g.get("kd_who") or "").startswith("Memory cgroup"),
                "pid": _int(g.get("kd_pid")),
                "comm": g.get("kd_comm"),
                "total_vm_kb": values.get("total-vm"),
                "anon_rss_kb": values.get("anon-rss"),
                "file_rss_kb": values.get("file-rss"),
                "shmem_rss_kb": values.get("shmem-rss"),
                "pgtables_kb": values.get("pgtables"),
                "uid": uid,
                "oom_score_adj": values.get("oom_score_adj"),
            },
        )

    def kill_score_cut(self, children: list[Token]) -> Item:
        g = self._groups("KILL_SCORE_CUT", children[0])
        raw = g.get("ksc_rest") or ""
        comm, rest = _comm_and_rest(raw)
        words = rest.split()
        score = None
        if words[:1] == ["score"] and (len(words) >= 3 or (len(words) == 2 and rest.endswith(" "))):
            score = _int(words[1])  # the number at the cut may itself be cut
        return Item(
            "kill_score",
            str(children[0]),
            {
                "memcg": (g.get("ksc_who") or "").startswith("Memory cgroup"),
                # mm/oom_kill.c prints " (comm)" right after the pid (`%s: Kill process %d (%s) score
                # %u or sacrifice child`, 2.6.36-5.0): a line that stops at the digits may have cut
                # the pid itself (`Kill process 8` of 8596), so, as for `Killed process`, the number
                # counts only when something after it shows it ended
                "pid": _int(g.get("ksc_pid")) if comm is not None or raw.startswith(" ") else None,
                "comm": comm,
                "score": score,
                "per_mille": "sacrifice" in rest,
                "cut": True,
            },
        )

    def killed_cut(self, children: list[Token]) -> Item:
        g = self._groups("KILLED_CUT", children[0])
        rest = g.get("kc_rest") or ""
        uid_old = None
        if rest.startswith(", UID "):  # RHEL 6: `Killed process 1234, UID 48, (httpd) ...`
            uid_text, _, rest = rest[len(", UID ") :].partition(",")
            uid_old = _int(uid_text) if rest else None
        comm, rest = _comm_and_rest(rest)
        values = cut_assignments(rest) if comm is not None else {}
        uid = _int(values.get("UID"))
        return Item(
            "killed",
            str(children[0]),
            {
                "memcg": (g.get("kc_who") or "").startswith("Memory cgroup"),
                "pid": _int(g.get("kc_pid")) if comm is not None or rest.startswith(" ") else None,
                "comm": comm,
                "total_vm_kb": _number_with_unit(values["total-vm"]) if "total-vm" in values else None,
                "anon_rss_kb": _number_with_unit(values["anon-rss"]) if "anon-rss" in values else None,
                "file_rss_kb": _number_with_unit(values["file-rss"]) if "file-rss" in values else None,
                "shmem_rss_kb": _number_with_unit(values["shmem-rss"]) if "shmem-rss" in values else None,
                "pgtables_kb": _number_with_unit(values["pgtables"]) if "pgtables" in values else None,
                "uid": uid if uid is not None else uid_old,
                "oom_score_adj": _int(values.get("oom_score_adj")),
                "cut": True,
            },
        )

    def oom_killed_vm(self, children: list[Token]) -> Item:
        g = self._groups("OOM_KILLED_VM", children[0])
        return Item(
            "killed",
            str(children[0]),
            {
                "memcg": False,
                "pid": _int(g.get("okv_pid")),
                "comm": g.get("okv_comm"),
                "total_vm_kb": _int(g.get("okv_vm")),
                "anon_rss_kb": None,
                "file_rss_kb": None,
                "shmem_rss_kb": None,
                "pgtables_kb": None,
                "uid": None,
                "oom_score_adj": None,
            },
        )

    def reaped(self, children: list[Token]) -> Item:
        g = self._groups("REAPED", children[0])
        return Item("reaped", str(children[0]), {"pid": _int(g.get("rp_pid")), "comm": g.get("rp_comm")})

    # -- memory cgroups ---------------------------------------------------------------------------
    def memcg_task_in(self, children: list[Token]) -> Item:
        g = self._groups("MEMCG_TASK_IN", children[0])
        return Item("memcg_task_in", str(children[0]), {"task": g.get("mti_task"), "limit": g.get("mti_limit")})

    def oom_group(self, children: list[Token]) -> Item:
        g = self._groups("OOM_GROUP", children[0])
        return Item("oom_group", str(children[0]), {"memcg": g.get("og_memcg")})

    def memcg_task_in_cut(self, children: list[Token]) -> Item:
        g = self._groups("MEMCG_TASK_IN_CUT", children[0])
        task = g.get("mtc_task") or g.get("mtc_task_only")
        limit = g.get("mtc_limit")
        return Item(
            "memcg_task_in",
            str(children[0]),
            {"task": None if _shortened(task) else task, "limit": None if _shortened(limit) else limit, "cut": True},
        )

    def memcg_counter(self, children: list[Token]) -> Item:
        g = self._groups("MEMCG_COUNTER", children[0])
        limit = g.get("mcc_limit")
        return Item(
            "memcg_counter",
            str(children[0]),
            {
                "resource": g.get("mcc_resource"),
                "usage_kb": _int(g.get("mcc_usage")),
                "limit_kb": None if limit == "max" else _int(limit),
                "failcnt": _int(g.get("mcc_failcnt")),
            },
        )

    def memcg_stats_start(self, children: list[Token]) -> Item:
        g = self._groups("MEMCG_STATS_START", children[0])
        inline = colon_pairs(g.get("mss_inline") or "")
        return Item("memcg_stats_start", str(children[0]), {"path": g.get("mss_path"), "inline": inline})

    def memcg_stat(self, children: list[Token]) -> Item:
        g = self._groups("MEMCG_STAT", children[0])
        return Item("memcg_stat", str(children[0]), {"key": g.get("mst_key"), "value": _int(g.get("mst_value"))})

    def slab_info_start(self, children: list[Token]) -> Item:
        return Item("slab_info_start", str(children[0]))

    def slab_info_header(self, children: list[Token]) -> Item:
        return Item("slab_info_header", str(children[0]))

    def slab_info_row(self, children: list[Token]) -> Item:
        g = self._groups("SLAB_INFO_ROW", children[0])
        return Item(
            "slab_info_row",
            str(children[0]),
            {"name": g.get("sir_name"), "used_kb": _int(g.get("sir_used")), "total_kb": _int(g.get("sir_total"))},
        )

    # -- panics and manual triggers ---------------------------------------------------------------
    def panic(self, children: list[Token]) -> Item:
        g = self._groups("PANIC", children[0])
        return Item("panic", str(children[0]), {"reason": g.get("pn_reason")})

    def sysrq(self, children: list[Token]) -> Item:
        g = self._groups("SYSRQ", children[0])
        if g.get("sq_what") == "OOM request ignored":
            # drivers/tty/sysrq.c moom_callback(): out_of_memory() refused (killer disabled, 4.x
            # `... because killer is disabled`; nothing eligible, `OOM request ignored. No task eligible`)
            return Item("sysrq_ignored", str(children[0]))
        return Item("sysrq", str(children[0]), {"what": g.get("sq_what")})

    def no_killable(self, children: list[Token]) -> Item:
        return Item("no_killable", str(children[0]))

    def ratelimit(self, children: list[Token]) -> Item:
        return Item("ratelimit", str(children[0]))

    def watchdog(self, children: list[Token]) -> Item:
        """A watchdog's report line (soft or hard lockup, RCU CPU stall, hung task): which kind,
        and the CPU, seconds, task name and pid where the line prints them."""
        g = self._groups("WATCHDOG", children[0])
        if g.get("wd_cpu") is not None:
            kind, cpu, seconds = "soft-lockup", _int(g.get("wd_cpu")), _int(g.get("wd_secs"))
            comm, pid = g.get("wd_comm") or None, _int(g.get("wd_pid"))
        elif g.get("wd_hard_cpu") is not None:
            kind, cpu, seconds, comm, pid = "hard-lockup", _int(g.get("wd_hard_cpu")), None, None, None
        elif g.get("wd_hung_comm") is not None:
            kind, cpu, seconds = "hung-task", None, _int(g.get("wd_hung_secs"))
            comm, pid = g.get("wd_hung_comm"), _int(g.get("wd_hung_pid"))
        else:
            # 3.x-4.x `{ 3}` after the message, 2.6.3x `on CPU 3 (t=...)`: one stalled CPU named
            rest = g.get("wd_rcu_rest") or ""
            cpus = re.match(r"[ \t]*\{[ \t]*(\d+)[ \t]*\}|[ \t]+(\d+)\b", rest)
            kind, seconds, comm, pid = "rcu-stall", None, None, None
            cpu = _int((cpus.group(1) or cpus.group(2)) if cpus else None)
        return Item(
            "watchdog",
            str(children[0]),
            {"watchdog": kind, "cpu": cpu, "seconds": seconds, "comm": comm, "pid": pid, "rcu": g.get("wd_rcu")},
        )

    def compaction_disabled(self, children: list[Token]) -> Item:
        return Item("compaction_disabled", str(children[0]))

    def separator(self, children: list[Token]) -> Item:
        return Item("separator", str(children[0]))

    def ellipsis(self, children: list[Token]) -> Item:
        return Item("ellipsis", str(children[0]))

    def numa_note(self, children: list[Token]) -> Item:
        return Item("numa_note", str(children[0]))

    def other(self, children: list[Token]) -> Item:
        return Item("other", str(children[0]))


class _LineText(str):
    """A line handed to a rule's method outside the parser, as a parser's token has it: the text
    with its newline, the terminal, and the fields its classification matched."""

    __slots__ = ("type", "values")
    type: str
    values: tuple[str | None, ...]


_READER = LineTransformer()  # the rule methods keep no state


def read_line(terminal: str, text: str, values: tuple[str | None, ...]) -> Item:
    """The :class:`Item` of one line of ``terminal``, from the method of the rule that reads it
    (``invoked: INVOKED`` -> ``invoked``), as the parser would call it for that line's token."""
    token = _LineText(text + "\n")
    token.type = terminal
    token.values = values
    method = _METHODS.get(terminal) or _method(terminal)
    return method([token])  # type: ignore[no-any-return]


# The bound method of ``_READER`` that reads each terminal, looked up when a line of it is first
# read (``read_line`` runs for every line of a run after its first: a trace, memory.stat).
_METHODS: dict[str, Any] = {}


def _method(terminal: str) -> Any:
    method = _METHODS[terminal] = getattr(_READER, lexicon.line_rules()[terminal])
    return method


def oom_line_parser() -> Lark:
    """``oom.lark``'s LALR parser over classified lines with :class:`LineTransformer` applied during
    the parse (``lexicon.oom_line_parser``)."""
    return lexicon.oom_line_parser(LineTransformer)

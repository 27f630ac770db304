"""Clues in the call trace, the module list and the kernel lines around a report.

Each clue is derived once here (with the paste lines that show it) and read by the findings it
bears on: balloon drivers and GPU drivers and ZFS explain RAM no counter accounts for
(unaccounted_memory); network receive refills at order 2-3 and NOFS/NOIO filesystem paths
explain high-order and reclaim-restricted failures; KASAN and kmemleak inflate kernel memory on
debug kernels; kswapd invoking the OOM killer and a request with a vmalloc fallback mark kernel
paths that should not have killed or warned (kernel_bug, benign_nowarn_failure).

Function and module names are facts of the kernel tree (file names cited per clue); none is keyed
to a particular paste.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from grammar.facts import SourceLine
from grammar.literal import line_indexes

from . import surroundings

# drivers/misc/vmw_balloon.c, drivers/virtio/virtio_balloon.c, drivers/hv/hv_balloon.c,
# drivers/xen/balloon.c
BALLOON_MODULES = ("vmw_balloon", "virtio_balloon", "hv_balloon", "xen_balloon")
BALLOON_FUNCTIONS = re.compile(
    r"^(vmballoon_|virtballoon_|balloon_|fill_balloon|leak_balloon|hv_balloon|balloon_up|"
    r"decrease_reservation|increase_reservation|balloon_process)"
)
# drivers/gpu/drm/{i915,amd/amdgpu,nouveau,radeon,ttm}; nvidia is out of tree
GPU_MODULES = (
    "i915",
    "amdgpu",
    "nvidia",
    "nvidia_drm",
    "nvidia_modeset",
    "nvidia_uvm",
    "nouveau",
    "radeon",
    "xe",
    "ttm",
    "drm_kms_helper",
    "gma500_gfx",
    "vmwgfx",
    "mgag200",
    "ast",
)
# only prefixes no other subsystem uses (nv_ is also forcedeth's, intel_ also iommu/pstate/...)
GPU_FUNCTIONS = re.compile(r"^(i915_|amdgpu_|radeon_|nouveau_|nvidia_|ttm_|drm_)")
# module/zfs, module/spl (OpenZFS)
ZFS_MODULES = ("zfs", "spl", "znvpair", "zavl", "icp", "zcommon", "zunicode", "zzstd", "zlua")
ZFS_FUNCTIONS = re.compile(r"^(spl_|arc_|zio_|dbuf_|dmu_|txg_|zfs_|vdev_|zpl_|abd_|l2arc_|zil_|metaslab_)")
# Allocation wrappers of loadable modules: their frame names the allocator, not the code that
# asked, so the module to name is the first caller past them (Analysis.trace_module,
# implicated_module, checks.zones._alloc_caller). OpenZFS's Solaris Porting Layer maps
# kmem_alloc()/kmem_zalloc() to spl_kmem_alloc()/spl_kmem_zalloc() (include/os/linux/spl/sys/kmem.h,
# zfs-2.1), which reach kmalloc_node() or vmalloc through spl_kmem_alloc_impl() ("Consumers may
# only access this function through wrappers", module/os/linux/spl/spl-kmem.c, zfs-2.1), and
# vmem_alloc()/vmem_zalloc() to spl_vmem_alloc()/spl_vmem_zalloc() (sys/vmem.h); spl_kmem_cache_*
# (spl-kmem-cache.c) is its slab layer.
ALLOC_WRAPPER_FUNCTIONS = re.compile(r"^(spl_kmem_|spl_vmem_|spl_kvmalloc|spl_vmalloc)")


def alloc_wrapper(function: str) -> bool:
    """Whether ``function`` (a trace frame's name) is a module's allocation wrapper."""
    return bool(ALLOC_WRAPPER_FUNCTIONS.match(function.lstrip(".").split(".")[0].split("+")[0]))


# mm/kasan, mm/kmemleak.c
KASAN_FUNCTIONS = re.compile(r"^(kasan_|__kasan_|__asan_|kasan_save_stack|kasan_set_track)")
KMEMLEAK_FUNCTIONS = re.compile(r"^(kmemleak_|create_object|__create_object|mem_pool_alloc)")
# net/core/skbuff.c, drivers/net/*: receive-buffer refills in softirq or driver context
NET_FUNCTIONS = re.compile(
    r"^(__netdev_alloc_skb|netdev_alloc_skb|__alloc_skb|alloc_skb|napi_alloc_skb|__napi_alloc_skb|"
    r"netdev_alloc_frag|__netdev_alloc_frag|page_frag_alloc|__page_frag_alloc|skb_page_frag_refill|"
    r"sk_page_frag_refill|alloc_skb_with_frags|sock_alloc_send_pskb|page_pool_|tcp_|udp_|ip_|"
    r"net_rx_action|__napi_poll|napi_poll|[a-z0-9_]*_alloc_rx_(buffers?|bufs?|page|frag|skb)|"
    r"[a-z0-9_]*(rx_refill|refill_rx|_rx_refill|refill_rx_ring)|[a-z0-9_]*_napi_poll$|[a-z0-9_]*_rx_poll$|skb_copy|pskb_expand_head|"
    r"__skb_linearize|skb_segment|nf_|sctp_|tun_)"
)
# net/core/skbuff.c and include/linux/skbuff.h: the functions that allocate a socket buffer. Their
# kernel-doc (alloc_skb/__alloc_skb: "On a failure the return is NULL"; __netdev_alloc_skb: "NULL is
# returned if there is no free memory") makes failure part of the contract: a receive path drops
# the packet (the driver counts rx_dropped) and the sender retransmits. 2.6.x names included.
SKB_ALLOC_FUNCTIONS = re.compile(
    r"^(alloc_skb|__alloc_skb|dev_alloc_skb|__dev_alloc_skb|netdev_alloc_skb|__netdev_alloc_skb|"
    r"napi_alloc_skb|__napi_alloc_skb|netdev_alloc_skb_ip_align|alloc_skb_with_frags|"
    r"__alloc_skb_noprof|__netdev_alloc_skb_noprof)$"
)
# fs/*: functions of filesystems and the block layer that allocate with GFP_NOFS / GFP_NOIO
FS_FUNCTIONS = re.compile(
    r"^(xfs_|ext4_|ext3_|jbd2_|btrfs_|nfs_|nfs4_|f2fs_|ocfs2_|gfs2_|ceph_|cifs_|fuse_|"
    r"zfs_|spl_|reiserfs_|blk_|bio_|dm_|md_|raid|scsi_|submit_bio|mempool_alloc|kmem_alloc|"
    r"kmem_zalloc|xlog_)"
)
# callers that try kmalloc with __GFP_NORETRY/__GFP_NOWARN-free masks and fall back to vmalloc:
# mm/util.c kvmalloc_node (4.12+), fs/file.c alloc_fdmem (3.x-4.11), fs/seq_file.c seq_buf_alloc,
# net/netfilter/x_tables.c xt_alloc_table_info, kernel/bpf/syscall.c bpf_map_area_alloc
VMALLOC_FALLBACK = re.compile(
    r"^(kvmalloc|__kvmalloc|kvzalloc|kvcalloc|kvmalloc_node|kvmalloc_array|kvrealloc|"
    r"alloc_fdmem|seq_buf_alloc|xt_alloc_table_info|bpf_map_area_alloc|ext4_kvmalloc|"
    r"ext4_kvzalloc|kvmalloc_node_noprof|__kvmalloc_node_noprof|alloc_large_system_hash|"
    r"nf_ct_alloc_hashtable|kvmalloc_noprof)"
)
# callers that walk down a list of orders and retry at the next smaller one when a request fails,
# so a failure above order 0 only costs a smaller block: drivers/dma-buf/heaps/system_heap.c
# alloc_largest_available() (orders 8, 4, 0; "if (!page) continue;", since 5.11, inlined into
# system_heap_allocate/system_heap_do_allocate) and its forerunner in Android's ION,
# drivers/staging/android/ion/ion_system_heap.c (alloc_largest_available() under
# ion_system_heap_allocate(), removed in 5.11); sound/core/memalloc.c snd_dma_alloc_pages_fallback()
# ("When no space is left, this function reduces the size and tries to allocate again")
ORDER_FALLBACK = re.compile(
    r"^(alloc_largest_available|ion_system_heap_allocate|system_heap_allocate|system_heap_do_allocate|"
    r"snd_dma_alloc_pages_fallback)$"
)
# `func+0x1/0x2 [mod]`, or `[mod 40df...]` with the module's build ID, which kernels built with
# CONFIG_STACKTRACE_BUILD_ID print (%pSb, lib/vsprintf.c, since v5.14: 9294523e3768)
TRACE_MODULE = re.compile(r"\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+[ \t]*\[([A-Za-z0-9_]+)(?:[ \t]+[0-9a-f]{20,40})?\]")


@dataclass(frozen=True)
class Clue:
    name: str  # balloon, gpu, zfs, kasan, kmemleak, net_refill, net_drop, kswapd_oom, nofs_noio, vmalloc_fallback, order_fallback, out_of_tree
    detail: str  # what was seen: a module or function name
    lines: tuple[SourceLine, ...]


def _base(function: str) -> str:
    return function.split(".")[0].split("+")[0]


# modules that are never part of the kernel tree (their taint flag is O or P wherever they load)
OUT_OF_TREE = (
    "nvidia",
    "nvidia_drm",
    "nvidia_modeset",
    "nvidia_uvm",
    "zfs",
    "spl",
    "vboxdrv",
    "vboxnetflt",
    "vboxnetadp",
    "vmmon",
    "vmnet",
    "wl",
    "fglrx",
    "lkrg",
    "p_lkrg",
    "dattobd",
    "veeamsnap",
)


def module_flags(analysis: Any) -> dict[str, str]:
    """Taint flags printed after module names in `Modules linked in:` (`zfs(PO)` -> PO)."""
    flags: dict[str, str] = {}
    for line in analysis.event.lines:
        if "Modules linked in:" in line.text:
            for match in re.finditer(r"([A-Za-z0-9_-]+)\(([A-Z+-]+)\)", line.text.split("Modules linked in:", 1)[1]):
                flags[match.group(1).replace("-", "_")] = match.group(2)
    for row in surroundings.kernel_lines(analysis.dump, "modules"):
        for name, value in (row.values.get("flags") or {}).items():
            flags.setdefault(str(name).replace("-", "_"), str(value))
    return flags


def modules(analysis: Any) -> dict[str, tuple[SourceLine, ...]]:
    """Loaded modules and modules named in the trace (`func+0x1/0x2 [mod]`), with their lines
    (derived once per Analysis: the clues, the implicated module and the kernel fixes ask)."""
    cached = analysis.__dict__.get("_modules")
    if cached is not None:
        return cast(dict[str, tuple[SourceLine, ...]], cached)
    found: dict[str, tuple[SourceLine, ...]] = {}
    # Searched in the event's joined text, not line by line: neither a trace frame (TRACE_MODULE
    # takes no line break) nor the module list's mark spans two lines, and most events hold few
    # lines with either. Line by line, in line order, as each line was read before.
    text, lines = analysis.text, analysis.event.lines
    matches = list(TRACE_MODULE.finditer(text))
    traced: dict[int, list[str]] = {}
    for index, match in zip(line_indexes(text, [m.start() for m in matches]), matches, strict=True):
        traced.setdefault(index, []).append(match.group(1))
    marks = []
    at = text.find(MODULE_LIST)
    while at >= 0:
        marks.append(at)
        at = text.find(MODULE_LIST, at + 1)
    listing = set(line_indexes(text, marks))
    for index in sorted(traced.keys() | listing):
        line = lines[index]
        for name in traced.get(index, ()):
            found.setdefault(name, (line,))
        if index in listing:
            for word in line.text.split(MODULE_LIST, 1)[1].split():
                word_match = MODULE_WORD.match(word)
                if word_match:
                    found.setdefault(word_match.group(0).replace("-", "_"), (line,))
    for row in surroundings.kernel_lines(analysis.dump, "modules"):
        for name in row.values.get("modules", ()):
            found.setdefault(str(name).replace("-", "_"), (row.line,))
    analysis.__dict__["_modules"] = found
    return found


# Every pattern _trace_match is asked with (clues), as one alternation: a trace function none of
# them matches at its start cannot be any clue's, so clues() drops such functions (most of a
# trace: dump_stack, out_of_memory, __alloc_pages...) with one match each, instead of trying each
# pattern on it (some 150 re.match calls per event; issue 12). The alternation matches a name
# exactly when one of its patterns does, so the first function a pattern matches is unchanged.
_ANY_CLUE_FUNCTION = re.compile(
    "|".join(
        f"(?:{pattern.pattern})"
        for pattern in (
            BALLOON_FUNCTIONS,
            GPU_FUNCTIONS,
            ZFS_FUNCTIONS,
            KASAN_FUNCTIONS,
            KMEMLEAK_FUNCTIONS,
            NET_FUNCTIONS,
            SKB_ALLOC_FUNCTIONS,
            FS_FUNCTIONS,
            VMALLOC_FALLBACK,
            ORDER_FALLBACK,
        )
    )
)


@lru_cache(maxsize=8192)
def _clue_function(frame: str) -> str | None:
    """The function name of a trace frame (``_base``) when some clue's pattern matches it, else None.
    A pure function of the frame's text (as kernel_fixes._function): a kernel's traces name the same
    few hundred functions in every event, and the alternation costs about a microsecond a name
    (NET_FUNCTIONS' ``[a-z0-9_]*`` alternatives scan the whole name)."""
    base = _base(frame)
    return base if _ANY_CLUE_FUNCTION.match(base) else None


MODULE_LIST = "Modules linked in:"
MODULE_WORD = re.compile(r"[A-Za-z0-9_-]+")


def _trace_match(
    analysis: Any, bases: list[str], pattern: re.Pattern[str], reliable: bool = False
) -> tuple[str, tuple[SourceLine, ...]] | None:
    """The first call-trace function (``bases``: the trace's function names without offsets)
    that ``pattern`` matches, with the line that shows it; with ``reliable``, not one the trace
    prints only as a stale frame (``stale_frame``)."""
    for base in bases:
        if pattern.match(base):
            lines = analysis.find_lines(re.escape(base))
            if reliable and stale_frame(base, lines):
                continue
            return base, lines[:1]
    return None


def stale_frame(function: str, lines: tuple[SourceLine, ...]) -> bool:
    """Whether every trace line that names ``function`` prints it after '? ': a word on the stack
    that looks like a return address but that the unwinder could not place in the call chain
    (arch/x86/kernel/dumpstack.c printk_stack_address(), reliable = 0: '? ' before the symbol,
    v4.x-v6.x) - a leftover of an earlier call (a kvmalloc_node() that returned before the failing
    request was made), not a caller of the failed allocation."""
    stale = re.compile(r"\?\s+" + re.escape(function) + r"\b")
    named = re.compile(r"\b" + re.escape(function) + r"\+0x")
    framed = [line for line in lines if named.search(line.text)]
    return bool(framed) and all(stale.search(line.text) for line in framed)


def _module_clue(
    analysis: Any,
    mods: dict[str, tuple[SourceLine, ...]],
    bases: list[str],
    name: str,
    known: tuple[str, ...],
    functions: re.Pattern[str] | None,
) -> Clue | None:
    for module in known:
        if module in mods:
            return Clue(name, module, mods[module])
    if functions is not None:
        hit = _trace_match(analysis, bases, functions)
        if hit is not None:
            return Clue(name, hit[0], hit[1])
    return None


def clues(analysis: Any) -> dict[str, Clue]:
    """Every clue of this event, by name (derived once per Analysis and cached on it)."""
    cached = analysis.__dict__.get("_k9_clues")
    if cached is not None:
        return cast(dict[str, Clue], cached)
    out: dict[str, Clue] = {}
    # read once for all the clues below; only the trace functions some clue's pattern matches
    mods = modules(analysis)
    bases = [base for base in map(_clue_function, analysis.event.call_trace) if base is not None]
    for name, known, functions in (
        ("balloon", BALLOON_MODULES, BALLOON_FUNCTIONS),
        ("gpu", GPU_MODULES, GPU_FUNCTIONS),
        ("zfs", ZFS_MODULES, ZFS_FUNCTIONS),
    ):
        clue = _module_clue(analysis, mods, bases, name, known, functions)
        if clue is not None:
            out[name] = clue
    for name, functions, kinds in (
        ("kasan", KASAN_FUNCTIONS, ("kasan",)),
        ("kmemleak", KMEMLEAK_FUNCTIONS, ("kmemleak",)),
    ):
        hit = _trace_match(analysis, bases, functions)
        if hit is not None:
            out[name] = Clue(name, hit[0], hit[1])
        else:
            rows = surroundings.kernel_lines(analysis.dump, *kinds)
            if rows:
                out[name] = Clue(name, str(rows[0].values.get("text", name)), (rows[0].line,))
    gfp = analysis.gfp
    order = analysis.order or 0
    trigger_lines = analysis.lines(analysis.event.trigger.line) if analysis.event.trigger else ()
    net = _trace_match(analysis, bases, NET_FUNCTIONS)
    if (
        net is not None
        and 1 <= order <= 3
        and (getattr(gfp, "is_atomic", None) or getattr(gfp, "may_reclaim", None) is False)
    ):
        out["net_refill"] = Clue("net_refill", net[0], trigger_lines + net[1])
    skb = _trace_match(analysis, bases, SKB_ALLOC_FUNCTIONS)
    if (
        skb is not None
        and analysis.order == 0
        and (getattr(gfp, "is_atomic", None) or getattr(gfp, "may_reclaim", None) is False)
    ):
        out["net_drop"] = Clue("net_drop", skb[0], trigger_lines + skb[1])
    trigger = analysis.event.trigger
    header = analysis.event.header
    comm = (trigger.comm if trigger and trigger.comm else None) or (header.comm if header else None)
    if (
        comm
        and comm.startswith("kswapd")
        and analysis.event.kind in ("oom-kill", None)
        and (trigger is not None or analysis.event.kill is not None)
    ):
        out["kswapd_oom"] = Clue("kswapd_oom", comm, trigger_lines or analysis.lines(header.line if header else None))
    if (
        gfp is not None
        and (getattr(gfp, "may_call_fs", None) is False or getattr(gfp, "may_do_io", None) is False)
        and getattr(gfp, "may_reclaim", None)
    ):
        fs = _trace_match(analysis, bases, FS_FUNCTIONS)
        if fs is not None:
            out["nofs_noio"] = Clue("nofs_noio", fs[0], trigger_lines + fs[1])
    # a caller that copes with the failure must be a caller of it: a stale frame is not (OOM501
    # would call a failure harmless for a kvmalloc_node() that had already returned)
    fallback = _trace_match(analysis, bases, VMALLOC_FALLBACK, reliable=True)
    if fallback is not None:
        out["vmalloc_fallback"] = Clue("vmalloc_fallback", fallback[0], fallback[1])
    smaller = _trace_match(analysis, bases, ORDER_FALLBACK, reliable=True)
    if smaller is not None:
        out["order_fallback"] = Clue("order_fallback", smaller[0], smaller[1])
    tainted = header.tainted if header else None
    if mods and tainted and set(tainted.replace(" ", "")) & set("POE"):
        # the taint says some module is out of tree; the trace names a module, which counts only
        # when its own flags say so or it never ships with the kernel (no module named: no flags read)
        flags = module_flags(analysis)
        for name, lines in mods.items():
            if not any(TRACE_MODULE.search(line.text) for line in lines):
                continue
            if set(flags.get(name, "")) & set("POE") or name in OUT_OF_TREE:
                out["out_of_tree"] = Clue("out_of_tree", name, lines)
                break
    analysis.__dict__["_k9_clues"] = out
    return out


@dataclass(frozen=True)
class Implicated:
    """A loadable module the paste implicates, and how: ``traced`` when its code is in the event's
    call trace (`func+0x1/0x2 [module]`), ``out_of_tree`` when its own taint flags say P, O or E or
    it never ships with the kernel (OUT_OF_TREE) while the kernel is tainted P, O or E."""

    name: str
    traced: bool
    out_of_tree: bool
    lines: tuple[SourceLine, ...]


def implicated_module(analysis: Any) -> Implicated | None:
    """The module this event most implicates: an out-of-tree one in the trace first, then any module
    in the trace, then an out-of-tree module the module list names on a tainted kernel (derived once
    per Analysis)."""
    if "_implicated_module" in analysis.__dict__:
        return cast("Implicated | None", analysis.__dict__["_implicated_module"])
    mods = modules(analysis)
    header = analysis.event.header
    tainted = bool(header and header.tainted and set(header.tainted.replace(" ", "")) & set("POE"))
    flags = module_flags(analysis) if tainted and mods else {}  # (no module named: nothing to read them for)
    found: list[Implicated] = []
    for name, lines in mods.items():
        traced = any(TRACE_MODULE.search(line.text) for line in lines)
        out = tainted and (bool(set(flags.get(name, "")) & set("POE")) or name in OUT_OF_TREE)
        if traced or out:
            found.append(Implicated(name, traced, out, lines))
    # among equals, the module of the first reliable caller frame past the allocation wrappers
    # (Analysis.trace_module): OpenZFS's zfs, not the spl whose kmem wrapper it called
    # (only asked when there is a choice: the frame search reads every line of the event)
    first = analysis.trace_module if len(found) > 1 else None
    caller = first[0] if first else None
    best = max(
        found, key=lambda m: (m.traced and m.out_of_tree, m.traced, m.out_of_tree, m.name == caller), default=None
    )
    analysis.__dict__["_implicated_module"] = best
    return best

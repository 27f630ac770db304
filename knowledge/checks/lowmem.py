"""32-bit lowmem exhaustion and its metadata, 32-bit vmalloc space (OOM101-, OOM701)."""

from __future__ import annotations

import re
from typing import Any

from ..analysis import Analysis, ramp
from ..clues import stale_frame
from ..kernel_fixes import _function
from ..surroundings import kernel_lines, of, prose_matching
from .base import (
    Evidence,
    Hit,
    _fix_dict,
    _trace_has,
    check,
)

# The paste names a CMA area (the kernel's own boot lines, mm/cma.c cma_declare_contiguous() v3.17+ `cma: Reserved 256 MiB
# at ...`, or the person's words): a word, not a figure, so the step it allows only says where CMA
# pageblocks sit, and only for a request that may not use them (CMA serves movable allocations
# alone: mm/page_alloc.c __rmqueue() falls back to MIGRATE_CMA for MIGRATE_MOVABLE only, v3.x-v6.x)
CMA_WORD = re.compile(r"\bCMA\b|\bcma: Reserved\b|\bcma=\d")
X86_32_MAX_LOWMEM_KB = 896 * 1024  # arch/x86/Kconfig VMSPLIT_3G: 1 GB kernel space less 128 MB vmalloc
# Below this much RAM a 32-bit kernel has no HighMem on any common port: all of RAM is lowmem, so a
# shortage is of RAM, and a 64-bit kernel removes no split. Directly mapped lowmem by default: x86
# 896 MB (VMSPLIT_3G), powerpc 768 MB (arch/powerpc/Kconfig LOWMEM_SIZE default 0x30000000), ARM
# about 760 MB (3G/1G split less the vmalloc area), MIPS32 up to 512 MB (the KSEG0 window).
ALL_LOWMEM_BELOW_KB = 256 * 1024
# 32-bit architectures with a 64-bit sibling a distribution ships (x86_64, arm64, ppc64, mips64,
# s390x): only there can the remedy be "boot a 64-bit kernel"; m68k, SuperH, xtensa, etc. have none.
HAS_64BIT_SIBLING = re.compile(r"^(i[3-6]86|x86|arm|ppc|powerpc|mips|s390)", re.I)
# 32-bit architectures whose Kconfig offers CONFIG_HIGHMEM (arch/{x86,arm,mips,powerpc,sparc,
# microblaze,xtensa,csky,arc}/Kconfig); m68k, sh, nios2, openrisc, parisc, riscv32 and s390
# have none (arch/m68k/Kconfig: ZONE_DMA only), so every page is lowmem and there is no split
HIGHMEM_ARCH = re.compile(r"^(i[3-6]86|x86|arm|mips|ppc|powerpc|sparc|microblaze|xtensa|csky|arc)", re.I)


@check("lowmem_exhaustion", needs=("arch",))
def lowmem_exhaustion(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """32-bit kernel: a request confined to lowmem (DMA/Normal) finds Normal at its floor while HighMem is free."""
    if not a.is_32bit:
        return None
    if a.arch and not HIGHMEM_ARCH.match(a.arch):
        return None  # no HighMem on this architecture: all RAM is lowmem, a shortage is of RAM
    highest = a.highest_zone
    if highest is not None and highest in ("HighMem", "Movable"):
        return None  # the request could use HighMem; lowmem is not the limit
    if not a.is_global and a.constraint is not None:
        return None
    if not _lowmem_split_possible(a):
        return None  # all of RAM is lowmem: a shortage here is of RAM, and no split to remove
    evidence: Evidence = {}
    normal = [z for z in a.zones if z.name == "Normal"]
    if not normal:
        # Some 32-bit boards (ARM) put all lowmem in ZONE_DMA and have no ZONE_NORMAL; a DMA zone
        # far larger than x86's 16 MB ISA zone is then the lowmem zone kernel requests use
        normal = [
            z for z in a.zones if z.name == "DMA" and (z.managed_kb or z.present_kb or 0) > p["dma_as_lowmem_min_kb"]
        ]
    high = [z for z in a.zones if z.name == "HighMem"]
    high_free = sum(z.free_kb or 0 for z in high) if high else None
    if a.ram_kb is not None:
        evidence["ram_kb"] = (a.ram_kb, a.ram_lines)
        if a.reserved_kb is not None:
            evidence["reserved_kb"] = (a.reserved_kb, a.ram_lines)
    if a.lowmem_kb is not None:
        evidence["lowmem_kb"] = (a.lowmem_kb, a.ram_lines or tuple(ln for z in normal for ln in z.lines))
    if a.gfp is not None:
        evidence["gfp_zone"] = (highest or "unknown", a.lines(a.event.trigger.line) if a.event.trigger else ())
    if high_free is not None:
        evidence["highmem_free_kb"] = (high_free, tuple(ln for z in high for ln in z.lines))
    context: dict[str, Any] = {"mode": "", "stopgap_mem": None, "stuck_cache": None}
    if normal and normal[0].min_kb is not None:
        zone = normal[0]
        if not (zone.below_low or zone.below_min):
            return None
        if zone.unusable_kb and zone.free_kb is not None and zone.low_kb is not None and zone.free_kb > zone.low_kb:
            return None  # above low counting the free pages this request may not use (CMA): OOM140's case
        if high_free is not None and high_free < p["highmem_free_factor"] * (zone.free_kb or 0):
            return None  # HighMem is as exhausted as lowmem: a plain RAM shortage
        evidence.update(
            {
                "normal_free_kb": (zone.free_kb, zone.lines),
                "normal_min_kb": (zone.min_kb, zone.lines),
                "normal_low_kb": (zone.low_kb, zone.lines),
            }
        )
        confidence = p["confidence_zones"]
        context["mode"] = "zones"
        context["stuck_cache"] = _stuck_cache(a, zone, p)
    elif normal and normal[0].free_kb is not None and a.lowmem_kb:
        zone = normal[0]  # buddy list only: compare with the size of lowmem
        if zone.free_kb > p["buddy_free_share"] * a.lowmem_kb:
            return None
        if high_free is not None and high_free < p["highmem_free_factor"] * (zone.free_kb or 0):
            return None
        evidence["normal_free_kb"] = (zone.free_kb, zone.lines)
        confidence = p["confidence_buddy"]
        context["mode"] = "buddy"
    elif not a.has_memory_report and (highest in ("DMA", "Normal") or (a.is_global and a.event.kill is not None)):
        # No zone report: a 32-bit kernel, and either a kernel request that cannot use HighMem or a
        # global kill of a tiny victim (user memory in HighMem cannot relieve lowmem)
        if a.ram_kb is not None and a.ram_kb <= ALL_LOWMEM_BELOW_KB:
            return None  # all of RAM is lowmem here: nothing tells a lowmem shortage from a RAM one
        if highest is None:
            victim_kb = a.victim_kb
            if victim_kb is None or victim_kb > p["tiny_victim_kb"]:
                return None
            evidence["victim_kb"] = (victim_kb, a.victim_lines)
            confidence = p["confidence_tiny_victim"]
            context["mode"] = "tiny_victim"
        elif (
            a.event.kind == "page-allocation-failure"
            and a.event.kill is None
            and getattr(a.gfp, "may_reclaim", None) is False
        ):
            # An atomic/no-reclaim request never carries __GFP_HIGHMEM, so on every 32-bit kernel
            # it is confined to lowmem: that part of the inference is automatic. It also may not
            # reclaim (__alloc_pages_slowpath: no direct reclaim -> nopage; 2.6: `if (!wait) goto
            # nopage`), so it fails whenever the zone dips under its watermark for a moment on any
            # machine. Without a zone report and with nothing killed, the warning alone does not
            # show lowmem exhausted.
            confidence = p["confidence_arch_only_no_reclaim"]
            context["mode"] = "arch_only"
        else:
            confidence = p["confidence_arch_only"]
            context["mode"] = "arch_only"
    else:
        return None
    evidence["arch"] = (a.arch or "32-bit", ())
    # what min_free_kbytes is now (sum of the lowmem min watermarks, boost excluded) against the
    # kernel's own default for this lowmem: a raise is only offered when it is not inflated already
    context["min_free_now"] = a.min_free_kbytes_estimate
    context["min_free_default"] = a.default_min_free_kbytes
    context["min_free_raise"] = None
    if a.default_min_free_kbytes and (
        a.min_free_kbytes_estimate is None or a.min_free_kbytes_estimate < 2 * a.default_min_free_kbytes
    ):
        context["min_free_raise"] = int(a.default_min_free_kbytes * 1.5)
    if a.ram_kb and a.ram_kb > 16 * 1024 * 1024:
        context["stopgap_mem"] = "16G"
    context["has_highmem_zone"] = bool(high) or a.has_highmem
    # "boot a 64-bit kernel" only where the port has a 64-bit sibling (not m68k, SuperH, xtensa)
    # and only where the CPU has a 64-bit mode: not on a 32-bit-only CPU the paste names
    # (knowledge.hardware: Cortex-A5 to A17, a PowerPC G4, a Pentium M, ...)
    context["cpu32"] = a.thirty_two_bit_cpu
    context["sixty_four_bit_port"] = (a.arch is None or bool(HAS_64BIT_SIBLING.match(a.arch))) and not context["cpu32"]
    context["cma_named"] = _cma_named(a)
    # page tables live in lowmem unless an x86-32 kernel is built with CONFIG_HIGHPTE
    pagetables = a.counter_kb("pagetables")
    context["highpte"] = None
    if a.arch is None or "86" in a.arch:
        # without the RAM lines, x86-32 lowmem is at most 896 MB with the default 3G/1G split:
        # the share against that is a lower bound
        lowmem = a.lowmem_kb or X86_32_MAX_LOWMEM_KB
        if pagetables and pagetables >= p["highpte_share"] * lowmem:
            context["highpte"] = {
                "kb": pagetables,
                "share": round(100 * pagetables / lowmem),
                "bound": a.lowmem_kb is None,
            }
    return Hit(confidence, evidence, context)


def _lowmem_split_possible(a: Analysis) -> bool:
    """May this 32-bit kernel split RAM into lowmem and HighMem, on what the paste shows?

    The split is shown by a HighMem zone (or a zone above Normal, ``highmem_by_reserve``) or by a
    non-zero `N pages HighMem/MovableOnly`. It is ruled out by `0 pages HighMem/MovableOnly`
    (lib/show_mem.c v3.x-v6.0, mm/show_mem.c 6.1+: the count of the zones is_highmem_idx()
    accepts, so 0 means no HighMem pages at all) or by RAM of at most ALL_LOWMEM_BELOW_KB, all of
    it directly mapped on every common port. Otherwise (no page totals; since 6.1 the zone report
    prints only the zones up to the request's highest zone, so a missing HighMem line proves
    nothing) the split stays possible."""
    if a.has_highmem:
        return True
    totals = a.event.page_totals
    high = totals.get("HighMem/MovableOnly", totals.get("HighMem"))
    if high == 0:
        return False
    return not (a.ram_kb is not None and a.ram_kb <= ALL_LOWMEM_BELOW_KB)


def _stuck_cache(a: Analysis, zone: Any, p: dict[str, Any]) -> dict[str, Any] | None:
    """Lowmem is mostly page cache although the request may reclaim: the kill is a reclaim failure.

    Page cache on the file LRU is what reclaim frees first; a lowmem OOM with most of ZONE_NORMAL
    on it means reclaim did not reach it for this request (known 4.8-4.10 memcg defect:
    knowledge/kernel_fixes.yaml memcg-lowmem-active-list-aging-4.8), not that kernel data filled
    lowmem. Returns the figures and the known defects this event fits (when the paste names no
    release, the records tied to a series are offered as possible: "if the kernel is X-Y").
    """
    if getattr(a.gfp, "may_reclaim", None) is False:
        return None  # an atomic request never tries to free the cache
    size = zone.managed_kb or zone.present_kb
    file_kb = zone.values.get("active_file", 0) + zone.values.get("inactive_file", 0)
    if not size or file_kb < p["stuck_cache_share"] * size:
        return None
    known = [f for f in a.kernel_fixes() if f.highmem]
    possible = (
        [f for f in a.kernel_fixes(unversioned=True) if f.highmem and f not in known] if a.version is None else []
    )
    return {
        "kb": file_kb,
        "share": round(100 * file_kb / size),
        "zone": zone.label,
        "kernel_fixes": [_fix_dict(f) for f in known],
        "kernel_fixes_possible": [_fix_dict(f) for f in possible],
    }


@check("lowmem_metadata", needs=("arch", "ram", "page_totals"))
def lowmem_metadata(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """32-bit kernel with so much RAM that its struct page array alone eats a large part of lowmem."""
    if not (a.is_32bit and a.has_highmem) or not a.lowmem_kb:
        return None
    ram_pages = (a.ram_kb or 0) // a.page_kb
    mem_map_kb = ram_pages * p["struct_page_bytes"] // 1024
    share = mem_map_kb / a.lowmem_kb
    if share < p["min_share"]:
        return None
    evidence: Evidence = {
        "ram_kb": (a.ram_kb, a.ram_lines),
        "lowmem_kb": (a.lowmem_kb, a.ram_lines),
        "mem_map_kb": (mem_map_kb, a.ram_lines),
        "mem_map_share": (round(share * 100), a.ram_lines),
    }
    if a.reserved_kb is not None:
        evidence["reserved_kb"] = (a.reserved_kb, a.ram_lines)
    pte = _trace_has(a, "pte_alloc_one", "__pte_alloc", "pte_alloc_one_kernel")
    context = {"pte_trace": pte}
    if pte:
        evidence["trace_function"] = (pte, a.find_lines(re.escape(pte)))
    return Hit(ramp(share, p["min_share"], 0.4, p["confidence_low"], p["confidence_high"]), evidence, context)


@check("vmalloc_space", needs=("event",))
def vmalloc_space(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """vmalloc/vmap failed for want of kernel virtual address space: the 32-bit vmalloc area is too small."""
    rows = kernel_lines(a.dump, "vmalloc_failure")
    if not rows:
        return None
    # the lines that belong to this event: inside it or just before it (the kernel prints them first)
    near = [r for r in rows if a.event.first_line - p["lines_before"] <= r.line.number <= a.event.last_line]
    # a size of zero or beyond all of RAM is refused before any area is looked for (OOM612)
    near = [r for r in near if impossible_vmalloc_size(r.line.text, a.ram_kb) is None]
    if not near:
        return None
    space = [
        r
        for r in near
        if "vmap allocation" in r.values["text"]
        or "vmalloc space" in r.values["text"]
        or "vm_struct" in r.values["text"]
    ]
    if a.is_32bit:
        confidence = p["confidence_space_32bit"] if space else p["confidence_32bit"]
    elif a.is_32bit is None and space:
        confidence = p["confidence_space_unknown_arch"]
    else:
        return None
    first = (space or near)[0]
    evidence: Evidence = {"vmalloc_line": (first.values["text"], (first.line,))}
    if first.values.get("bytes"):
        evidence["request_bytes"] = (first.values["bytes"], (first.line,))
    for row in of(a.dump, "meminfo_field"):
        if row.values.get("key") in ("VmallocTotal", "VmallocUsed", "VmallocChunk") and "kb" in row.values:
            evidence[str(row.values["key"]).lower() + "_kb"] = (row.values["kb"], (row.line,))
    evidence["arch"] = (a.dump.arch or ("32-bit" if a.is_32bit else "unknown"), ())
    return Hit(
        confidence,
        evidence,
        {"space": bool(space), "is_32bit": bool(a.is_32bit), "module_area": _arm_module_area(a)},
    )


# 32-bit ARM: module_alloc() serves module loading and the BPF JIT's image (bpf_jit_binary_alloc()
# calls bpf_jit_alloc_exec(), which is module_alloc())
ARM32 = re.compile(r"^(arm$|armv[5-7]|armhf|armel)")


def _arm_module_area(a: Analysis) -> str | None:
    """module_alloc() in the trace of a 32-bit ARM kernel - "bpf_jit_binary_alloc" when the BPF JIT
    asked for it, else "module_alloc" (None without it, or on another architecture): it maps
    into the module area, 16 MB below PAGE_OFFSET (8 MB on Thumb-2 kernels;
    arch/arm/include/asm/memory.h MODULES_VADDR, v5.4 and v6.1), not into the vmalloc area that
    vmalloc= sizes. arch/arm/kernel/module.c module_alloc() (v5.4-v6.9) tries that area first and
    falls back to VMALLOC_START..VMALLOC_END only with CONFIG_ARM_MODULE_PLTS (its first try
    then carries __GFP_NOWARN: 'Silence the initial allocation')."""
    if not ARM32.match((a.arch or "").lower()):
        return None
    frames = {f.lstrip(".") for f in a.event.call_trace}
    if "module_alloc" not in frames and "bpf_jit_alloc_exec" not in frames:
        return None
    return "bpf_jit_binary_alloc" if "bpf_jit_binary_alloc" in frames else "module_alloc"


@check("vmalloc_beyond_ram", needs=("ram",))
def vmalloc_beyond_ram(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A vmalloc request larger than the machine's RAM failed: it can never succeed, so the caller passed an unchecked size."""
    near = [
        r
        for r in kernel_lines(a.dump, "vmalloc_failure")
        if a.event.first_line - p["lines_before"] <= r.line.number <= a.event.last_line and r.values.get("bytes")
    ]
    if not near or not a.ram_kb:
        return None
    row = max(near, key=lambda r: int(r.values["bytes"]))
    request_kb = int(row.values["bytes"]) // 1024
    if request_kb < p["min_ram_share"] * a.ram_kb:
        return None
    evidence: Evidence = {
        "vmalloc_line": (row.values["text"], (row.line,)),
        "request_kb": (request_kb, (row.line,)),
        "ram_kb": (a.ram_kb, a.ram_lines),
    }
    trigger = a.event.trigger
    if trigger is not None and trigger.comm:
        evidence["task"] = (trigger.comm, a.lines(trigger.line))
    return Hit(p["confidence"], evidence, {"has_task": "task" in evidence})


_PARTIAL_VMALLOC = re.compile(r"allocated (\d+) of (\d+) bytes")
# 5.13+ (mm/vmalloc.c __vmalloc_area_node): `vmalloc error: size %lu, page order %u, failed to allocate
# pages`, the page order dropped in 2023 ('mm/vmalloc: do not output a spurious warning when huge vmalloc()
# fails'); the size printed is area->nr_pages * PAGE_SIZE, the bytes backed before the failure, and the
# request's own size is not printed.
_VMALLOC_PAGES_ERROR = re.compile(r"vmalloc error: size (\d+), (?:page order \d+, )?failed to allocate pages")


# mm/vmalloc.c __vmalloc_node_range() refuses a size of 0 or of more pages than all of RAM before it
# looks for an area: v4.14-v5.12 `if (!size || (size >> PAGE_SHIFT) > totalram_pages) goto fail;`,
# the fail path printing 'vmalloc: allocation failure: %lu bytes' with the size asked; v6.1
# `if (WARN_ON_ONCE(!size)) return NULL;` and 'vmalloc error: size %lu, exceeds total pages'.
_EXCEEDS_RAM = re.compile(r"vmalloc error: size (\d+), exceeds total pages")
_FAILED_BYTES = re.compile(r"vmalloc: allocation failure: (\d+) bytes")
# a size of 2^63 bytes or more is a negative number read as unsigned long (the caller's arithmetic
# overflowed): no machine has that much RAM, whatever the paste prints of it
_NEGATIVE = 1 << 63


def impossible_vmalloc_size(text: str, ram_kb: int | None) -> tuple[int, str] | None:
    """The size and the reason when a vmalloc failure line shows a request the kernel refuses
    outright: zero bytes, more than all of RAM ('exceeds total pages', or a size above the RAM the
    report prints), or a negative size read as unsigned."""
    exceeds = _EXCEEDS_RAM.search(text)
    if exceeds is not None:
        size = int(exceeds.group(1))
        return size, "negative" if size >= _NEGATIVE else "exceeds"
    failed = _FAILED_BYTES.search(text)
    if failed is None:
        return None
    size = int(failed.group(1))
    if size == 0:
        return 0, "zero"
    if size >= _NEGATIVE:
        return size, "negative"
    if ram_kb and size // 1024 > ram_kb:
        return size, "exceeds"
    return None


@check("vmalloc_bad_size", needs=("event",))
def vmalloc_bad_size(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A vmalloc asked for zero bytes or more than all of RAM: the caller computed a wrong size."""
    trigger = a.event.trigger
    texts = list(a.lines(trigger.line)) if trigger is not None else []
    # inside the event, or just above its trace when the line itself was not read as its header
    # (warn_alloc() prints the line, then dump_stack())
    first = a.event.first_line - p["lines_before"]
    rows = [r for r in kernel_lines(a.dump, "vmalloc_failure") if first <= r.line.number <= a.event.last_line]
    for line in [*texts, *(r.line for r in rows)]:
        found = impossible_vmalloc_size(line.text, a.ram_kb)
        if found is None:
            continue
        size, reason = found
        start = line.text.find("vmalloc")
        evidence: Evidence = {
            "vmalloc_line": (line.text[start:] if start >= 0 else line.text, (line,)),
            "request_bytes": (size, (line,)),
        }
        caller = _vmalloc_caller(a)
        if caller:
            evidence["caller"] = (caller[0], caller[1])
        if reason == "exceeds" and a.ram_kb:
            evidence["ram_kb"] = (a.ram_kb, a.ram_lines)
        return Hit(p["confidence"], evidence, {"reason": reason, "has_caller": caller is not None})
    return None


# vmalloc's own frames and its kv*/vz* wrappers (any suffix: _node, _range, _array, _noprof, a
# compiler's .isra), and the stack dumper's: the caller is the first frame below them
_VMALLOC_FRAMES = re.compile(r"^_*(k?v[mz]alloc|kvcalloc|dump_stack|show_stack|warn_alloc)")


def _vmalloc_caller(a: Analysis) -> tuple[str, tuple[Any, ...]] | None:
    """The first function of the call trace below vmalloc's own frames and the stack dumper's,
    not one the trace prints only after '? ' (``clues.stale_frame``), with the line that shows it."""
    for frame in a.event.call_trace:
        name = _function(frame)
        if not name or _VMALLOC_FRAMES.match(name):
            continue
        lines = a.find_lines(re.escape(name))
        if stale_frame(name, lines):
            continue
        return name, lines[:1]
    return None


@check("vmalloc_noretry", needs=("gfp",))
def vmalloc_noretry(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A vmalloc with __GFP_NORETRY gave up after backing part of its area: the caller's flags."""
    trigger = a.event.trigger
    gfp = a.gfp
    if trigger is None or gfp is None or getattr(gfp, "is_atomic", False):
        return None
    if "__GFP_NORETRY" not in gfp.flag_names:
        return None
    lines = a.lines(trigger.line)
    text = lines[0].text if lines else ""
    if "vmalloc" not in text:
        return None
    match = _PARTIAL_VMALLOC.search(text)
    error = None if match else _VMALLOC_PAGES_ERROR.search(text)
    if match is None and error is None:
        return None
    evidence: Evidence = {"vmalloc_line": (text[text.index("vmalloc") :], lines)}
    if match is not None:
        evidence["backed_kb"] = (int(match.group(1)) // 1024, lines)
        evidence["request_kb"] = (int(match.group(2)) // 1024, lines)
    elif error is not None:
        evidence["backed_kb"] = (int(error.group(1)) // 1024, lines)
    if trigger.comm:
        evidence["task"] = (trigger.comm, lines)
    return Hit(p["confidence"], evidence, {"has_task": "task" in evidence, "has_request": match is not None})


def _cma_named(a: Analysis) -> bool:
    """Whether the paste names CMA (a kernel line or the person's words) for a request that may not
    use CMA pageblocks (not movable): OOM101's CMA placement step."""
    if a.movable_request:
        return False
    if a.event.page_totals.get("cma reserved"):
        return True  # show_mem()'s `N pages cma reserved`, N > 0
    # (case kept: show_mem() prints `0 pages cma reserved` in every report)
    if a.matching_lines(CMA_WORD):
        return True
    return bool(prose_matching(a.dump, CMA_WORD))

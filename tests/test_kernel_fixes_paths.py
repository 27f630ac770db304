"""kernel_fixes records tied by a path of functions (trace_all), a distribution release string
(release), a slab cache of the unreclaimable-slab table (slab) or a kernel message alone, and the
stable releases that carry a fix (stable). Each record is matched on the real paste its source
quotes - a corpus case outside fold 0 (test_the_cases_are_not_held_out) - its fix is among the first
three steps, and each condition that ties it fails it when changed."""

from __future__ import annotations

from oomcases import first_steps as _steps
from oomcases import is_held_out, load_case
from oomcases import kernel_fix_ids as _ids

from bot.pipeline import analyze
from grammar.parse import parse_text
from knowledge import kernel_fixes
from knowledge.diagnose import evaluate
from knowledge.kernel_fixes import matches

XT = "lore-414-bz200651-xt-table-vmalloc-noretry"  # kernel bugzilla 200651, lore 20180807195400.23687-1-mhocko
CIFS = "lore-x86_64-cifs-fallocate-order8-kvzalloc"  # lore stable CAH2r5muSdTqXznPiv4iZbVBbWvGP6+TW5V76k8yCpef1biS68g
DMA_REMAP = "lore-arm64-gunyah-dma-remap-order5-kmalloc"  # lore 20230724011338.2298062-30-sashal@kernel.org
NAT = "lore-268rc4mm1-i686-netfilter-nat-skb-copy-order3"  # lore lkml 20040824155727.4749e6ad.davem@redhat.com
UBUNTU = "blog-ruffell-ubuntu-4150-58-kmalloc256-discard-loop"  # ruffell.nz, 2019-12-13
E1000 = "lore-2618-x86_64-e1000-jumbo-order3-atomic"  # lore 20060922215000.c1fde093.akpm@osdl.org
ZFS = "code-openzfs-zfs-13312e2-zfsdev-ioctl-order2"  # github.com/openzfs/zfs/pull/14474
LOWMEM_49 = "lore-49-i386-x61s-lowmem-oom-three-reports-memcg-aging"  # lore 20170104100825.3729-1-mhocko


def _text(case: str) -> str:
    return load_case(case)[0].decode()


def test_the_cases_are_not_held_out() -> None:
    assert not [c for c in (XT, CIFS, DMA_REMAP, NAT, UBUNTU, E1000, ZFS, LOWMEM_49) if is_held_out(c)]


def test_a_kernel_message_alone_ties_the_x_tables_noretry_record() -> None:
    # 4.14: 'iptables-restor: vmalloc: allocation failure, allocated 3047424 of 3465216 bytes,
    # mode:0x14010c0(GFP_KERNEL|__GFP_NORETRY)'; the event has no call trace
    text = _text(XT)
    assert _ids(text) == ["xt-alloc-table-info-vmalloc-noretry"]
    assert any("do not fail xt_alloc_table_info too easilly" in s for s in _steps(text))
    # the fixed kernel asks GFP_KERNEL_ACCOUNT without __GFP_NORETRY; another command's vmalloc
    assert _ids(text.replace("GFP_KERNEL|__GFP_NORETRY", "GFP_KERNEL_ACCOUNT")) == []
    assert _ids(text.replace("iptables-restor: vmalloc", "qemu-system-x86: vmalloc")) == []


def test_the_smb_client_fallocate_buffer() -> None:
    # order-8 GFP_KERNEL failure from smb3_simple_falloc (fsstress on an SMB mount)
    text = _text(CIFS)
    assert _ids(text) == ["cifs-simple-fallocate-1mb-kmalloc"]
    top = analyze(text).events[0].findings[0]
    assert top.code == "OOM606" and "use kvzalloc() for megabyte buffer in simple fallocate" in top.remediation[0]
    assert _ids(text.replace("order:8,", "order:2,")) == []
    assert _ids(text.replace("smb3_simple_falloc", "smb3_zero_range")) == []


def test_a_path_of_functions_ties_the_dma_remap_record() -> None:
    # arm64 order-5 failure: __kmalloc under dma_direct_alloc (the page array of
    # dma_common_contiguous_remap), fixed by 51ff97d54f02 in 6.5
    text = _text(DMA_REMAP)
    assert _ids(text) == ["dma-remap-page-array-kmalloc"]
    top = analyze(text).events[0].findings[0]
    assert top.code == "OOM606" and "51ff97d54f02" in top.remediation[0]
    assert any(e.name == "function" and e.value == "dma_direct_alloc" for e in top.evidence)
    # each function of the path is needed: the buffer's own pages (no __kmalloc) are another request
    no_kmalloc = "\n".join(line for line in text.splitlines() if "kmalloc" not in line)
    assert "dma_direct_alloc" in no_kmalloc and _ids(no_kmalloc) == []
    assert _ids(text.replace("dma_direct_alloc+", "dma_pool_alloc_x+")) == []
    assert _ids(text.replace("order:5,", "order:2,")) == []


def test_the_netfilter_nat_checksum_copy_needs_both_functions() -> None:
    # 2.6.8-rc4-mm1: order-3 mode:0x20 failures from skb_copy under skb_checksum_help/ip_nat_fn
    text = _text(NAT)
    dump = parse_text(text)
    traced = [i for i, e in enumerate(dump.events) if "skb_checksum_help" in " ".join(e.call_trace)]
    assert traced
    assert _ids(text, traced[0]) == ["netfilter-nat-checksum-skb-copy-order3"]
    assert any("pskb_expand_head" in s for s in _steps(text, traced[0]))
    assert _ids(text.replace("skb_checksum_help", "skb_checksum_x"), traced[0]) == []


def test_a_distribution_release_and_a_slab_cache_tie_the_ubuntu_discard_loop() -> None:
    # Ubuntu 4.15.0-58-generic: kmalloc-256 holds 3499256 kB of the unreclaimable-slab table;
    # fixed in 4.15.0-60, 4.15.0-55 good (Matthew Ruffell's write-up)
    text = _text(UBUNTU)
    assert _ids(text) == ["ubuntu-4.15.0-58-discard-loop-kmalloc-256"]
    top = analyze(text).events[0].findings[0]
    assert top.code == "OOM606" and top.confidence == 0.9  # slab table and release both pin it
    assert "4.15.0-60" in top.remediation[0] and "b88aef36b87c" in top.remediation[0]
    assert any(e.name == "slab_cache" and str(e.value).startswith("kmalloc-256") for e in top.evidence)
    # the fixed and the last good package, and the same kernel with another cache on top
    assert _ids(text.replace("4.15.0-58-generic", "4.15.0-60-generic")) == []
    assert _ids(text.replace("4.15.0-58-generic", "4.15.0-55-generic")) == []
    assert _ids(text.replace("kmalloc-256  ", "dentry       ")) == []


def test_the_e1000_jumbo_buffer_is_order_3_only_and_bounded_to_its_releases() -> None:
    # 2.6.18 (named in the reporter's prose, not in the log lines): order-3 mode:0x20 failures
    # from e1000_alloc_rx_buffers with jumbo frames; the release is set on the analysis as a paste
    # that prints it would
    text = _text(E1000)
    rid = "e1000-jumbo-rx-buffer-order3"
    assert _ids(text) == []  # no release in the log lines: only a possible match
    dump = parse_text(text)
    analysis = evaluate(dump.events[0], dump).analysis
    assert rid in [f.id for f in matches(analysis, unversioned=True)]
    for release, matched in (((2, 6, 18), True), ((2, 6, 17), True), ((2, 6, 16), False), ((2, 6, 9), False)):
        analysis.version = release
        assert (rid in [f.id for f in matches(analysis)]) == matched, release
    analysis.version = (2, 6, 18)
    analysis.order = 2  # the fixed 16 KB buffer
    assert rid not in [f.id for f in matches(analysis)]
    # the 2.6.9-ac11 report of the same function (Alan Cox: the 2.6.9 network allocation problem)
    assert not is_held_out("lore-269ac11-rsync-atomic-order3")
    assert rid not in _ids(_text("lore-269ac11-rsync-atomic-order3"))


def test_the_openzfs_ioctl_needs_the_zfs_module() -> None:
    # an order-2 OOM kill from zfsdev_ioctl [zfs] (OpenZFS PR #14474, zfs-2.2.0)
    text = _text(ZFS)
    dump = parse_text(text)
    event = next(i for i, e in enumerate(dump.events) if e.kind == "oom-kill")
    assert _ids(text, event) == ["openzfs-zfsdev-ioctl-zfs-cmd-kmalloc"]
    assert any("13312e2" in s and "2.2.0" in s for s in _steps(text, event))
    # an out-of-tree module's fix is its own release: no finding words it as a kernel upgrade
    every = [s for f in analyze(text).events[event].findings for s in f.remediation]
    assert any(s.startswith("Update the out-of-tree module") and "not a kernel update" in s for s in every)
    assert not any(s.startswith("Upgrade to a kernel with the fix") for s in every)
    assert _ids(text.replace("[zfs]", "[zfsx]"), event) == []


def test_a_stable_release_with_the_fix_is_not_matched() -> None:
    # memcg-lowmem-active-list-aging-4.8: 4.9.14 carries both fixes (its fixed_in); a 4.9.0 i386
    # kernel with HighMem (Klaus Ethgen's report) is matched, 4.9.13 too, 4.9.14 not; a
    # distribution kernel's third number is its base, not a stable level
    fixed = kernel_fixes.stable_fixed
    assert fixed((4, 9, 14), (((4, 9), 14),)) and not fixed((4, 9, 13), (((4, 9), 14),))
    assert not fixed((4, 9, 0), (((4, 9), 14),)) and not fixed((4, 10, 20), (((4, 9), 14),))
    # the report names no release (Klaus Ethgen's i386 X61s, 4.9 in the thread): the release is set
    # on the analysis, as a paste that prints it would
    dump = parse_text(_text(LOWMEM_49))
    rid = "memcg-lowmem-active-list-aging-4.8"
    analysis = evaluate(dump.events[0], dump).analysis
    assert rid in [f.id for f in matches(analysis, unversioned=True)]
    for release, matched in (("4.9.13", True), ("4.9.14", False), ("4.9.14-200.fc25.i686+PAE", True)):
        analysis.kernel, analysis.version = release, (4, 9, int(release.split(".")[2].split("-")[0]))
        assert (rid in [f.id for f in matches(analysis)]) == matched, release


NOVFS = "blog-microfocus-oes11-novfsd-order4"  # support.microfocus.com/kb/doc.php?id=7014973


def test_the_novfs_client_daemon_message_names_the_client_update() -> None:
    # OES 11 SP1: 'novfsd: page allocation failure: order:4, mode:0xd0', no trace
    assert not is_held_out(NOVFS)
    text = _text(NOVFS)
    assert _ids(text) == ["novfs-client-novfsd-order4-growth"]
    assert any("Novell Client for Linux" in s and "7014973" in s and "not a kernel update" in s for s in _steps(text))
    assert _ids(text.replace("novfsd: page", "nfsd: page")) == []
    assert _ids(text.replace("order:4,", "order:1,")) == []

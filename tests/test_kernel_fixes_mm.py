"""Memory-management and filesystem records of knowledge/kernel_fixes.yaml, each on a real public
paste: tests/data/kernel_fixes/ (see its README for the sources) or a corpus case outside fold 0."""

from __future__ import annotations

from pathlib import Path

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from grammar.parse import parse_text
from knowledge.diagnose import evaluate
from knowledge.kernel_fixes import matches

DATA = Path(__file__).resolve().parent / "data" / "kernel_fixes"


def _paste(name: str) -> str:
    return (DATA / name).read_text("utf-8")


def _analysis(text: str):  # type: ignore[no-untyped-def]
    dump = parse_text(text)
    return evaluate(dump.events[0], dump).analysis


def _ids(text: str, **kwargs: bool) -> list[str]:
    return [f.id for f in matches(_analysis(text), **kwargs)]


def _steps(text: str) -> list[str]:
    return [s for f in analyze(text).events[0].findings for s in f.remediation]


def test_regset_core_dump_buffer_on_both_pastes() -> None:
    # https://lore.kernel.org/all/20240205092626.v2.1.Id9ad163b60d21c9e56c2d686b0cc9083a8ba7924@changeid/
    # (ChromeOS 5.15, order 7) and https://github.com/hoytech/strfry/issues/68 (Ubuntu 6.2 arm64)
    for name in ("lore-515-chromeos-regset-get-alloc-order7.log", "gh-strfry-68-regset-get-alloc-order7.log"):
        text = _paste(name)
        assert _ids(text) == ["regset-get-alloc-kzalloc-core-dump"], name
        top = analyze(text).events[0].findings[0]
        assert top.code == "OOM606", name
        assert "regset: use kvzalloc() for regset_get_alloc()" in top.remediation[0]
        assert "LimitCORE=0" in top.remediation[0]
        # a low-order request from the same function comes from the slab and is not this defect
        assert _ids(text.replace("order:7,", "order:2,")) == [], name
        assert _ids(text.replace("__regset_get+", "__regset_put+").replace("regset_get_alloc+", "regset_put_x+")) == []


def test_exfat_allocation_bitmap_array() -> None:
    # https://lore.kernel.org/stable/20230809103635.663586380@linuxfoundation.org/ (the 4.19 trace
    # quoted by daf60d6cca26's changelog: order 4 from load_alloc_bitmap at mount)
    text = _paste("lore-419-exfat-load-alloc-bitmap-order4.log")
    assert _ids(text) == ["exfat-alloc-bitmap-kmalloc-array"]
    steps = _steps(text)[:3]
    assert any("daf60d6cca26" in s and "compact_memory" in s for s in steps)
    assert _ids(text.replace("order:4,", "order:2,")) == []


def test_exfat_upcase_table_on_its_thread() -> None:
    # https://github.com/arter97/exfat-linux/issues/28, a corpus case outside fold 0
    case = "gh-arter97-exfat-linux-28"
    assert not is_held_out(case)
    text = load_case(case)[0].decode()
    assert _ids(text) == ["exfat-upcase-table-kmalloc"]
    assert analyze(text).events[0].findings[0].code == "OOM606"
    assert any("779f03e9" in s for s in _steps(text)[:3])
    assert _ids(text.replace("order:5,", "order:2,")) == []


def test_cma_left_free_before_5_7_needs_the_series_and_free_cma() -> None:
    # https://github.com/raspberrypi/linux/issues/3872 (the reporter's kernel: 5.4.51-v7l+; the
    # pasted report names no release): 513,592 of the 519,112 kB free in DMA is free CMA
    case = "gh-raspberrypi-linux-3872"
    assert not is_held_out(case)
    text = load_case(case)[0].decode()
    rid = "cma-used-only-as-movable-fallback-before-5.7"
    assert _ids(text) == []  # no release printed: only a possible match
    assert _ids(text, unversioned=True) == [rid]
    analysis = _analysis(text)
    analysis.version = (5, 4, 51)
    assert [f.id for f in matches(analysis)] == [rid]
    analysis.version = (5, 7, 0)  # the first release with 16867664936e
    assert [f.id for f in matches(analysis)] == []
    # 3.10 GFP_ATOMIC failures whose free memory is almost all CMA (Michal Hocko's diagnosis)
    for case in ("lore-310-imx6-fec-atomic-cma", "lore-310-arm-8812au-atomic-cma-pool"):
        assert not is_held_out(case)
        text = load_case(case)[0].decode()
        assert _ids(text) == [rid], case
        oom606 = next(f for f in analyze(text).events[0].findings if f.code == "OOM606")
        assert "16867664936e" in oom606.remediation[0] and "cma=" in oom606.remediation[0]
    # a 6.1 kernel (after the fix) with much CMA free, and a 4.7 OOM with no CMA at all
    assert not _ids(load_case("gh-raspberrypi-linux-5297")[0].decode(), unversioned=True)
    assert rid not in _ids(load_case("lore-47-btrfs-send-order2-kstack")[0].decode())


def test_highatomic_reserve_kept_through_an_oom_kill() -> None:
    # https://lore.kernel.org/linux-mm/1476250416-22733-1-git-send-email-minchan@kernel.org/
    # (4.8-rc7: every free block of DMA32 is (H)); the series is in 4.10
    text = _paste("lore-48-highatomic-reserve-oom.log")
    rid = "highatomic-reserve-kept-through-oom-4.4"
    assert _ids(text) == [rid]
    assert any("04c8716f7b00" in s for s in _steps(text)[:3])
    assert _ids(text.replace("4.8.0-rc7", "4.10.0-rc7")) == []  # the first release with the series
    assert _ids(text.replace("4.8.0-rc7", "4.3.0-rc7")) == []  # before MIGRATE_HIGHATOMIC
    # the same report with the blocks on ordinary (unmovable/movable) free lists
    assert _ids(text.replace("(H)", "(UM)")) == []


def test_memory_oom_group_killing_global_init() -> None:
    # https://lore.kernel.org/linux-mm/20190201070226.GC11599@dhcp22.suse.cz/ (5.0.0-rc4-next, Tetsuo
    # Handa's reproducer: the group kill of /test1 killed systemd, pid 1), a corpus case in folds 1-4
    case = "lore-50rc4-memcg-oom-group-kills-init-panic"
    assert not is_held_out(case)
    text = load_case(case)[0].decode("utf-8")
    assert _ids(text) == ["memcg-oom-group-kills-global-init"]
    assert "d342a0b38674" in _steps(text)[0]
    # the same report without the kill of pid 1 (a group kill that spared init, as a fixed kernel's
    # does) is a memory cgroup at its limit, no known defect
    spared = "\n".join(line for line in text.splitlines() if "Killed process 1 (" not in line)
    assert "memcg-oom-group-kills-global-init" not in _ids(spared)


def test_btrfs_read_checksum_array_on_both_pastes() -> None:
    # https://lore.kernel.org/linux-btrfs/0c0ea8d6-b6ed-e942-6380-d720068668f0@o2.pl/ (Debian 5.19.6,
    # md5sum) and the 6.17.0 Raspberry Pi 4 report quoted by cfc7fe2b0f18's changelog as posted for
    # stable (https://lore.kernel.org/all/20251209001610.611575-20-sashal@kernel.org/): order-4
    # GFP_NOFS failures from btrfs_lookup_bio_sums, its csum array kmalloc'ed for the whole bio
    rid = "btrfs-lookup-bio-sums-csum-kmalloc"
    for name in ("lore-519-btrfs-lookup-bio-sums-order4.log", "lore-617-rpi4-btrfs-lookup-bio-sums-order4.log"):
        text = _paste(name)
        assert _ids(text) == [rid], name
        assert any("cfc7fe2b0f18" in s and "kvcalloc" in s for s in _steps(text)[:3]), name
        # an order-2 request is a small array from the slab, not the multi-megabyte read's
        assert _ids(text.replace("order:4,", "order:2,")) == [], name
        assert _ids(text.replace("btrfs_lookup_bio_sums+", "btrfs_csum_one_bio+")) == [], name


def test_btrfs_zoned_mount_zone_array() -> None:
    # Christoph Hellwig's patch mail (6.1.0-rc5: mount's order-6 failure from
    # btrfs_get_dev_zone_info), a corpus case outside fold 0; 8fe97d47b52a kvcalloc's the array
    case = "lore-61rc5-btrfs-zoned-order6-kvcalloc"
    assert not is_held_out(case)
    text = load_case(case)[0].decode()
    assert _ids(text) == ["btrfs-zoned-dev-zone-info-kcalloc"]
    assert any("8fe97d47b52a" in s for s in _steps(text)[:3])
    assert _ids(text.replace("order:6,", "order:2,")) == []
    assert _ids(text.replace("btrfs_get_dev_zone_info+", "btrfs_get_dev_zones+")) == []


def test_nf_conntrack_slab_cache_per_network_namespace() -> None:
    # https://github.com/lijiaocn/lijiaocn.github.io/blob/1e43ecd4533b8646da7a5216b6fa8186ec40d37d/_posts/2017-11-13-problem-unable-create-nf-conn.md
    # (3.10.0-514.el7: order 6 through kmem_cache_create from nf_conntrack_init_net at a container
    # start, then 'Unable to create nf_conn slab cache'); one global cache from 4.7
    text = _paste("code-lijiaocn-el7-nf-conntrack-netns-slab-order6.log")
    rid = "nf-conntrack-per-netns-slab-cache"
    assert _ids(text) == [rid]
    steps = _steps(text)[:3]
    assert any("use single slab cache" in s and "cgroup.memory=nokmem" in s for s in steps)
    assert _ids(text.replace("3.10.0-514.el7", "4.7.0-1.el7")) == []  # the single global cache
    assert _ids(text.replace("3.10.0-514.el7", "2.6.32-754.el6")) == []  # before per-netns caches
    assert _ids(text.replace("nf_conntrack_init_net+", "nf_conntrack_init_x+")) == []
    assert _ids(text.replace("order:6,", "order:2,")) == []

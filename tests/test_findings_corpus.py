"""Diagnosis over the whole corpus: every template renders for every event, the ranking meets the
expert labels, and the seed case says what the product promises."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from oomcases import WAVES, wave_cases, waves_from

from bot.pipeline import analyze
from knowledge.catalogue import CATEGORIES

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
CASE_IDS = sorted(p.name for p in CORPUS.iterdir() if (p / "meta.json").is_file())


@cache
def report(case_id: str):
    return analyze((CORPUS / case_id / "input.log").read_bytes())


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_event_diagnoses_and_renders(case_id):
    # evidence quotes real lines of the paste (repeat findings may quote other events' lines)
    paste_lines = {line.number: line.text for a in report(case_id).events for line in a.event.lines}
    # lines around the report (command output, kernel lines before it) may be quoted as well
    context = report(case_id).dump.context
    context_lines = {c.line.number for c in context.lines} if context else set()
    paste_lines.update({c.line.number: c.line.text for c in (context.lines if context else ())})
    for analysed in report(case_id).events:
        event = analysed.event
        # a watchdog report told with the event (Event.watchdogs) is quoted by its first line
        watchdog_lines = {w.line.number for w in event.watchdogs}
        paste_lines.update({w.line.number: w.line.text for w in event.watchdogs})
        for finding in analysed.findings:
            assert finding.category in CATEGORIES
            assert finding.role in ("root-cause", "contributing", "context")
            assert finding.explanation.strip() and "{{" not in finding.explanation
            assert finding.remediation
            for evidence in finding.evidence:
                for line in evidence.lines:
                    assert paste_lines.get(line.number) == line.text, (finding.code, line)
                    if (
                        finding.code not in ("OOM004", "OOM131")
                        and line.number not in context_lines
                        and line.number not in watchdog_lines
                    ):
                        assert event.first_line <= line.number <= event.last_line, (finding.code, line)
        roles = [f.role for f in analysed.findings]
        assert roles == sorted(roles, key=["root-cause", "contributing", "context"].index)


def _ranked(case_id: str) -> list[str]:
    for analysed in report(case_id).events:
        if analysed.findings:
            return [f.category for f in analysed.findings]
    return []


# The 123 cases the diagnosis was built and its thresholds set on before 2026-12-06 (the shared
# corpus of that date). Cases added since are public pastes no rule was written for in advance.
BASELINE = set((CORPUS / "BASELINE.txt").read_text().split())


def _ranking(case_ids: list[str]) -> tuple[int, int, int]:
    top1 = top3 = total = 0
    for case_id in case_ids:
        meta = json.loads((CORPUS / case_id / "meta.json").read_text())
        expected = [c for c in ((meta.get("expert_diagnosis") or {}).get("categories") or []) if c != "unknown"]
        if not expected:
            continue
        total += 1
        ranked = _ranked(case_id)
        top1 += bool(ranked[:1] and ranked[0] in expected)
        top3 += any(c in expected for c in ranked[:3])
    return top1, top3, total


def test_ranking_meets_expert_labels():
    """The bounds set on the baseline cases hold for them."""
    top1, top3, total = _ranking([c for c in CASE_IDS if c in BASELINE])
    assert total >= 90
    assert top1 / total >= 0.85, (top1, total)
    assert top3 / total >= 0.95, (top3, total)


def test_ranking_on_cases_added_since_does_not_fall():
    """Measured on 2026-12-06 over the 71 labelled cases added that day: top-1 50 (70 %), top-3
    54 (76 %); the whole corpus 147/169 (87 %). After the fragment mechanisms (HighMem read from
    lowmem_reserve, zone-line breakdowns, a sacrificed child's score, a pool without RAM, page
    cache left unreclaimed at a kill): top-1 57 (80 %), top-3 61 (86 %); the whole corpus
    154/169 (91 %). After the partial-paste pointers (OOM103/OOM702, OOM125, OOM303), OOM224,
    OOM502 and the kill score without RAM: top-1 62/71 (87 %), top-3 67/71 (94 %). These floors
    keep what was reached; raise them as the diagnosis improves."""
    top1, top3, total = _ranking([c for c in CASE_IDS if c not in BASELINE | waves_from("SECOND")])
    assert total >= 60
    assert top1 / total >= 0.87, (top1, total)
    assert top3 / total >= 0.94, (top3, total)


# The ranking floors of each wave added after the baseline (tests/corpus/<NAME>_WAVE.txt, oomcases.WAVES):
# (labelled cases at least, top-1 floor, top-3 floor), each what was reached when the wave was added or
# since; raise as the diagnosis improves, never lower. Above each row: what the wave holds and how its
# floors came to be. A floor measured on one set of cases holds for that set; a new, deliberately harder
# set is measured by its own floor rather than diluting the old one's.
WAVE_RANKING: dict[str, tuple[int, int, int]] = {
    # The second wave (SECOND_WAVE.txt) was sought out in the categories the diagnosis was weakest in. On 2026-12-06,
    # after the parser read all of it, the floors below are what was reached; issue 9's 90 % top-1 is over the whole
    # corpus (score.py), not asserted per wave.
    # of 9 labelled, reached on 2026-12-06 (3 before the last diagnosis fixes, 6 before the evening's); raise as the
    # diagnosis improves, never lower
    "SECOND": (8, 7, 7),
    # The third wave (THIRD_WAVE.txt): threads whose expert gave a fix, mostly kernel and driver defects behind high-
    # order allocation failures, labelled before oomlens ran on them. The floors are what was reached when they were
    # added (2026-12-06).
    # of 14 labelled, reached on 2026-12-06 when the wave was added; raise as the diagnosis improves, never lower
    # (8 and 9 when it was added; 9 and 10 with OOM130 on costly orders; 11 and 12 with the kernel-side
    # rules of wt-defects: HighMem evidence for OOM101, GFP_NOIO's missing compaction, OOM225)
    # raised on 2026-12-06 evening: orders 1-3 read like order 0, OOM405, the eighth wave's fixes
    "THIRD": (14, 12, 13),
    # The fourth wave (FOURTH_WAVE.txt): threads whose expert gave a fix (application leaks, a container limit, old
    # kernel and module defects, atomic failures), labelled before oomlens ran on them. The floors are what was
    # reached when they were added (2026-12-06).
    # of 11 labelled, reached on 2026-12-06 when the wave was added (5 and 5 of the first 8; the last 3
    # all first); raise as the diagnosis improves, never lower
    # raised on 2026-12-06 evening: orders 1-3 read like order 0, OOM405, the eighth wave's fixes
    "FOURTH": (11, 9, 9),
    # The fifth wave (FIFTH_WAVE.txt): threads and pull requests whose expert gave a fix (two application leaks fixed
    # by a release or a rollback, an exFAT module's high-order allocation fixed by a commit, two container limits, one
    # of them PostgreSQL's shared_buffers sized for the host; then nine kernel-list threads of 2002-2009: six kernel
    # or driver defects fixed by a patch, behind high-order, atomic, DMA-zone and lowmem failures, one harmless driver
    # fallback, two atomic failures answered with min_free_kbytes; then an OSS sound and an amdgpu driver allocation,
    # a KVM GFP_DMA32 page under a node-1 cpuset, a vendor KB's benign order-2 warning, netfilter's __GFP_NORETRY
    # vmalloc fixed by a patch, a Linode kernel's order-4 network failures fixed by a newer kernel), labelled before
    # oomlens ran on them. The floors are what was reached when they were added (2026-12-06).
    # of 20 labelled, reached on 2026-12-06 when the wave was added (4 and 4 of the first 5, then 5 and 8
    # of the nine kernel-list threads, then 2 and 3 of the six added last: the KVM cpuset case ranks
    # overcommit first, the SUSE KB's benign warning and the Linode case rank fragmentation first, the
    # lone netfilter vmalloc failure line ranks nothing); 12 and 16 once OOM301 named the cpuset that
    # leaves out the DMA32 zone's node (the KVM case), 13 and 17 once OOM609 read the lone partial
    # __GFP_NORETRY vmalloc failure; raise as the diagnosis improves, never lower
    # raised on 2026-12-06 evening: orders 1-3 read like order 0, OOM405, the eighth wave's fixes
    "FIFTH": (20, 14, 18),
    # The sixth wave (SIXTH_WAVE.txt): an OpenZFS commit whose message quotes an order-2 OOM on fragmented memory from
    # the module's contiguous zfs_cmd_t allocation (fixed by vmem in 2.2.0), a mergerfs daemon killed four times with
    # almost no RSS, which its maintainer protected with its own oom_score_adj (2.41.0), a 2.6.29 guest whose
    # virtio_net never refilled its receive ring after a GFP_ATOMIC failure (fixed by the maintainer's refill-on-OOM
    # patch), a DRM patch mail quoting a harmless huge-page failure, and a 3.8-rc order-4 partition-scan allocation
    # fixed by moving it to vzalloc; then three memory-cgroup OOMs caused in the kernel or by writeback (MGLRU no
    # longer waking the flushers for cgroup v1, a soft lockup after a memcg kill on UP kernels, a v1 memcg full of
    # dirty pages with no writeback started); labelled before oomlens ran on them. The floors are what was reached
    # over the whole wave (2026-12-06).
    # of 5 labelled, reached on 2026-12-06 when the wave was added (1 and 1 of the first 2: the OpenZFS
    # case ranks fragmentation first, the mergerfs kill lines rank memcg_limit first and nothing of
    # oom_score_adj; then 2 and 2 of the last 3, two of them in fold 0: the virtio_net refill defect ranks
    # watermarks and a harmless failure, not the driver); raise as the diagnosis improves, never lower.
    # 4 and 4 of 8 when the last three (corpus9) were added: the first five had reached 4 and 4 by then,
    # and the three memcg cases all rank memcg_limit first (their experts: kernel_bug, dirty_writeback_stall);
    # 6 and 6 once the two groups full of dirty page cache ranked OOM404 (dirty_writeback_stall) first
    # raised on 2026-12-06 evening: orders 1-3 read like order 0, OOM405, the eighth wave's fixes
    "SIXTH": (8, 7, 7),
    # The seventh wave (SEVENTH_WAVE.txt): GitHub issues and pull requests whose expert gave a fix: rkt pods of a
    # failing kubelet piling up on CoreOS, open-vm-tools' vmtoolsd leak on an OpenWrt VM, MatrixOne's mo-service
    # growing under TPC-H, four memory-cgroup limits (ironcore's machinepoollet, El Carro's operator, a sysbox-runc
    # test container, runc's CVE-2019-5736 memfd copy in 10 MiB test containers), and two fold-0 cases (counted, never
    # described); labelled before oomlens ran on them. The floors are what was reached over the whole wave
    # (2026-12-06).
    # of 9 labelled, reached on 2026-12-06 when the wave was added (4 and 4: the three container limits
    # read from a memcg header or kill line rank memcg_limit first and the CoreOS case process_hog; the
    # MatrixOne kill line under a cut task table ranks nothing, the order-1 fork OOM without a memory
    # report ranks fragmentation, runc's cut memcg trace reads as a global kill and ranks process_hog);
    # 5 and 5 once a kill line's victim missing from a cut tail of the task table was read as the hog
    # (the MatrixOne case); raise as the diagnosis improves, never lower
    # 7 and 7 once orders 1-3 were read like order 0 and OOM405 read container headers
    "SEVENTH": (9, 7, 7),
    # The eighth wave (EIGHTH_WAVE.txt): mailing-list threads and a vendor engineer's blog whose expert gave a fix -
    # an Ubuntu 4.15 discard loop filling kmalloc-256, the 2011 oom_badness() int overflow scoring a 92 GB hog 1, a
    # 3.13-rc1 memcg charge bypass (score 1010), an i686 reiserfsck with no swap, a memcg list_lru order-5 array and
    # an SMB fallocate order-8 buffer moved to kvmalloc, a test program's mlockall() locking half of RAM, and
    # netfilter NAT's whole-skb copy behind order-3 atomic failures; labelled before oomlens ran on them. The floors
    # are what was reached when they were added (2026-12-06).
    # of 8 labelled, reached on 2026-12-06 (two of them in fold 0, counted, never named): 4 and 4 when
    # the wave was added (the headerless discard-loop report ranks process_hog, the i686 no-swap kill
    # nothing but 'unknown', the overflowed score and the memcg score above 1000 rank process_hog and
    # memcg_limit; their experts: kernel_bug); 5 and 7 once OOM202 read the pre-2.6.28 no-swap kill and
    # OOM602 the impossible kill scores (kernel_bug second and third); 6 and 8 once OOM220 read the
    # discard-loop report's slab table (slab_unreclaimable_leak first); raise as the diagnosis improves,
    # never lower
    "EIGHTH": (8, 6, 8),
    # The ninth wave (NINTH_WAVE.txt): GitHub threads and a blog post whose expert gave a fix - Docker's veth queue
    # array (an order-4 kmalloc per possible CPU) fixed in 6.8 and the 5.15/6.1/6.6/6.7 stable releases, an order-4
    # failure of the docker client on a 3.10 RHEL kernel (update the kernel), a Vagrant VM too small for a ruby build
    # (more VM memory), a swapless CentOS machine killing yum (add swap), Pulsar's integration-test JVM containers
    # outgrowing the CI runner (lower their memory settings), and an order-1 atomic failure on CentOS 6 whose
    # maintainer gave only the update path (category unknown, not ranked); labelled before oomlens ran on them, one of
    # them in fold 0 (counted, never described). The floors are what was reached when they were added (2026-12-06).
    # of 5 labelled (the sixth case's expert gave no cause), reached on 2026-12-06 when the wave was added;
    # raise as the diagnosis improves, never lower
    # (3 and 3: the two kill-line-only pastes of machines too small for their workload - a Vagrant VM, a
    # swapless CentOS host - rank process_hog; their experts: ram_exhausted_no_swap)
    "NINTH": (5, 3, 3),
    # The tenth wave (TENTH_WAVE.txt): a Microsoft Azure support article whose engineers traced a Linux VM that could
    # not boot (a netconfig kill, then `System is deadlocked on memory`) to vm.nr_hugepages reserving the VM's memory;
    # labelled before oomlens ran on it. The floors are what was reached when it was added (2026-12-06).
    # of 1 labelled (none in fold 0), reached on 2026-12-06 when the wave was added: the hugepages
    # reservation ranks first; raise as the diagnosis improves, never lower
    "TENTH": (1, 1, 1),
    # The eleventh wave (ELEVENTH_WAVE.txt): mailing-list reports, patches and replies whose expert gave a fix - a
    # 2.6.35 ARM device's order-3 kmalloc on fragmented memory with no swap (CONFIG_COMPACTION), zoned btrfs's order-6
    # zones array at mount (kvcalloc, 6.1), a 3.19 no-MMU page leak (mm/nommu: fix memory leak), an i686 stk1160
    # capture driver's order-6 buffer on fragmented memory (its keep_buffers option), a 6.10 dma-fence merge that
    # multiplied fences until an order-7 array failed (sort fences in dma_fence_unwrap_merge), and a fold-0 case
    # (counted, never described); labelled before oomlens ran on them. The floors are what was reached when they were
    # added (2026-12-06).
    # of 6 labelled (two in fold 0, counted, never named), reached on 2026-12-06 when the wave was
    # added; raise as the diagnosis improves, never lower
    # (5 and 5: the no-MMU page leak, whose leak shows only in the poster's free(1) runs, ranks
    # fragmentation_high_order; its expert: kernel_bug); 5 and 6 once OOM602 read its report's
    # '-46 pages shared' (a page total below zero: reference counts that went negative)
    "ELEVENTH": (6, 5, 6),
    # The twelfth wave (TWELFTH_WAVE.txt): a Kubernetes JVM pod killed at its 512Mi memcg limit (a blog post, fixed by
    # a 1Gi limit), an AREDN MikroTik router whose dnsmasq ate its 64 MB (the tail of the report only) and Russell
    # King's 3.16 ARM order-2 OOM with free memory only in lowmem CMA pageblocks; labelled before oomlens ran on them.
    # The floors are what was reached when they were added (2026-12-07).
    # of 3 labelled (none in fold 0), reached on 2026-12-07 when the wave was added; raise as the
    # diagnosis improves, never lower
    "TWELFTH": (3, 1, 1),
    # The thirteenth wave (THIRTEENTH_WAVE.txt): GitHub issues whose fix is the workload's own lever or release -
    # FedTree built with an unbounded `make -j` on a 16 GB laptop filled RAM and its 2 GB of swap (the paste: the end
    # of Mem-Info and an empty task table), fixed by the reporter with `make -j 4`; influxd killed during a bulk load
    # (two RHEL 6 kill lines), whose maintainers pointed to the next release's cache limits or more RAM; labelled
    # before oomlens ran on them. The floors are what was reached when they were added (2026-12-07).
    # of 2 labelled (none in fold 0), reached on 2026-12-07 when the wave was added: swap_exhausted and
    # process_hog rank first; raise as the diagnosis improves, never lower
    "THIRTEENTH": (2, 2, 2),
    # The fourteenth wave (FOURTEENTH_WAVE.txt): GitHub issues of infrastructure projects whose maintainers gave the
    # fix; one case, in fold 0 (counted, never described); labelled before oomlens ran on it. The floors are what was
    # reached when it was added (2026-12-07).
    # of 1 labelled (in fold 0, counted, never named), reached on 2026-12-07 when the wave was added;
    # raise as the diagnosis improves, never lower
    "FOURTEENTH": (1, 1, 1),
    # The fifteenth wave (FIFTEENTH_WAVE.txt): GitHub issues whose maintainers gave the fix - OpenRC's openrc-run.sh
    # setting a service's cgroup v2 memory.max to 0 (a memcg OOM raised by the memory.max write itself; fixed in
    # OpenRC 0.43), a Prometheus 2.0 server OOMed by a day-long avg_over_time over every series (shorter, fewer
    # queries or more RAM), and nix-build killed at 6 GB evaluating the NixOS installer tests on a 16 GB desktop (a
    # machine with more RAM); labelled before oomlens ran on them. The floors are what was reached when they were
    # added (2026-12-07).
    # of 3 labelled (none in fold 0), reached on 2026-12-07 when the wave was added: memcg_limit and
    # process_hog rank first; raise as the diagnosis improves, never lower
    "FIFTEENTH": (3, 3, 3),
    # The sixteenth wave (SIXTEENTH_WAVE.txt): Q&A sites, blogs and vendor knowledge bases whose expert or author gave
    # the cause and the fix; three blog posts, all in folds 1-4; labelled before oomlens ran on them. The floors are
    # what was reached when it was added (2026-12-07).
    # of 3 labelled, reached on 2026-12-07 when the wave was added (the droplet postmortem's lone kill
    # line, a 133 MiB victim, names no cause); raise as the diagnosis improves, never lower
    "SIXTEENTH": (3, 2, 2),
    # The seventeenth wave (SEVENTEENTH_WAVE.txt): kernel mailing-list reports of a kernel or driver defect whose fix
    # is an upstream commit the maintainer applied; labelled before oomlens ran on them. The floors are what was
    # reached when it was added (2026-12-07).
    # of 2 labelled (both in folds 1-4), reached on 2026-12-07 when the wave was added; raise as the
    # diagnosis improves, never lower
    "SEVENTEENTH": (2, 2, 2),
    # The eighteenth wave (EIGHTEENTH_WAVE.txt): GitHub issues whose maintainers gave the cause and the fix - Open
    # CAS's cas_cache module starting a cache the RAM could not hold (an over-optimistic free-memory check, reverted
    # in PR #631), an NVIDIA 455 nvidia-modeset order-4 kmalloc failing under picom (kvmalloc in driver 460), three
    # container limits met with the workload's own lever (Kibana's node heap capped with --max-old-space-size, twice;
    # consul-k8s's init container limit raised above the binary its cp copies), and minikube's mysqld sized by the
    # open-files limit its v1.5 ISO raised (fs.nr_open); labelled before oomlens ran on them. The floors are what was
    # reached when it was added (2026-12-07).
    # of 6 labelled (one in fold 0, counted, never named), reached on 2026-12-07 when the wave was added
    # (the Open CAS paste - a kill line and a header cut in its trace - ranks a process first); raise as
    # the diagnosis improves, never lower
    "EIGHTEENTH": (6, 5, 5),
    # The nineteenth wave (NINETEENTH_WAVE.txt): kernel mailing-list threads that end with a fix or a maintainer's
    # verdict (three kernel or driver allocations fixed by a commit, two harmless failures whose caller falls back);
    # labelled before oomlens ran on them. The floors are what was reached when it was added (2026-12-07).
    # of 5 labelled (all in folds 1-4): 3 and 3 on 2026-12-07 when the wave was added (the qed driver's
    # kdump-kernel order-6 failure and the ION heap's order-4 attempt, which falls back to order 0, led with
    # fragmentation); 4 and 4 since OOM501 counts a caller that retries at a smaller order
    # (clues.ORDER_FALLBACK). The qed case stays: nothing reads a kdump kernel from a paste. Raise as the
    # diagnosis improves, never lower
    "NINETEENTH": (5, 4, 4),
    # The twentieth wave (TWENTIETH_WAVE.txt): a Q&A site's question, a homelab incident write-up and two blog posts,
    # all read in public repositories, whose asker or author gave the cause and the fix - a Proxmox host whose VMs
    # were given all of its 16 GB (a smaller VM, more host RAM), Apache's per-request CGI children filling a 1 GB VPS
    # and its swap (Nginx + PSGI), Overpass's importer filling an OpenVZ VPS (update_database --flush-size=1),
    # Apache's prefork defaults on a 256 MB box (fewer clients); one in fold 0 (counted, never described); labelled
    # before oomlens ran on them. The floors are what was reached when it was added (2026-12-07).
    # of 4 labelled (one in fold 0, counted, never named): 2 and 2 when the wave was added (2026-12-07:
    # of the three in folds 1-4 the Proxmox host's two grep-filtered kvm lines rank process_hog first,
    # and the OpenVZ beancounter kill line inside the Q&A page's HTML was not found at all); 3 and 3
    # since the page's HTML is read as text and the beancounter kill line as a kill line (OOM225);
    # raise as the diagnosis improves, never lower
    "TWENTIETH": (4, 3, 3),
    # The twenty-first wave (TWENTYFIRST_WAVE.txt): GitHub issues whose maintainers gave the cause and the fix -
    # prometheus OOM-killed on 8 GB neonKUBE worker VMs (12 GB per worker), Harvester's monitoring Prometheus killed
    # at its container limit (the limit raised and made configurable), osm2pgsql killed importing Europe (a machine
    # with at least 32 GB) and picam 2.0.1 leaking on a Raspberry Pi 3 (fixed in picam 2.0.4); labelled before oomlens
    # ran on them. The floors are what was reached when it was added (2026-12-07).
    # of 4 labelled (all in folds 1-4): 3 and 4 on 2026-12-07 when the wave was added (picam's lone kill
    # line, a 603 MiB victim, led with a small machine rather than the application's growth); 4 and 4
    # since the model string of a Raspberry Pi sold with one RAM size gives the RAM
    # (knowledge.surroundings BOARD_RAM_MB: its Pi 3 B+ has 1 GB, so OOM201 weighs the victim's 59%).
    # Raise as the diagnosis improves, never lower
    "TWENTYFIRST": (4, 4, 4),
    # The twenty-second wave (TWENTYSECOND_WAVE.txt): kernel bugzilla reports forwarded to linux-mm whose thread ends
    # with a fix - a memcg OOM followed by a use-after-free in mem_cgroup_oom_notify (Michal Hocko's 'memcg:
    # oom_notify use-after-free fix', 2bcf2e92c391) and a 2.6.21-mm2 SLUB order-2 atomic slab failure cured by the -mm
    # allocator patches; labelled before oomlens ran on them. The floors are what was reached when it was added
    # (2026-12-07).
    # of 2 labelled (both in folds 1-4), reached on 2026-12-07 when the wave was added (the memcg case
    # counted through its second category, memcg_limit; since OOM611 it leads with kernel_bug, the crash
    # in the OOM path); raise as the diagnosis improves, never lower
    "TWENTYSECOND": (2, 2, 2),
    # The twenty-third wave (TWENTYTHIRD_WAVE.txt): GitHub issues and linux-mm threads whose maintainer, operator or
    # kernel developer gave the cause and the fix - a JupyterHub kernel killed at its container's 1 GB limit (the
    # operator's limit), anaconda's swapoff pulling 2 GB of swap into a 1.75 GB VM (negative 'Free swap' is normal
    # during swapoff; the caller of swapoff is the fix), 3.5-rc's oom_badness() arithmetic scoring dbus-daemon at
    # oom_score_adj -900 above the fuzzer that held the memory (David Rientjes' patch); one in fold 0 (counted, never
    # described); labelled before oomlens ran on them. The floors are what was reached when it was added (2026-12-07).
    # of 4 labelled (one in fold 0, counted, never named): 1 and 2 on 2026-12-07 when the wave was added (of
    # the three in folds 1-4 the swapoff report ranks its category first; the Jupyter kernel's lone header,
    # with nothing that names a container, led with the process's own growth; the oom_badness() overflow,
    # a kill of a 4 kB task with oom_score_adj -900 from a cut task table, got no category).
    # Raise as the diagnosis improves, never lower
    # 2 and 3 once a global kill's score above 1000 for a task of one page was read as OOM602's scoring defect
    # (tests/test_advice_gaps.py)
    "TWENTYTHIRD": (4, 2, 3),
    # The twenty-fourth wave (TWENTYFOURTH_WAVE.txt): GitHub issues whose thread gives the cause and the fix - Jenkins
    # X's pipelinerunner pod, whose 256Mi memory-cgroup limit killed yum (two old-format kill lines in a code fence;
    # the limit raised to 512Mi, then in the chart), and PhotoPrism's indexer killed on a Docker host without swap
    # (one kill line retyped by hand; the maintainer's troubleshooting guide, then swap added); both in folds 1-4;
    # labelled before oomlens ran on them. The floors are what was reached when it was added (2026-12-07).
    # of 2 labelled (both in folds 1-4): 1 and 1 on 2026-12-07 when the wave was added (the pipelinerunner pod
    # leads with memcg_limit; PhotoPrism's lone kill line, which shows no swap figures, led with the process's
    # own size, process_hog, not ram_exhausted_no_swap). Raise as the diagnosis improves, never lower
    "TWENTYFOURTH": (2, 1, 1),
    # The twenty-fifth wave (TWENTYFIFTH_WAVE.txt): linux-mm and LKML threads (not GitHub) whose kernel developer gave
    # the cause and the fix - a 3.10 ARM board that panicked 'Out of memory and no killable processes' after three
    # kills (David Rientjes: every task was a kernel thread or had oom_score_adj -1000), and a 2.6.18-rc1 boot-time
    # OOM on a 32 GB NUMA-Q machine from alloc_fdtable() sizing the fd table wrongly (Andrew Morton's alloc_fdtable-
    # expansion-fix); one in fold 0 (counted, never described); labelled before oomlens ran on them. The floors are
    # what was reached when it was added (2026-12-07).
    # of 3 labelled (one in fold 0, counted, never named): 0 and 0 on 2026-12-07 when the wave was added (the
    # ARM panic after three score-0 kills, a 32-bit kernel, led with lowmem exhaustion, not the
    # oom_score_adj -1000 protection David Rientjes named; the NUMA-Q boot OOM, whose 'Killed process' line
    # with the MPOL_BIND message is not read, led with lowmem exhaustion, vmalloc space and kernel overhead,
    # not the kernel defect). Raise as the diagnosis improves, never lower
    # 1 and 1 once the kills of tiny tasks that end in 'no killable processes' were read as that incident
    # (OOM003 on the run's first kill; tests/test_advice_gaps.py)
    "TWENTYFIFTH": (3, 1, 1),
    # The twenty-sixth wave (TWENTYSIXTH_WAVE.txt): GitHub issues and a pull request whose maintainer or reporter gave
    # the cause and the fix - SUSE Manager's CI controller whose cucumber ruby process held 16 GB (more memory for
    # the VM, later reverted), mailcow's rspamd grown by its configuration (mailcow's rspamd config commits), and
    # NFS-Ganesha on Gluster with cache-invalidation (upgrade Ganesha 2.7.5 / Gluster 6.4, or disable the option);
    # one in fold 0 (counted, never described); labelled before oomlens ran on them. The floors are what was reached
    # when it was added (2026-12-07): of 4 labelled, 4 and 4. Raise as the diagnosis improves, never lower
    "TWENTYSIXTH": (4, 4, 4),
    # The twenty-seventh wave (TWENTYSEVENTH_WAVE.txt): linux-mm, LKML, stable, linux-fsdevel and xen-devel threads
    # (not GitHub) whose expert gave the cause and a concrete fix - three high-order GFP_KERNEL allocations fixed in
    # the kernel (5.10 bnxt_en's order-5 TPA array, accd7e23693a; 5.4 arm64 Xen privcmd's order-4 page array moved
    # to kvcalloc; a 5.10 /proc/sys read of 128 kB needing 256 kB contiguous, 'upgrade your kernel') and a
    # 5.0-rc4-next memcg OOM whose memory.oom.group kill took systemd and panicked ('mm,oom: don't kill global init
    # via memory.oom.group', d342a0b38674); one in fold 0 (counted, never described); labelled before oomlens ran
    # on them. The floors are what was reached when it was added (2026-12-07): 5 and 5 of 5.
    "TWENTYSEVENTH": (5, 5, 5),
    # The twenty-eighth wave (TWENTYEIGHTH_WAVE.txt): incident write-ups kept in public repositories, each with the
    # kernel's kill line and the operator's or author's cause and fix - a Claude Code subprocess killed at 42 GB on an
    # orchestrator host (capped with prlimit), an OpenVZ beancounter kill of mysqld on a 1 GB VPS whose php-fpm pool
    # filled it (pm = ondemand, pm.max_children = 5), Airflow task processes killed at a Celery worker's memory cgroup
    # (fewer concurrent tasks, then a task that holds less), a security scanner killed by its systemd unit's 512M
    # memory cgroup (raised to 2G, smaller scans); none in fold 0; labelled before oomlens ran on them.
    # The floors are what was reached when it was added (2026-12-07).
    # of 3 labelled (all in folds 1-4): 2 and 2 on 2026-12-07 when the wave was added (the Claude subprocess leads
    # with process_hog, the Airflow kill with memcg_limit; the beancounter line, its UB number masked as XXXX by the
    # author, was not read as an event), 3 and 3 since a masked beancounter number is read
    # (tests/test_twentyeighth_wave_gaps.py: the lone kill line then leads with the victim's growth, process_hog);
    # of 4 with the security scanner: 3 and 3 (its kill message, wrapped after 'Memory cgroup out of memory:', read
    # as a global kill: process_hog), 4 and 4 since the wrapped message is one line again (memcg_limit).
    # Raise as the diagnosis improves, never lower
    "TWENTYEIGHTH": (4, 4, 4),
    # The twenty-ninth wave (TWENTYNINTH_WAVE.txt): GitHub issues whose maintainer, developer or reporter gave the
    # cause and the fix - Nomad exec-driver tasks that inherited the agent's oom_score_adj -1000 so the OOM killer
    # found no killable process (nomad PR #10698 resets it), and OpenPAI services on an Azure Kubernetes node whose
    # oom_score the developers lowered; one in fold 0 (counted, never described); labelled before oomlens ran on
    # them. The floors are what was reached when it was added (2026-12-07): of 3 labelled, 2 and 2 (the OpenPAI
    # kill lines, a python job selected with score 998, led with the process hog, not oom_score_adj). Raise as
    # the diagnosis improves, never lower
    "TWENTYNINTH": (3, 2, 2),
    # The thirtieth wave (THIRTIETH_WAVE.txt): GitHub issues whose expert or reporter gave the cause and the fix -
    # an Apache Druid broker JVM whose -Xmx24g heap plus 28 GB MaxDirectMemorySize exceed its 30 GB host, and
    # Eclipse Jifa's -Xms64g/-Xmx64g JVM killed while parsing a 47 GB heap dump (lower the heap); none in fold 0;
    # labelled before oomlens ran on them. The floors are what was reached when it was added (2026-12-07): of 2
    # labelled, 2 and 2 (both kill-line pastes lead with the JVM as the process hog). Raise as the diagnosis
    # improves, never lower
    "THIRTIETH": (2, 2, 2),
    # The thirty-first wave (THIRTYFIRST_WAVE.txt): LKML threads whose expert's fix is a kernel tuning or
    # configuration change rather than a code fix - a 2.6.8.1 HIGHMEM NFS/XFS server whose lowmem the slab filled
    # every night until vm.min_free_kbytes went from ~900K to 32768 (William Lee Irwin agreed), a 64 MB tulip box
    # with order-0 atomic skb failures (Andrew Morton: increase min_free_kbytes), a 2.6.17.6 e1000 at MTU 9000 with
    # order-3 atomic failures (Benjamin LaHaise: fragmentation; a 2G/2G split and more min_free_kbytes; 65000 made
    # it work); none in fold 0; labelled before oomlens ran on them. The floors are what was reached when it was
    # added (2026-12-07): of 3 labelled, 2 and 2 (the e1000 paste starts with the Mem-Info tail of an earlier,
    # cut report: its first event is a fragment with no cause); top-3 3 once that tail named no cause (the
    # failure's fragmentation reading among its first three). Raise as the diagnosis improves, never lower
    "THIRTYFIRST": (3, 2, 3),
    # The thirty-second wave (THIRTYSECOND_WAVE.txt): GitHub issues of applications whose maintainer, developer or
    # reporter gave the cause and the fix - OpenSearch k-NN IVF-PQ indices whose precomputed tables per segment
    # outgrew an aarch64 node (k-NN 2.13), nginx on USTC LUG's too-small reverse proxy (raised to 2 GB), a restic
    # backup on a machine with swap disabled (swap added), minio in a 4 GB LXC container sizing its cache from the
    # host's 251 GB (minio PR #4002 reads the cgroup limit); one in fold 0 (counted, never described); labelled
    # before oomlens ran on them. The floors are what was reached when it was added (2026-12-07): of 5 labelled,
    # 4 and 4. Raise as the diagnosis improves, never lower
    "THIRTYSECOND": (5, 4, 4),
    # The thirty-third wave (THIRTYTHIRD_WAVE.txt): kernel-list threads (linux-media, linux-mm, linux-parisc, stable)
    # whose expert gave a kernel or driver fix - an OMAP1 camera's order-6 videobuf mmap on a 32 MB ARM board
    # (reserve the DMA memory at probe), the oom_reaper's race with an exiting victim on 4.6-rc7 (e2fe14564d33),
    # memory hotplug's harmless order-9 vmemmap failures (__GFP_NOWARN, fcdaf842bd8f), a PA-RISC box's boot-time
    # order-0 failure in set_fixmap() before the page allocator had memory (c2ff2b736c41), nouveau's order-7 GSP
    # radix3 page table on runtime suspend (6f572a805457); one in fold 0; labelled before oomlens ran on them. The
    # floors are what was reached when it was added (2026-12-07): of 5 labelled, 2 and 3. Raise as the diagnosis
    # improves, never lower
    "THIRTYTHIRD": (5, 2, 3),
    # The thirty-fourth wave (THIRTYFOURTH_WAVE.txt): GitHub issues of virtualisation and storage projects whose
    # maintainers gave the cause and the fix - MicroCeph's tutorial VMs at LXD's default 1 GiB (PR #118 launches them
    # as m1.large), a MicroCloud tutorial run nested in a Multipass VM whose nested guest's qemu was killed (more
    # memory for the VMs; PR #237), Concourse workers on GKE's 4.14 kernel whose iptables table vmalloc with
    # __GFP_NORETRY failed (a newer node image kernel); one in fold 0 (counted, never described); labelled before
    # oomlens ran on them. The floors are what was reached when it was added (2026-12-07): of 3 labelled, 2 and 2
    # (the MicroCloud kill lines, a qemu whose 2 GB of guest RAM is shmem, led with the process hog alone). Raise as
    # the diagnosis improves, never lower
    "THIRTYFOURTH": (3, 2, 2),
    # The thirty-fifth wave (THIRTYFIFTH_WAVE.txt): GitHub issues of a compiler service, an encrypted filesystem and
    # an association's servers whose maintainer, contributor or operators gave the cause and the fix - Compiler
    # Explorer's 4 GB instance running four compiles of up to 1.25 GB each beside its node server (one task-dump
    # row copied from Papertrail), CryFS 0.10's mount-time key derivation beyond a Pinebook Pro (create the volume
    # with 0.9.11), Mastodon's ruby in a 2 GB LXC container (its swap raised to 1 GB); one in fold 0 (counted,
    # never described); labelled before oomlens ran on them. The floors are what was reached when it was added
    # (2026-12-07): of 4 labelled, 2 and 3 (the Papertrail row is not read as an event, so that case has no
    # finding). Raise as the diagnosis improves, never lower
    "THIRTYFIFTH": (4, 2, 3),
    # The thirty-sixth wave (THIRTYSIXTH_WAVE.txt): GitHub issues of applications in domains the corpus had little
    # of (a backup tool, an analytic database) whose reporter or developers gave the cause and the fix - duplicity
    # grown to 12 GB during a backup (fixed by duplicity 0.7.19), MatrixOne's mo-service at 228 GB on TPC-H Q5 (a
    # wrong join order, fixed in the database); one in fold 0 (counted, never described); labelled before oomlens
    # ran on them. The floors are what was reached when it was added (2026-12-07): of 2 labelled, 2 and 2. Raise as
    # the diagnosis improves, never lower
    "THIRTYSIXTH": (2, 2, 2),
    # The thirty-seventh wave (THIRTYSEVENTH_WAVE.txt): LKML, linux-mm and stable threads ending on a kernel fix or a
    # tuning change - exFAT's order-4 vol_amap array on a 4.19 Android mount (kvmalloc_array; the paste a kernel_fixes
    # record was written from, so no unseen test), the fast watermark check that ignored the highatomic reserve (two
    # order-0 failures, f27ce0e14088), a 5.4 GFP_ATOMIC failure whose zram maintainer pointed to vm.min_free_kbytes,
    # a kdump kernel's GFP_DMA slab failure with no managed DMA pages (warning silenced, c4dc63f0032c); none in fold
    # 0; labelled before oomlens ran on them. The floors are what was reached when it was added (2026-12-07): of 4
    # labelled, 3 and 3 (the highatomic case leads with unaccounted memory, then no cause). Raise as the diagnosis
    # improves, never lower
    "THIRTYSEVENTH": (4, 3, 3),
    # The thirty-eighth wave (THIRTYEIGHTH_WAVE.txt): GitHub issues of applications whose reporter or maintainers gave
    # the cause and the fix - a Soltra appliance's CRITs adapter (python2.7) in a 4 GB VirtualBox VM, two grep -H lines
    # prefixed with the rotated file's name (the reporter doubled the VM's RAM); Islandora Workbench's python3 at 24.6
    # GiB, mail-wrapped kill lines (its requests_cache moved from memory to SQLite); cqlite's ws0 fixture generator at
    # 30.5 GB, kill lines abridged by the poster (a generator that no longer materialises the boundary-label product);
    # none in fold 0; labelled before oomlens ran on them. The floors are what was reached when it was added
    # (2026-12-07): of 3 labelled, 2 and 2 (the grep-prefixed lines were not read as an event; once grep's file-name
    # prefix was read, that case leads with the process hog, not a VM too small for it). Raise as the diagnosis
    # improves, never lower
    "THIRTYEIGHTH": (3, 2, 2),
    # The thirty-ninth wave (THIRTYNINTH_WAVE.txt): kernel-list threads (linux-usb, linux-scsi, selinux,
    # linux-fsdevel, linux-input) with a maintainer's fix or reading - the ChipIdea UDC's sg support for an
    # order-4 f_fs buffer on a 256 MB i.MX8MN, sd_zbc's REPORT ZONES buffer moved from __vmalloc to kvzalloc
    # (7ce3e6107103), SELinux AVC GFP_NOWAIT failures in Android logcat form silenced (648f2c6100cf), LTP
    # madvise09 killed at its own 8 MB memory cgroup, evdev's order-3 kzalloc OOM panic on 32-bit ARM
    # (kvzalloc, 7f439bc2d7e8); none in fold 0; labelled before oomlens ran on them. The floors are what was
    # reached when it was added (2026-12-07): of 5 labelled, 3 and 4 (the sd_zbc vmalloc-error line got no
    # finding; the evdev panic leads with oom_score_adj protection, the high-order finding second); 4 and 5 once
    # OOM609 read the 5.13+ 'vmalloc error: size N, ... failed to allocate pages' wording (tests/
    # test_thirtyninth_wave_gaps.py). Raise as the diagnosis improves, never lower
    "THIRTYNINTH": (5, 4, 5),
    # the sixth session's four waves, held back in tests/pending until the eighth session (FORMAT.md): measured when
    # they moved (the discordjs case, read whole, is OOM226's small machine first: a 148 MB node on a 256 MB machine,
    # where its authors bounded discord.js's caches). Raise as the diagnosis improves, never lower
    "FORTIETH": (4, 2, 2),
    "FORTYFIRST": (3, 3, 3),
    "FORTYSECOND": (4, 4, 4),
    "FORTYTHIRD": (3, 2, 2),
    # The forty-fifth wave (FORTYFIFTH_WAVE.txt): GitHub issues found by search queries fixed in advance (JVM and
    # build jobs in containers and on small machines, page allocation failures) - a Temurin 21 JVM in Docker whose
    # C2 compiler leaked native memory until its memcg killed it (JDK-8340824; its '<hostname>'-redacted syslog lines
    # were a parser gap when the wave was added, read since), cc1plus killed at 2.9 GiB building
    # mlpack on a laptop (the build finished with the other programs closed), node_exporter's order-5 failure pasted
    # as the issue title (a contributor: fragmentation); none in fold 0; labelled before oomlens ran on them. The
    # floors are what was reached when it was added (2026-12-07 evening): of 3 labelled, 2 and 2 (the build case
    # leads with the compiler as a process hog, not with a machine too small for the build and the desktop). Raise
    # as the diagnosis improves, never lower. Top-1 1 since the same evening: the JVM case's 2 was the parser's
    # miss, not the diagnosis's - with its '<hostname>' lines unread, only the header's fragment was left and its
    # OOM201 matched the label by chance; read whole, it is the memcg kill it is (OOM401 first; the expert blames
    # the JVM's leak, which the kernel's lines cannot show), so the floor measured on the misread was wrong
    "FORTYFIFTH": (3, 1, 2),
    # The forty-sixth wave (FORTYSIXTH_WAVE.txt): public cases found by query families fixed in advance (Q&A sites,
    # write-ups kept in repositories, mailing lists, workload trackers) - a Python scheduler in Docker killed by the
    # global OOM killer on a 2 GB t3.small (its leak), mysqld killed at startup on a 490 MB VM (Performance Schema),
    # a Ruby property test and a Python readline() loop that grew one allocation from their input (process hogs),
    # btrfs on lvmcache with order-0 GFP_NOWAIT failures on 5.0.4-5.0.10 (kernel_bug: a 5.0.y regression and a
    # KASAN build), a Pi 5 rtw88_usb order-3 GFP_ATOMIC failure on fragmented memory (fragmentation and the
    # min_free_kbytes reserve), Harvester's virt-launcher pods whose limit killed QEMU (memcg_limit), an OOM kill
    # with an empty highatomic reserve subtracted from free memory (kernel_bug), a Ruby crawler grown to 15 GB on
    # EC2 (process_hog); none in fold 0; labelled before oomlens ran on them. The floors are what was reached when it
    # was added (2026-12-07 evening): of 9 labelled, 8 and 8 (the btrfs mail's first event, the quoted GFP_NOWAIT
    # header alone, leads with a harmless NOWAIT failure and its findings hold no kernel_bug). Raise as the diagnosis
    # improves, never lower
    "FORTYSIXTH": (9, 8, 8),
    # The forty-seventh wave (FORTYSEVENTH_WAVE.txt): public cases found by exact kernel strings fixed in advance, in
    # write-ups kept in repositories and kernel-list threads - an out-of-tree LKRG module's order-7 GFP_ATOMIC slab
    # allocation on 5.13.14 (fragmentation and the module's allocation path), a Mesos/Docker java killed at its 4 GB
    # container limit, a ZFS machine whose uncapped ARC left a 100 GB MemoryMax slice no room (unaccounted memory and
    # the slice's limit), a Compose scheduler killed at its 2 GiB limit by a job's unbounded query (its report stops at
    # the cause), a 2.6.11 kill for a __GFP_DMA request of the SCSI disk driver (DMA zone and the driver's needless
    # GFP_DMA); two in fold 0 (counted, never described); labelled before oomlens ran on them. The floors are what was
    # reached when it was added (2026-12-07 evening): of 7 labelled, 7 and 7. Raise as the diagnosis improves, never
    # lower
    "FORTYSEVENTH": (7, 7, 7),
}


@pytest.mark.parametrize("wave", sorted(WAVE_RANKING))
def test_ranking_on_each_wave_does_not_fall(wave: str) -> None:
    """A later wave's ranking holds its own floors (printed, so a run shows the figures)."""
    cases, top1_floor, top3_floor = WAVE_RANKING[wave]
    top1, top3, total = _ranking(sorted(wave_cases(wave) & set(CASE_IDS)))
    print(f"{wave.lower()} wave: top-1 {top1}/{total}, top-3 {top3}/{total}")
    assert total >= cases
    assert top1 >= top1_floor, (top1, total)
    assert top3 >= top3_floor, (top3, total)


def test_every_wave_has_ranking_floors() -> None:
    """A new wave gets its row in WAVE_RANKING when it is added."""
    assert sorted(WAVE_RANKING) == sorted(WAVES)


@pytest.mark.parametrize("case_id", ["seed-rsync-32bit", "seed-whole-post"])
def test_seed_leads_with_lowmem_on_32bit(case_id):
    analysed = report(case_id).events[0]
    top = analysed.findings[0]
    assert top.category == "lowmem_exhaustion"
    assert top.confidence >= 0.85
    for text in (
        "32-bit",
        "8056 kB",
        "8048 kB",
        "HighMem still has 549 MiB free",
        "32 GiB",
    ):  # sizes in IEC units (knowledge.units)
        assert text in top.explanation, text
    quoted = {e.name: e for e in top.evidence}
    assert quoted["normal_free_kb"].value == 8056 and quoted["normal_min_kb"].value == 8048
    assert any("Normal free:8056kB min:8048kB" in line.text for line in quoted["normal_free_kb"].lines)
    assert "64-bit" in top.remediation[0]
    assert "mem=16G" in top.remediation[1]
    tuning = [step for step in top.remediation if "lowmem_reserve_ratio" in step or "min_free_kbytes" in step]
    assert tuning and all(step.startswith("Weaker option") for step in tuning)
    assert "pagetables_kernel_overhead" in [f.category for f in analysed.findings[:3]]


def test_remediation_fits_the_kernel_version():
    """A 3.2 kernel has no cgroup v2 and prints no oom-kill: summary line."""
    for case_id in ("seed-rsync-32bit", "gh-marathon-2874"):
        for analysed in report(case_id).events:
            for finding in analysed.findings:
                text = " ".join(finding.remediation) + finding.explanation
                assert "memory.max" not in text and "MemoryMax" not in text, (case_id, finding.code)
                assert "oom-kill:" not in text


def test_kubernetes_and_container_remediation():
    analysed = report("code-carstengrohmann-oomanalyser-proxmox").events[0]
    top = analysed.findings[0]
    assert top.category == "memcg_limit"
    assert any("LXC" in step or "container" in step for step in top.remediation)

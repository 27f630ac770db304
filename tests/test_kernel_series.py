"""The upgrade path of a kernel or driver defect is worded for the dump's release (issue 13).

"Update to the latest stable release of its series" is wrong for a release candidate (it has no
stable release), for a longterm series whose maintenance ended (its last release lacks later
fixes), for a plain stable series (kernel.org stops its updates soon after the next release) and
for a distribution kernel (its fixes come as the distribution's update). Sources:
knowledge/kernel_series.yaml (kernel.org releases.html and its earlier revisions). Every case used
here is in folds 1-4 (tests/oomcases.is_held_out).
"""

from __future__ import annotations

import re

import pytest
from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from knowledge.kernel_series import table, upgrade_path

CASES = (
    "gh-openzfs-zfs-16566",
    "lore-30-xen-iostat-order2-dma32-fragmented",
    "lore-57next-xorg-vm-fault-oom-no-shortage",
    "gh-zen-kernel-zen-kernel-288",
    "gh-docker-for-linux-1001-op",
    "lore-2626mm2-oom-init-zero-anon-split-lru",
    "lore-518rc3-armv7-swap-over-nfs-writehdr-alloc",
    "lore-2626-amd64-sysrq-order0-swap-weirdness",
)


def _first_three(case: str) -> list[str]:
    report = analyze(load_case(case)[0])
    event = next(e for e in report.events if e.findings)
    return [step.text for _code, step in event.diagnosis.steps[:3]]


def test_the_cases_are_not_held_out() -> None:
    assert not any(is_held_out(case) for case in CASES)


@pytest.mark.parametrize(
    ("release", "kind", "says"),
    [
        ("6.12.0-rc3", "development", "the final 6.12 release"),
        ("5.7.0-rc5-next-20200515+", "development", "a linux-next tree"),
        ("2.6.26-rc5-mm2", "development", "an -mm tree"),
        ("5.4.69", "ended", "ended in December 2025 with 5.4.302, 233 releases after 5.4.69"),
        ("4.14.84", "ended", "ended in January 2024 with 4.14.336, 252 releases after 4.14.84"),
        ("4.19", "ended", "ended in December 2024 with 4.19.325, so"),
        ("4.7.1fw", "stable", "4.7 was not a longterm series"),
        ("6.6.30", "maintained", "the latest 6.6.y release"),
        ("4.14.84-coreos", "distribution", "Flatcar"),
        ("3.0.58-0.6.6-xen", "distribution", "zypper"),
        ("3.10.0-693.21.1.el7.x86_64", "distribution", "yum update kernel"),
        ("5.14.0-651.el9.x86_64", "distribution", "dnf update kernel"),
        ("5.4.0-29-generic", "distribution", "Ubuntu"),
        ("6.1.0-50-686-pae", "distribution", "Debian"),
        ("6.17.8-300.fc43.x86_64", "distribution", "Fedora"),
        ("2.6.35.11-smp", "old", "long out of kernel.org maintenance"),
        (None, "unknown", "uname -r"),
    ],
)
def test_the_path_follows_the_release(release: str | None, kind: str, says: str) -> None:
    path = upgrade_path(release)
    assert path.kind == kind, path
    assert says in path.text, path.text
    if kind != "maintained":
        # only a series kernel.org still maintains has a "latest stable release" that helps
        assert "latest stable release of its series" not in path.text


def test_every_maintained_series_is_a_longterm_one_and_no_ended_series_is_maintained() -> None:
    t = table()
    assert set(t.maintained) <= set(t.longterm)
    assert not any(t.longterm[series] for series in t.maintained)


def test_a_release_candidate_with_an_out_of_tree_module_gets_the_next_build_and_the_module() -> None:
    # 6.12.0-rc3 tainted P OE, kswapd0 invoking the OOM killer: the step named "the latest stable
    # release of its series", which a release candidate does not have
    steps = _first_three("gh-openzfs-zfs-16566")
    step = next(s for s in steps if s.startswith("Update the kernel"))
    assert "the next build of this development tree" in step and "the final 6.12 release" in step
    assert "latest stable release of its series" not in step
    assert "known-good kernel" in step


def test_a_kill_with_free_memory_on_a_suse_kernel_names_the_distributions_update() -> None:
    # 3.0.58-0.6.6-xen (SLES 11): OOM601's step was "update to the latest stable release of that
    # series" - a kernel.org 3.0.y release would drop the distribution's own backports
    report = analyze(load_case("lore-30-xen-iostat-order2-dma32-fragmented")[0])
    finding = next(f for e in report.events for f in e.findings if f.code == "OOM601")
    step = next(s for s in finding.remediation if s.startswith("Update the kernel"))
    assert "zypper" in step and "SUSE" in step
    assert "latest stable release" not in step


def test_a_linux_next_kill_from_the_fault_path_stays_a_root_cause_and_names_the_tree() -> None:
    report = analyze(load_case("lore-57next-xorg-vm-fault-oom-no-shortage")[0])
    findings = report.events[0].findings
    top = findings[0]
    assert top.code == "OOM602" and top.role == "root-cause"
    step = next(s for s in top.remediation if s.startswith("Update the kernel"))
    assert "a linux-next tree" in step


def test_a_kernel_clue_beside_a_weak_cause_brings_the_upgrade_path_among_the_first_three() -> None:
    # an Android GKI 5.10 kernel, kswapd0 invoking the OOM killer in a paste that holds the header
    # alone: the clue leads over the presumed user-space growth (OOM204), so the kernel path (the
    # vendor's system update) is the first step (it was third while the presumption led)
    steps = _first_three("gh-zen-kernel-zen-kernel-288")
    assert steps[0].startswith("Update the kernel: your distribution's latest kernel update"), steps
    assert "Android (GKI)" in steps[0]


def test_a_distribution_kernel_is_sent_to_its_distribution_update() -> None:
    steps = _first_three("gh-docker-for-linux-1001-op")
    step = next(s for s in steps if s.startswith("Update the kernel"))
    assert "Ubuntu" in step and "apt" in step


def test_a_kill_on_a_development_tree_is_a_kernel_clue_unless_a_known_record_explains_it() -> None:
    # 2.6.26-rc5-mm2, a kill with page cache left: the -mm tree itself is a clue (OOM602)
    report = analyze(load_case("lore-2626mm2-oom-init-zero-anon-split-lru")[0])
    clue = next(f for f in report.events[0].findings if f.code == "OOM602")
    assert any(e.name == "development" and e.value == "2.6.26-rc5-mm2" for e in clue.evidence)
    assert "an -mm tree" in str(clue.explanation)
    # 5.18.0-rc3, a failure the NFS swap-out record explains (OOM606): no development clue
    report = analyze(load_case("lore-518rc3-armv7-swap-over-nfs-writehdr-alloc")[0])
    assert not any(f.code == "OOM602" for e in report.events for f in e.findings)


def test_memory_no_counter_explains_gets_the_kernel_path_of_its_distribution() -> None:
    # 2.6.26-2-amd64 (Debian), SysRq-f: OOM215 had only places to look; the fix once no balloon,
    # GPU or ZFS holds the memory is the kernel or a driver. The report as printed has its RAM on
    # the pre-split LRU (`Active:227811 inactive:228679`), so no memory is unaccounted; with the
    # LRU pairs zeroed the same report has most of RAM in no counter, which is what OOM215 is for
    # (no corpus case in folds 1-4 has memory that no counter explains).
    text = re.sub(
        rb"Active:\d+ inactive:\d+", b"Active:0 inactive:0", load_case("lore-2626-amd64-sysrq-order0-swap-weirdness")[0]
    )
    report = analyze(text)
    event = next(e for e in report.events if any(f.code == "OOM215" for f in e.findings))
    step = next(s for s in event.diagnosis.record_steps("OOM215") if s.startswith("If no balloon"))
    assert "Debian" in step and "known-good kernel" in step
    # the only fix among the event's steps (OOM001's are what to find out): the third step
    assert event.diagnosis.steps[2][1].text == step


@pytest.mark.parametrize(
    ("release", "distro"),
    [
        ("5.4.0-1097-dx2023032205-8e2e150ee-aws", "Ubuntu"),
        ("2.6.32-24-generic", "Ubuntu"),
        ("5.15.158-2-pve", "Proxmox VE"),
        ("6.1.21-v7l+", "Raspberry Pi OS"),
        ("6.12.47+rpt-rpi-2712", "Raspberry Pi OS"),
        ("6.1.1-1-rpi-ARCH", "Arch Linux"),
        ("5.10.81-android12-9-24321119", "Android (GKI)"),
        ("6.11.11-valve17-1-neptune-611-g027868a0ac03", "SteamOS"),
        ("4.14.154-99.181.amzn1.x86_64", "Amazon Linux"),
    ],
)
def test_distribution_kernels_of_the_corpus_are_recognised(release: str, distro: str) -> None:
    # releases from folds 1-4: each is fixed by its distribution's update, not a kernel.org release
    path = upgrade_path(release)
    assert path.kind == "distribution" and f"a kernel of {distro}:" in path.text, path.text


def test_an_ubuntu_mainline_build_is_not_an_ubuntu_kernel() -> None:
    # kernel.ubuntu.com mainline builds carry the kernel.org point release (4.8.12-040812-generic):
    # no Ubuntu update fixes them, and 4.8 was a plain stable series
    assert upgrade_path("4.8.12-040812-generic").kind == "stable"

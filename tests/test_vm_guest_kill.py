"""A virtual machine's process killed by its host's OOM killer, with only the kill line to tell
(OOM228): a VM's process holds the RAM its guest was given (Documentation/virt/kvm/api.rst v6.1:
guest memory is user memory of the VMM process), so its size is the guest's configuration and the
reading is a host that cannot hold its guests and itself - not OOM201's process that grew.

Real inputs of folds 1-4: a Proxmox host whose kvm guest (8 GB) was killed while its three VMs
added up to all of its 16 GB, and a nested VM's qemu-system-x86 (2 GB of shmem-rss: a shared
guest-memory backend) killed inside a Multipass VM smaller than its guests; both labelled
ram_exhausted_no_swap by their authors. The rest are the same lines changed by one fact each."""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from knowledge.confidence import CONFIDENT

PROXMOX = "code-homeiac-home-maas-oom-incident-2025-07-29"
NESTED = "gh-canonical-microcloud-216"
KILL = (
    "[ 1759.686853] Out of memory: Killed process 29855 ({comm}) total-vm:9727420kB, anon-rss:{anon}kB, "
    "file-rss:0kB, shmem-rss:{shmem}kB, UID:999 pgtables:4980kB oom_score_adj:{adj}\n"
)


def _findings(text: str | bytes) -> list:  # type: ignore[type-arg]
    events = [e for e in analyze(text).events if e.findings]
    assert events, text
    return list(events[0].findings)


def _kill(comm: str = "qemu-system-x86", anon: int = 8042820, shmem: int = 0, adj: int = 0) -> str:
    return KILL.format(comm=comm, anon=anon, shmem=shmem, adj=adj)


def test_the_cases_are_not_held_out() -> None:
    assert not [c for c in (PROXMOX, NESTED) if is_held_out(c)]


def test_a_guest_killed_by_its_host_is_a_host_that_cannot_hold_its_guests() -> None:
    for case, held in ((PROXMOX, "7.7 GiB"), (NESTED, "2.0 GiB")):
        findings = _findings(load_case(case)[0])
        top = findings[0]
        assert (top.code, top.category) == ("OOM228", "ram_exhausted_no_swap"), case
        assert top.confidence < CONFIDENT  # the kill line cannot tell overcommit from a small host
        assert held in top.explanation
        assert "add up the memory configured for every VM" in top.remediation[0]
        assert "OOM201" not in [f.code for f in findings], case  # not a process that grew
    nested = _findings(load_case(NESTED)[0])[0]
    assert "shared memory" in nested.explanation  # its 2 GB are shmem-rss: a shared backend


def test_every_vmm_the_vm_record_knows() -> None:
    for comm in ("qemu-kvm", "kvm", "qemu-system-aarch64", "firecracker", "cloud-hyperviso"):
        assert _findings(_kill(comm))[0].code == "OOM228", comm


def test_other_programs_and_other_readings_stay_with_their_findings() -> None:
    # a program that is not a VMM: the victim is the first candidate for what grew (OOM201)
    assert _findings(_kill("java"))[0].code == "OOM201"
    # a VMM process holding little did not hold the memory
    assert "OOM228" not in [f.code for f in _findings(_kill(anon=100000))]
    # a raised oom_score_adj may have chosen it rather than its size
    assert "OOM228" not in [f.code for f in _findings(_kill(adj=800))]
    # a memory cgroup's kill is the cgroup's limit, not the host's RAM
    memcg = (
        "[ 12.1] Memory cgroup out of memory: Killed process 29855 (firecracker) total-vm:9727420kB, "
        "anon-rss:4042820kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4980kB oom_score_adj:0\n"
    )
    assert "OOM228" not in [f.code for f in _findings(memcg)]


def test_a_vcpu_thread_that_invoked_the_oom_killer_is_oom217s() -> None:
    header = (
        "[1310061.327439] CPU 0/KVM invoked oom-killer: gfp_mask=0x15000c0(GFP_KERNEL_ACCOUNT), "
        "nodemask=(null), order=0, oom_score_adj=0\n"
    )
    codes = [f.code for f in _findings(header + _kill())]
    assert "OOM217" in codes and "OOM228" not in codes


def test_oom201_stands_aside_by_oom228s_bars() -> None:
    from knowledge.catalogue import load

    params = {record.code: record.params for record in load()}
    assert params["OOM201"]["guest_min_kb"] == params["OOM228"]["min_guest_kb"]
    assert params["OOM201"]["guest_min_share"] == params["OOM228"]["min_guest_share"]
    assert params["OOM201"]["raised_adj"] == params["OOM228"]["raised_adj"]

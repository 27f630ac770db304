"""Processes: a hog, growth, oom_score_adj protection, overcommit, a workload that does not fit, a runaway."""

from __future__ import annotations

import re
from typing import Any, cast

from ..analysis import HYPERVISOR_PROCESS, Analysis, ramp
from ..surroundings import prose_matching, top_processes
from ..workloads import recognise
from .base import (
    Evidence,
    Hit,
    _count_context,
    _fit_context,
    _flag,
    _trace_has,
    _workload_context,
    check,
)
from .policy import _event_uptime

# A person's words that the program was just updated ("rspamd updated yesterday", "since upgrading
# it", "after the update"): memory growth that begins with a new release is that release's own
# regression until shown otherwise, and its fix is the program's next release or its previous one
UPDATED_SAID = re.compile(
    r"(?i)\b(updated|upgraded)\b|\b(since|after) (the |an |our |my )?(update|upgrade|upgrading|updating)\b"
)


def _updated_said(a: Analysis, *names: str | None) -> dict[str, Any] | None:
    """The first of the person's lines that names one of ``names`` (a program the report shows)
    as just updated (``UPDATED_SAID``): the name and the line."""
    for line in prose_matching(a.dump, UPDATED_SAID):
        for name in names:
            if name and len(name) >= 3 and re.search(rf"(?i)(?<![\w.-]){re.escape(name)}(?![\w-])", line.text):
                return {"name": name, "said": line.text.strip()[:160]}
    return None


@check("process_hog", needs=("tasks|kill",))
def process_hog(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """One process (or one command's processes) holds most of the memory the OOM killer weighs."""
    total = (a.ram_kb or 0) + (a.swap_total_kb or 0) - (a.hugetlb_kb or 0)
    usage = a.memcg_usage
    if a.is_memcg and usage is not None:
        total = usage[1] or usage[0]
    evidence: Evidence = {}
    groups = a.task_groups
    top = groups[0] if groups else None
    kill = a.event.kill
    if top is not None and _table_is_a_cut_tail(a, top.badness_kb):
        top = None  # the kill line, not the rows pasted, says who held the memory (below)
    # the 2.6.36-5.0 kill line's per-mille score, when it can be read back as a share (see below)
    score_share = (
        kill is not None
        and kill.score is not None
        and kill.score_per_mille
        and not kill.memcg_kill
        and kill.score <= 1000
    )
    if top is not None:
        single = a.tasks[0]
        subject = top if top.badness_kb > single.badness_kb * 1.2 and len(top.pids) > 1 else single
        kb = subject.badness_kb
        lines = a.lines(*(r.line for r in subject.rows[:6]))
        evidence.update(
            {
                "hog": (subject.name, lines),
                "hog_kb": (kb, lines),
                "hog_processes": (len(subject.pids), lines),
                "hog_swap_kb": (subject.swap_kb, lines),
                "tasks_total_kb": (a.tasks_total_kb, a.lines(a.event.task_table_line)),
            }
        )
        adj = subject.oom_score_adj
    elif _guest_killed_by_host(a, _guest_params(p)) is not None:
        return None  # OOM228's: a host that could not hold its guests, not a process that grew
    elif (
        a.event.kill is not None
        and a.victim_kb is not None
        and a.selected_process is None
        and (total > 0 or not score_share)
    ):
        # without RAM and swap figures the kill line's score, when printed, says what share of
        # them the victim held (below); the victim's size alone does not
        kb = a.victim_kb + (a.event.kill.pgtables_kb or 0)
        evidence.update(
            {
                "hog": (a.victim_name, a.victim_lines),
                "hog_kb": (kb, a.victim_lines),
                "hog_processes": (1, a.victim_lines),
            }
        )
        adj = a.event.kill.oom_score_adj
    elif kill is not None and score_share:
        # A score above 1000 proves a positive oom_score_adj (containers, Kubernetes) and inside a
        # memory cgroup the scale is the cgroup limit: in both the share cannot be read back.
        # Only `Kill process N (x) score S or sacrifice child` survived: on 2.6.36-5.0 S is the
        # victim's RSS + swap + page tables per mille of RAM + swap (plus oom_score_adj, which
        # these kernels do not print here), so it still says how much of memory it held.
        lines = a.lines(kill.line)
        selected = a.selected_process
        # a child was killed in the selected parent's place: the score is the parent's
        name = selected[1] if selected else kill.comm
        if selected:
            lines = selected[2] + lines
        share = min(kill.score or 0, 1000) / 1000
        updated = _updated_said(a, name, kill.comm)
        if selected is None and updated is None and _score_of_a_small_machine(a, p):
            return None  # OOM226's: a victim under 1 GB that held most of memory - the machine is small
        evidence.update(
            {
                "hog": (name, lines),
                "kill_score": (kill.score, lines),
                "hog_share": (round(share * 100), lines),
                "hog_processes": (1, lines),
            }
        )
        if share < p["min_share"]:
            return None
        confidence = ramp(share, p["min_share"], p["full_share"], p["confidence_low"], p["confidence_high"])
        # tasks of this machine shown elsewhere in the paste at a raised oom_score_adj: the score adds
        # the victim's own value, which this line does not print, so it may be mostly that setting
        machine_adj = None if kill.memcg_kill else machine_raised_adj(a, p["raised_adj"])
        at_cap = (kill.score or 0) >= 1000 or machine_adj is not None
        if at_cap:
            # 1000 is both "all of RAM + swap" and where oom_score_adj +1000 puts any task (2.6.36-3.9
            # clamp the score there; 3.10+ add adj x totalpages / 1000): the score cannot tell them apart
            confidence = min(confidence, p["confidence_at_cap"])
        context = {
            "memcg": kill.memcg_kill,
            "protected": False,
            "victim_is_hog": selected is None,
            "sacrificed": selected is not None,
            "at_cap": at_cap,
            "machine_adj": machine_adj,
            "has_total": False,
            "has_table": False,
            "victim": kill.comm,
            "from_score": True,
            "adj_choice": None,  # the kill line alone: no oom_score_adj of the others
            "raised_adj": None,  # (at a score of 1000 the step on oom_score_adj comes first)
            "hog_shmem": _hog_shmem(a, kill.comm or "", 0, p) if selected is None else None,
            "fit": None,  # a score is a share, not what the rest held
            "count": None,
            "hog_is_guest": bool(a.environment.hypervisor_host and HYPERVISOR_PROCESS.match(name or "")),
            # the child killed in its place belongs to the same program (sacrifice child): either name
            # may be the one a workload record knows
            **_workload_context(a, name, kill.comm),
            "updated": updated,
        }
        return Hit(confidence * p["score_only_factor"], evidence, context, "contributing" if kill.memcg_kill else None)
    else:
        return None
    if total > 0:
        share = kb / total
        evidence["hog_share"] = (round(share * 100), evidence["hog_kb"][1])
        evidence["weighed_kb"] = (total, a.ram_lines + a.swap_lines)
        if share < p["min_share"]:
            return None
        confidence = ramp(share, p["min_share"], p["full_share"], p["confidence_low"], p["confidence_high"])
    else:
        # no RAM figure: judge by absolute size and by the victim's share of what the table shows
        if kb < p["min_kb_without_ram"]:
            return None
        confidence = p["confidence_without_ram"]
    context = {
        "memcg": a.is_memcg,
        "protected": adj is not None and adj <= -1000,
        "victim_is_hog": a.victim_name == evidence["hog"][0],
        "has_total": total > 0,
        "has_table": top is not None,
        "victim": a.victim_name,
        "from_score": False,
        # a guest VM's QEMU process is what the host exists to keep alive: capping it
        # below the guest's RAM kills the guest
        "hog_is_guest": bool(a.environment.hypervisor_host and HYPERVISOR_PROCESS.match(str(evidence["hog"][0] or ""))),
        "fit": _fit_context(a, kb),
        **_workload_context(a, str(evidence["hog"][0] or ""), a.victim_name),
    }
    context["count"] = _count_context(
        a, subject if top is not None else None, a.workload(str(evidence["hog"][0] or ""))
    )
    context["adj_choice"] = _adj_choice(a, subject, total, p) if top is not None else None
    # the kill line alone: a raised oom_score_adj it prints may have chosen the victim
    context["raised_adj"] = None if top is not None else raised_adj(a, p["raised_adj"])
    context["hog_shmem"] = _hog_shmem(a, str(evidence["hog"][0] or ""), kb, p)
    context["updated"] = _updated_said(a, str(evidence["hog"][0] or ""), a.victim_name)
    role = None
    if a.is_memcg:
        role, confidence = "contributing", confidence * p["memcg_factor"]
    elif a.swap_total_kb and a.swap_free_kb is not None and a.swap_free_kb <= p["swap_exhausted_kb"]:
        confidence *= p["swap_exhausted_factor"]
    return Hit(confidence, evidence, context, role)


def _guest_params(p: dict[str, Any]) -> dict[str, Any]:
    """OOM201's copy of OOM228's bars (``guest_*`` in its record; a test holds them equal)."""
    return {
        "raised_adj": p["raised_adj"],
        "min_guest_kb": p["guest_min_kb"],
        "min_guest_share": p["guest_min_share"],
    }


def _score_of_a_small_machine(a: Analysis, p: dict[str, Any]) -> bool:
    """A global kill line's score read back as a share (2.6.36-5.0), of a victim that held between
    ``min_victim_kb`` and ``small_victim_kb`` (OOM226's bars) of anonymous and shmem memory, at a
    share of ``small_share`` (half) or more, with no raised oom_score_adj: the victim held most of
    what the OOM killer weighs, so RAM + swap was about victim / share - under 2 GB in all. As
    OOM226 reads a victim under 1 GB without a RAM figure, that is a machine too small for what it
    runs (in folds 1-4: a Vagrant VM's ruby build at 62 %, a 512 MB VM's cc1plus at 87 %), which the
    share cannot tell from a program that grew: the share makes the victim the biggest task, not the
    cause. Below half, the rest of memory was elsewhere and OOM201 keeps the victim as the first
    candidate."""
    kill = a.event.kill
    if kill is None or kill.anon_rss_kb is None or kill.score is None or kill.score >= 1000:
        return False
    if raised_adj(a, p["raised_adj"]) is not None or machine_raised_adj(a, p["raised_adj"]) is not None:
        return False
    if a.version is not None and a.version < (2, 6, 36):
        return False
    held = _held_by_victims(a)
    return (
        held is not None and p["min_victim_kb"] <= held < p["small_victim_kb"] and kill.score >= p["small_share"] * 1000
    )


def _table_is_a_cut_tail(a: Analysis, top_kb: int) -> bool:
    """The task rows pasted are only part of the table and the kill line's victim is not among
    them, yet it held more than any of them: people often copy the last rows of the dump with the
    kill line under them. The OOM killer lists every eligible task (mm/oom_kill.c dump_tasks()) and
    kills the one it scored highest, so in a whole table the victim has its row; when it has none
    the pasted rows are a cut, and their largest is not the largest process of the machine."""
    kill = a.event.kill
    if kill is None or kill.pid is None or a.victim is not None or a.selected_process is not None:
        return False
    if a.event.task_columns:
        return False  # the column header was pasted: the table starts in the paste
    held = a.victim_kb
    return held is not None and held > top_kb


def raised_adj(a: Analysis, least: int) -> int | None:
    """The victim's oom_score_adj from its kill line (`Killed process ... oom_score_adj:N`) when it
    is ``least`` or more, else None. mm/oom_kill.c v6.1 oom_badness() adds oom_score_adj x
    totalpages / 1000 to what the task holds, so such a value alone scores it like a task holding
    that many thousandths of RAM and swap: without the task table the victim may have been chosen
    for it rather than its size. Not for browsers (their renderers and tabs set high values so
    that they die first, on purpose) nor Android kernels (cached apps run at 900-999)."""
    kill = a.event.kill
    adj = kill.oom_score_adj if kill is not None else None
    if adj is None or adj < least or a.selected_process is not None:
        return None
    if _own_high_adj(a, kill.comm if kill is not None else None):
        return None
    return int(adj)


def machine_raised_adj(a: Analysis, least: int) -> dict[str, Any] | None:
    """The highest oom_score_adj of ``least`` or more that the paste shows for a task of this
    event's machine - a header's `oom_score_adj=` or a task-table row, of any event of the same host
    ({comm, adj}), else None. On 2.6.36-5.0 the `Kill process N (x) score S` line prints S as the
    victim's points per mille of RAM + swap, and oom_badness() adds oom_score_adj x totalpages / 1000
    to what it holds (mm/oom_kill.c v4.15: select_bad_process() scales chosen_points by 1000 /
    totalpages): where tasks run with such values (containers, Kubernetes QoS classes, 1000 for
    BestEffort and up to 999 for Burstable pods) S may be mostly the victim's own setting, which the
    line does not print, and says nothing sure of its size. Browsers and Android kernels, which set
    high values on purpose, are left out (:func:`_own_high_adj`)."""
    best: dict[str, Any] | None = None
    for event in a.dump.events:
        if event.host != a.event.host:
            continue
        seen = [(event.trigger.comm, event.trigger.oom_score_adj)] if event.trigger is not None else []
        seen += [(row.name, row.oom_score_adj) for row in event.tasks]
        for comm, adj in seen:
            if adj is None or adj < least or not comm or _own_high_adj(a, comm):
                continue
            if best is None or adj > best["adj"]:
                best = {"comm": comm, "adj": int(adj)}
    return best


def _own_high_adj(a: Analysis, comm: str | None) -> bool:
    """Does the task set a high oom_score_adj of its own, on purpose: a browser (Chrome's renderers
    and tabs 300-1000, so that they die first) or any task of an Android kernel (cached apps
    900-999)? Such a value says nothing about a container runtime or a misconfigured service."""
    if re.search(r"android", a.kernel or "", re.I):
        return True
    workload = a.workload(comm) if comm else None
    return workload is not None and workload.id == "browser"


def _hog_shmem(a: Analysis, hog: str, hog_kb: int, p: dict[str, Any]) -> dict[str, int] | None:
    """When most of what the hog held is shared memory: the shmem pages it maps and what it held
    in all ({shmem_kb, held_kb}), else None - from the kill line when the hog is the killed task,
    else from the task table's rss_shmem column of its largest row.

    The kill line's shmem-rss is the shmem pages the task maps (mm/oom_kill.c v6.1
    __oom_kill_process(): MM_SHMEMPAGES): tmpfs and /dev/shm files, SysV or POSIX shared memory,
    memfd or shared anonymous mappings. Its RSS counts them (get_mm_rss()), but files on a tmpfs
    stay in RAM after it dies, so the kill frees them only when nothing else holds them. Needs at
    least ``hog_shmem_share`` of what it held and of what the OOM killer weighed for it
    (``hog_kb``: RSS, swap and page tables; 0 when only the kill line tells); a Mem-Info Shmem: figure, when printed, must hold
    it (the global count includes every mapping of it)."""
    kill = a.event.kill
    if kill is not None and kill.shmem_rss_kb and kill.comm == hog:
        mapped = int(kill.shmem_rss_kb)
        held = (kill.anon_rss_kb or 0) + (kill.file_rss_kb or 0) + mapped
    else:
        # a task table with the rss_shmem column (the 6.x layout): the hog's largest row, when it
        # was not the one killed (the same pages counted once, whatever the number of processes)
        # (the table's rows asked first, a slot read each: most tables hold no such row, and then
        # no RowUse is read)
        for table_row in a.event.tasks:
            if table_row.name == hog and table_row.rss_shmem_pages is not None:
                break
        else:
            return None
        row = next((t for t in a.tasks if t.row.name == hog and t.row.rss_shmem_pages is not None), None)
        if row is None or not row.row.rss_shmem_pages:
            return None
        mapped = int(row.row.rss_shmem_pages) * a.page_kb
        held = hog_kb = row.badness_kb
    if mapped < p["hog_shmem_share"] * max(held, hog_kb):
        return None
    shmem = a.counter_kb("shmem")
    if shmem is not None and shmem < mapped * p["hog_shmem_share"]:
        return None
    # A virtual machine's process maps its guest's RAM as shared memory when the memory backend is
    # shared (QEMU -object memory-backend-memfd, or memory-backend-file on /dev/shm with share=on, which
    # vhost-user and virtio-fs need; libvirt <memoryBacking> <source type='memfd'/> <access
    # mode='shared'/>): that shmem is the guest, freed with the VM, not tmpfs files to delete.
    workload = recognise((hog,), ())
    return {"shmem_kb": mapped, "held_kb": int(held), "guest_ram": workload is not None and workload.id == "vm"}


def _adj_choice(a: Analysis, hog: Any, total_kb: int, p: dict[str, Any]) -> dict[str, Any] | None:
    """When oom_score_adj, not size, made the kernel kill another task than the one that holds the
    memory: the victim's and the hog's oom_score_adj (the task table's column, 2.6.36+), else None.

    mm/oom_kill.c oom_badness() (v6.1) scores a task as RSS + swap entries + page tables plus
    oom_score_adj x totalpages / 1000, and the highest score dies (select_bad_process()). When the
    hog holds at least ``min_ratio`` times what the victim held, a victim with the higher
    oom_score_adj was chosen for that setting: its own (raised: unshielded) or the hog's (lowered:
    shielded). -1000 on the hog is OOM205's, a child killed in the selected parent's place
    (``selected_process``) and a memory cgroup's kill are not this."""
    victim = a.victim
    kill = a.event.kill
    if kill is None or a.is_memcg or kill.memcg_kill or a.selected_process is not None:
        return None
    if victim is not None and victim.pids[0] in hog.pids:
        return None
    if a.victim_name is None or a.victim_name == hog.name:
        return None
    victim_adj = victim.oom_score_adj if victim is not None else kill.oom_score_adj
    hog_adj = hog.oom_score_adj
    victim_kb = a.victim_kb
    if victim_adj is None or hog_adj is None or victim_kb is None or hog_adj <= -1000:
        return None
    if victim_adj <= hog_adj or hog.badness_kb < p["adj_choice_ratio"] * max(victim_kb, 1):
        return None
    if total_kb > 0:
        # the kernel's own arithmetic must put the victim at or above the hog
        victim_points = victim_kb + victim_adj * total_kb / 1000
        hog_points = hog.badness_kb + hog_adj * total_kb / 1000
        if victim_points < hog_points:
            return None
    return {"victim": a.victim_name, "victim_adj": victim_adj, "hog_adj": hog_adj}


def _header_only_oom(a: Analysis, costly_order: int) -> bool:
    """An OOM pasted as its header (and trace) alone: no memory report, task table or kill line,
    not a memory cgroup's, for a request of order 0 to PAGE_ALLOC_COSTLY_ORDER (the orders the
    page allocator OOM-kills for; presumed_growth says why). What presumed_growth and
    presumed_container_limit read a prior from."""
    if a.has_memory_report or a.tasks or a.event.kill is not None or a.is_memcg:
        return False
    if a.event.kind not in ("oom-kill", None) or not a.is_global:
        return False
    return 0 <= (a.order or 0) <= costly_order


@check("presumed_growth", needs=("trigger",))
def presumed_growth(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A global OOM of order 0-3 whose memory report was not pasted: by far the commonest cause is
    user memory growth.

    Orders 1-3 are read like order 0: up to PAGE_ALLOC_COSTLY_ORDER (3) the page allocator keeps
    reclaiming and compacting and then invokes the OOM killer, which it never does above that
    order (mm/page_alloc.c __alloc_pages_may_oom(): "The OOM killer will not help higher order
    allocs": order > PAGE_ALLOC_COSTLY_ORDER skips it, in v3.10, v5.4 and v6.1;
    should_alloc_retry() before 4.7: "order <= PAGE_ALLOC_COSTLY_ORDER means __GFP_NOFAIL";
    should_reclaim_retry() and should_compact_retry() from 4.7). Such a request OOM-kills only
    when reclaim and compaction found nothing, so without the buddy lists that would show free
    memory in blocks too small, it reads as memory that ran out, as order 0 does."""
    if not _header_only_oom(a, p["costly_order"]):
        return None
    if a.is_32bit and a.highest_zone in (None, "DMA", "Normal"):
        return None  # 32-bit kernel requests: lowmem_exhaustion speaks for these
    # within the first minutes after boot (the printk stamp counts seconds since boot) nothing has
    # had time to leak: what starts at boot does not fit the machine (OOM224), else growth (OOM204)
    uptime = _event_uptime(a)
    at_boot = uptime is not None and uptime < p["boot_uptime_s"]
    if at_boot != bool(p.get("at_boot")):
        return None
    trigger = a.event.trigger
    lines = a.lines(trigger.line) if trigger else ()
    user_fault = bool(
        _trace_has(
            a,
            "handle_mm_fault",
            "do_anonymous_page",
            "filemap_fault",
            "do_page_fault",
            "__handle_mm_fault",
            "exc_page_fault",
        )
    ) or _flag(a, "GFP_HIGHUSER_MOVABLE", "GFP_HIGHUSER")
    # the program that invoked the OOM killer (or the cgroup it runs in) may be a known workload;
    # it is often a bystander, so the step is worded as a condition and the confidence is unchanged
    evidence: Evidence = {"trigger": (trigger.comm if trigger else None, lines), "order": (a.order, lines)}
    if at_boot and uptime is not None:
        evidence["uptime_s"] = (round(uptime, 1), lines)
    return Hit(
        p["confidence_user"] if user_fault else p["confidence"],
        evidence,
        {
            "user_fault": user_fault,
            "container": _container_hint(a),
            # OOM405 speaks first for the container's limit, and says so in its own steps
            "limit_first": _limit_first(a),
            **_workload_context(a, trigger.comm if trigger else None),
        },
    )


# the leaf the 2.6-4.x header's `cpuset=` names: Docker's cgroupfs driver names a container's
# cgroup by its 64-hex-digit ID
CONTAINER_ID = re.compile(r"(?:^|/)[0-9a-f]{64}$")


def _container_hint(a: Analysis) -> str | None:
    """Why the task that invoked a header-only OOM may run in a container with its own memory
    limit, in words for the step (None when nothing says so). A memory cgroup's OOM prints the
    same 'invoked oom-killer' line as the machine's (mm/oom_kill.c dump_header(); the lines after it
    tell them apart, and none was pasted), so only its cgroup or its
    oom_score_adj can hint at it: the cgroup path (Analysis.environment: kubepods, a container
    runtime, LXC), a `cpuset=` leaf that is a container ID, or the kubelet's oom_score_adj for pod
    containers (pkg/kubelet/qos/policy.go: -998 for Guaranteed pods in early releases, -997 in later ones;
    Burstable pods 2 (3) to 999 from their memory request)."""
    found = _container_evidence(a)
    if found is not None:
        return found
    adj = a.event.trigger.oom_score_adj if a.event.trigger else None
    if not a.event.call_trace and adj in (None, 0):
        # the call trace would tell them apart: the page allocator's __alloc_pages_may_oom() for
        # the machine, a charge (try_charge(), mem_cgroup_out_of_memory()) for a memory cgroup,
        # which grammar.parse reads as a memcg OOM. Only for a task at the default
        # oom_score_adj 0 (what Docker and system services run at): other values say where it
        # runs (a user session's 100 or 200, a browser's, the kubelet's above)
        return "the paste has no call trace or memory report, which would tell the machine's OOM from a memory cgroup's"
    return None


def _container_evidence(a: Analysis) -> str | None:
    """What in the paste says the task runs in a container (``_container_hint`` without its
    last reason, the missing call trace), in words for the step, else None. Worked out once per
    event: OOM204 and OOM405 each ask it twice."""
    if "_container_evidence" not in a.__dict__:
        a.__dict__["_container_evidence"] = _read_container_evidence(a)
    return cast("str | None", a.__dict__["_container_evidence"])


def _read_container_evidence(a: Analysis) -> str | None:
    env = a.environment
    if env.kubernetes:
        return "its cgroup path names a Kubernetes pod"
    if env.container:
        return f"its cgroup path names a container ({env.label})"
    for line in a.find_lines(r"cpuset=\S+"):
        match = re.search(r"cpuset=(\S+)", line.text)
        if match and CONTAINER_ID.search(match.group(1)):
            return "its cpuset is named by a container ID"
    adj = a.event.trigger.oom_score_adj if a.event.trigger else None
    if adj in (-998, -997):
        return f"its oom_score_adj {adj} is what the kubelet gives the containers of a Guaranteed pod"
    # Burstable pods get 1000 - 1000 x memory request / node memory: 500-999 unless a container
    # requests half the node. Lower values are common elsewhere (systemd gives user sessions 100
    # and 200), and browsers (Chrome's renderers 300-1000) and Android (cached apps 900-999) set
    # high ones of their own, so those are left out
    if (
        adj is not None
        and 500 <= adj <= 999
        and not _own_high_adj(a, a.event.trigger.comm if a.event.trigger else None)
    ):
        return f"its oom_score_adj {adj} is in the range the kubelet gives the containers of a Burstable pod"
    return None


def _limit_first(a: Analysis) -> bool:
    """Does the paste put the allocating task in a container (``_container_evidence``) while its
    trace, if any, does not reach the page allocator's slow path (the machine's OOM)?"""
    if _trace_has(a, "__alloc_pages_slowpath", "__alloc_pages_may_oom"):
        return False
    return _container_evidence(a) is not None


@check("presumed_container_limit", needs=("trigger",))
def presumed_container_limit(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """OOM204's pastes (the OOM header alone, orders 0-3) from a task that its cgroup path, a
    `cpuset=` leaf that is a container ID or the kubelet's oom_score_adj puts in a container,
    with no frame of the page allocator's OOM path in the trace: the container's own memory limit
    is the likelier reading than the machine's memory.

    A memory cgroup's OOM opens with the same 'invoked oom-killer' header as the machine's
    (mm/oom_kill.c dump_header()); only the lines after it differ, and none was pasted. The
    machine's OOM is entered from the page allocator's slow path (mm/page_alloc.c
    __alloc_pages_slowpath() -> __alloc_pages_may_oom() -> out_of_memory()), a memory cgroup's from
    its charge (mm/memcontrol.c try_charge() -> mem_cgroup_oom() or, from 3.12 for a user fault,
    mem_cgroup_oom_synchronize() from pagefault_out_of_memory()), so a trace that reaches the
    slow path is the machine's and this finding stays silent. The kubelet sets a memory limit on
    every container of a Guaranteed pod (limits equal requests) and Docker and the kubelet name
    a container's cgroup after it, so the limit is at hand; a prior, not a measurement."""
    if not _header_only_oom(a, p["costly_order"]):
        return None
    if not _limit_first(a):
        return None
    where = _container_evidence(a)
    trigger = a.event.trigger
    lines = a.lines(trigger.line) if trigger else ()
    evidence: Evidence = {"trigger": (trigger.comm if trigger else None, lines), "where": (where, lines)}
    return Hit(p["confidence"], evidence, {"traced": bool(a.event.call_trace)})


@check("presumed_victim", needs=("kill",))
def presumed_victim(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Only the kill line was pasted (perhaps with the OOM header), without the memory report or
    the task table: the victim is the one process the paste names, and the OOM killer chooses the
    task holding the most memory (mm/oom_kill.c: badness() from total_vm plus half the children's
    before 2.6.36, oom_badness() from RSS, swap and page tables since; oom_score_adj shifts it), so
    it is the first candidate for what grew. When the kill line shows the victim's memory, that
    holds only while every victim of the host's kills in the paste held at least ``min_victim_kb``
    of anonymous and shmem memory (a smaller one bounds every killable task at that kill: the
    memory was elsewhere), and only without a RAM figure (with one, OOM201 weighs the share).
    Evaluated like OOM900: only when no other root cause fired, and never confident."""
    if a.has_memory_report or a.tasks or a.is_memcg:
        return None
    if a.event.kind not in ("oom-kill", None) or not a.victim_name:
        return None
    kill = a.event.kill
    # (RHEL 5's and OpenVZ's beancounter kill line says 'OOM killed process N (comm) ... vm:, rss:')
    if kill is None or not any("killed process" in line.text.lower() for line in a.lines(kill.line)):
        return None  # only the selection line ('Kill process ... score'): OOM201 reads its score
    held = _held_by_victims(a) if kill.anon_rss_kb is not None else None
    adj = raised_adj(a, p["raised_adj"])
    if p.get("small_machine"):
        return _small_machine(a, p, held, adj)
    # a small victim bounds what every killable task held - unless a raised oom_score_adj chose it
    small = kill.anon_rss_kb is not None and (held is None or held < p["min_victim_kb"])
    if kill.anon_rss_kb is not None and ((small and adj is None) or a.ram_kb):
        return None
    selected = a.selected_process
    evidence: Evidence = {"victim": (a.victim_name, a.victim_lines)}
    if selected is not None:
        evidence["selected"] = (selected[1], selected[2])
    if kill.anon_rss_kb is not None:
        evidence["victim_kb"] = ((kill.anon_rss_kb or 0) + (kill.shmem_rss_kb or 0), a.victim_lines)
    names = (a.victim_name, selected[1] if selected else None)
    context = {
        "victim": a.victim_name,
        "selected": selected[1] if selected else None,
        "header": a.event.trigger is not None,
        "held_kb": evidence["victim_kb"][0] if "victim_kb" in evidence else None,
        "raised_adj": adj,
        "small_victim": small,
        **_workload_context(a, *names),
    }
    return Hit(p["confidence"], evidence, context)


def _small_machine(a: Analysis, p: dict[str, Any], held: int | None, adj: int | None) -> Hit | None:
    """OOM226, presumed_victim's record for a victim too small to be OOM225's or OOM201's hog: a
    kill line with the victim's figures and no RAM figure, every victim of the host's global kills
    in the paste holding between ``min_victim_kb`` (OOM206's bar for a victim that held almost
    nothing) and ``max_victim_kb`` (OOM201's bar for a hog without a RAM figure) of anonymous and
    shmem memory, and no raised oom_score_adj (OOM225 says that setting may have chosen it).

    The OOM killer kills the task holding the most memory (mm/oom_kill.c oom_badness(): RSS, swap
    entries and page tables, shifted by oom_score_adj), so no killable process held more than the
    victim: the machine ran out while its largest process held under 1 GB. That happens on a
    machine with little RAM and no swap for what it runs (a small VM, instance, droplet or board),
    or when the memory was outside processes (slab, tmpfs, HugeTLB), which only the memory report
    or the machine's own figures tell apart: a prior, below 60 %, with what to paste next. Not on a
    release printed before 2.6.36, whose badness() scored total_vm, CPU time, age and children
    (mm/oom_kill.c v2.6.35), so its victim need not have held the most memory."""
    if a.ram_kb or adj is not None or held is None:
        return None
    if a.version is not None and a.version < (2, 6, 36):
        return None
    if not p["min_victim_kb"] <= held < p["max_victim_kb"]:
        return None
    evidence: Evidence = {
        "victim": (a.victim_name, a.victim_lines),
        "victim_kb": (held, a.victim_lines),
    }
    context = {"victim": a.victim_name, "held_kb": held, "header": a.event.trigger is not None, "score": None}
    kill = a.event.kill
    if kill is not None and kill.score and kill.score_per_mille and kill.score < 1000 and a.selected_process is None:
        # 2.6.36-5.0: the score is RSS + swap + page tables per mille of RAM + swap (oom_badness(),
        # select_bad_process()); the kill line prints the RSS, so RAM + swap is about RSS / score
        rss = (kill.anon_rss_kb or 0) + (kill.file_rss_kb or 0) + (kill.shmem_rss_kb or 0)
        machine_kb = rss * 1000 // kill.score
        lines = a.lines(kill.line)
        evidence["kill_score"] = (kill.score, lines)
        evidence["machine_kb"] = (machine_kb, lines)
        context.update(score=kill.score, machine_kb=machine_kb)
    return Hit(p["confidence"], evidence, context)


def _held_by_victims(a: Analysis) -> int | None:
    """The least anonymous + shmem memory any victim of this host's kills in the paste held (the
    kill lines' anon-rss and shmem-rss); None when a kill line shows no figures."""
    least = None
    for event in a.dump.events:
        kill = event.kill
        if event.host != a.event.host or kill is None or kill.memcg_kill:
            continue  # a memory cgroup's kill bounds the tasks of that group only
        if kill.anon_rss_kb is None:
            return None
        held = kill.anon_rss_kb + (kill.shmem_rss_kb or 0)
        least = held if least is None else min(least, held)
    return least


@check("score_adj_protection", needs=("tasks",))
def score_adj_protection(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """The task that holds the memory is shielded by oom_score_adj, so a bystander was killed."""
    if not a.tasks:
        return None
    largest = a.tasks[0]
    if largest.oom_score_adj is None or largest.oom_score_adj > p["max_adj"]:
        return None
    victim = a.victim
    victim_kb = a.victim_kb
    if a.event.kill is None and not a.event.panic:
        return None
    if victim is not None and victim.pids == largest.pids:
        return None
    if victim_kb is not None and largest.badness_kb < p["min_ratio"] * max(victim_kb, 1):
        return None
    weighed = (a.ram_kb or 0) + (a.swap_total_kb or 0)
    if weighed and largest.badness_kb < p["min_share"] * weighed:
        return None
    lines = a.lines(*(r.line for r in largest.rows))
    evidence: Evidence = {
        "protected_task": (largest.name, lines),
        "protected_kb": (largest.badness_kb, lines),
        "protected_adj": (largest.oom_score_adj, lines),
    }
    if victim_kb is not None:
        evidence["victim"] = (a.victim_name, a.victim_lines)
        evidence["victim_kb"] = (victim_kb, a.victim_lines)
    return Hit(p["confidence"], evidence, {"has_victim": victim_kb is not None, **_workload_context(a, largest.name)})


@check("vm_overcommit", needs=("trigger|tasks",))
def vm_overcommit(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A hypervisor host runs out of memory: its guests were promised more RAM than it has."""
    env = a.environment
    if not env.hypervisor_host or not a.is_global:
        return None
    free = a.figure("free")
    counted = a.ram_kb or sum(f.kb for f in a.breakdown or () if f.name != "unaccounted")
    if free is not None and counted and free.kb >= p["max_free_share"] * counted:
        return None  # most of the host's memory was free: the host did not run out
    guests = [t for t in a.tasks if HYPERVISOR_PROCESS.match(t.name)]
    guests_kb = sum(t.badness_kb for t in guests)
    trigger = a.event.trigger
    evidence: Evidence = {"trigger": (trigger.comm if trigger else None, a.lines(trigger.line) if trigger else ())}
    if guests:
        evidence["guests"] = (len(guests), a.lines(*(r.line for t in guests[:6] for r in t.rows)))
        evidence["guests_kb"] = (guests_kb, a.lines(*(r.line for t in guests[:6] for r in t.rows)))
        if a.ram_kb and guests_kb < p["min_guest_share"] * a.ram_kb:
            return None
        confidence = p["confidence_table"]
    else:
        confidence = p["confidence_trigger_only"]
    return Hit(confidence, evidence, {"has_guests": bool(guests)})


def _guest_killed_by_host(a: Analysis, p: dict[str, Any]) -> tuple[int | None, int | None] | None:
    """OOM228's reading, also asked by OOM201 (which stands aside for it): the machine's own OOM
    killer killed a virtual machine's process (the ``vm`` workload record) and the paste has no
    task table, the allocating task is no guest vCPU (OOM217's), the kill line shows no
    oom_score_adj of ``raised_adj`` or more, and the victim held ``min_guest_kb`` or more of
    anonymous + shmem memory (``min_guest_share`` of RAM when printed). Returns what it held and
    the shmem part of it (None where the kill line has no figures), or None when it does not apply."""
    kill = a.event.kill
    if kill is None or kill.memcg_kill or a.is_memcg or a.tasks or a.environment.hypervisor_host:
        return None
    workload = recognise((a.victim_name,))
    if workload is None or workload.id != "vm":
        return None
    if raised_adj(a, p["raised_adj"]) is not None:
        return None
    if kill.anon_rss_kb is None:
        return (None, None)
    shmem = kill.shmem_rss_kb or 0
    held = kill.anon_rss_kb + shmem
    if held < p["min_guest_kb"] or (a.ram_kb and held < p["min_guest_share"] * a.ram_kb):
        return None
    return (held, shmem or None)


@check("guest_killed_by_host", needs=("kill",))
def guest_killed_by_host(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """The host's OOM killer killed a virtual machine's process, with only the kill line to tell:
    a VM's process holds the RAM its guest was given (Documentation/virt/kvm/api.rst v6.1: guest
    memory is user memory of the VMM process) plus its overhead, so the host could not back its
    guests and itself - the guests were overcommitted or the host is too small for them."""
    read = _guest_killed_by_host(a, p)
    if read is None:
        return None
    held, shmem = read
    evidence: Evidence = {"victim": (a.victim_name, a.victim_lines)}
    if held is not None:
        evidence["victim_kb"] = (held, a.victim_lines)
    if shmem is not None:
        evidence["shmem_kb"] = (shmem, a.victim_lines)
    if a.ram_kb:
        evidence["ram_kb"] = (a.ram_kb, a.ram_lines)
    return Hit(p["confidence"], evidence, {"victim": a.victim_name, "held_kb": held, "shmem_kb": shmem})


def _workload_fit_from_score(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Only the selection line survived: a low score on the task the OOM killer chose bounds every
    process's share, so no single process held the memory that ran out."""
    kill = a.event.kill
    if (
        kill is None
        or a.event.kind != "oom-kill"
        or kill.score is None
        or not kill.score_per_mille
        or kill.memcg_kill
        or a.selected_process is not None
        or a.tasks
    ):
        return None
    # 2.6.36-5.0 print `Kill process N (x) score S or sacrifice child` for the task
    # select_bad_process() chose as the highest oom_badness() of all eligible tasks: S is its
    # RSS + swap + page tables per mille of RAM + swap (mm/oom_kill.c oom_badness, v2.6.36-v4.18;
    # 4.19-5.0 scale the same figure when printing). So no killable process held more than S/1000.
    share = kill.score / 1000
    if share > p["score_max_victim_share"]:
        return None
    lines = a.lines(kill.line)
    evidence: Evidence = {
        "largest": (kill.comm, lines),
        "kill_score": (kill.score, lines),
        "largest_memory_share": (round(share * 100, 1), lines),
    }
    if a.ram_kb:
        evidence["ram_kb"] = (a.ram_kb, a.ram_lines)
    return Hit(
        p["confidence_score_only"],
        evidence,
        {
            "from_score": True,
            "swap": False,
            "names": kill.comm,
            "sizing": None,
            "swap_gb": 1,
            "workload": _workload_context(a, kill.comm)["workload"],
            "count": None,
        },
    )


@check("workload_fit", needs=("tasks|kill",))
def workload_fit(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Many processes together need more than RAM (+ swap), none of them far above the others: the workload does not fit."""
    if not a.is_global or a.is_allocation_failure:
        return None
    if not a.tasks:
        return _workload_fit_from_score(a, p)
    if not a.ram_kb:
        return None
    swap_total = a.swap_total_kb
    swap_free = a.swap_free_kb
    if swap_total is None:
        return None
    swap_full = bool(swap_total) and swap_free is not None and swap_free <= max(p["swap_full_share"] * swap_total, 4096)
    if swap_total and not swap_full:
        return None
    total = a.tasks_total_kb
    groups = a.task_groups
    top = groups[0]
    weighed = a.ram_kb + (swap_total or 0)
    top_share = top.badness_kb / max(1, total)
    # the groups come largest first: those at or above the share are the first ones
    least = p["member_share"] * weighed
    count = 0
    for group in groups:
        if group.badness_kb < least:
            break
        count += 1
    big = groups[:count]
    if total < p["min_tasks_share"] * weighed or top_share > p["max_top_share"] or len(big) < p["min_members"]:
        return None
    lines = a.lines(*(r.line for g in big[:6] for r in g.rows[:1]))
    evidence: Evidence = {
        "tasks_total_kb": (total, a.lines(a.event.task_table_line)),
        "ram_kb": (a.ram_kb, a.ram_lines),
        "total_swap_kb": (swap_total, a.swap_lines),
        "largest": (top.name, a.lines(*(r.line for r in top.rows[:1]))),
        "largest_share": (round(top_share * 100), lines),
        "big_processes": (len(big), lines),
    }
    if swap_total:
        evidence["free_swap_kb"] = (swap_free, a.swap_lines)
    confidence = ramp(total / weighed, p["min_tasks_share"], 1.0, p["confidence_low"], p["confidence_high"])
    # the first of the biggest programs that a workload record knows (the one whose lever is named)
    known = next((g for g in big if a.workload(g.name) is not None), None)
    sizing = a.sizing
    swap_gb = max(1, -(-(sizing["missing_kb"] if sizing and sizing["missing_kb"] else a.ram_kb // 4) // (1024 * 1024)))
    return Hit(
        confidence,
        evidence,
        {
            "swap": bool(swap_total),
            "names": ", ".join(g.name for g in big[:5]),
            "sizing": sizing,
            "swap_gb": swap_gb,
            "from_score": False,
            # the biggest programs in order: the first known workload among them names its lever
            "workload": _workload_context(a, *(g.name for g in big))["workload"],
            "count": _count_context(a, known, a.workload(known.name)) if known is not None else None,
        },
    )


@check("runaway_process", needs=("tasks",))
def runaway_process(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """One process holds most of memory and far more than any other: a runaway (leak, unbounded input), not a workload that needs more RAM."""
    if a.is_memcg or len(a.task_groups) < 2:
        return None
    groups = a.task_groups
    top, second = groups[0], groups[1]
    weighed = (a.ram_kb or 0) + (a.swap_total_kb or 0) - (a.hugetlb_kb or 0)
    if not weighed or top.protected:
        return None
    share = top.badness_kb / weighed
    ratio = top.badness_kb / max(1, second.badness_kb)
    if share < p["min_share"] or ratio < p["min_ratio"]:
        return None
    lines = a.lines(*(r.line for r in top.rows[:4]))
    evidence: Evidence = {
        "hog": (top.name, lines),
        "hog_kb": (top.badness_kb, lines),
        "hog_share": (round(share * 100), lines),
        "next": (second.name, a.lines(*(r.line for r in second.rows[:1]))),
        "next_kb": (second.badness_kb, a.lines(*(r.line for r in second.rows[:1]))),
        "ratio": (round(ratio, 1), lines),
    }
    snapshot = [r for r in top_processes(a.dump) if r.values.get("command", "").split()[0:1] == [top.name]]
    if snapshot:
        evidence["top_snapshot_kb"] = (snapshot[0].values.get("res_kb"), (snapshot[0].line,))
    confidence = ramp(share, p["min_share"], p["full_share"], p["confidence_low"], p["confidence_high"])
    if a.swap_total_kb and a.swap_free_kb is not None and a.swap_free_kb <= p["swap_exhausted_kb"]:
        confidence *= p["swap_exhausted_factor"]  # swap used up: the swap finding speaks first
    context = {
        "processes": len(top.pids),
        "fit": _fit_context(a, top.badness_kb),
        # a guest VM's QEMU process on a hypervisor host is what the host must keep alive (OOM201)
        "hog_is_guest": bool(a.environment.hypervisor_host and HYPERVISOR_PROCESS.match(top.name or "")),
        **_workload_context(a, top.name),
    }
    return Hit(confidence, evidence, context)

"""How often oomlens's first three steps contain a fix the expert gave (meta.json fix_patterns).

The patterns are written from the expert's remediation alone (tests/corpus/FORMAT.md). The share
is printed for all cases and for the held-out fold. Issue 13's target is 70 % on the held-out
fold; on 2026-12-06 it was 20/33 (61 %; all cases 122/160, 76 %), after the kernel_fixes message/arch
matching and the header-only workload levers 21/33 (64 %; all cases 127/160, 79 %), after the
refused-SysRq step, the zone-level mlocked share with the 5.18 OOM-reaper step and pinned
kernel_fixes records 21/33 (64 %; all cases 130/160, 81 %), after the kernel and topology advice
(lowmem page-cache reclaim defect with its releases, development trees, harmless network-path
atomics, partial pastes: vmalloc=, NUMA node limits, 64 KiB pages' min_free_kbytes) 23/33 (70 %;
all cases 140/160, 88 %; second wave 6/8), with the workload levers put first as well
23/33 (all first-wave cases 141/160, 88 %; second wave 7/8), so the target is not met yet on all 34 held-out cases
(23/34, 68 %) and the test holds the reached share as a floor (raise FLOOR as the advice improves).
After the workload candidates named elsewhere in the paste (log tags, units, other reports), the
writeback backlog under harmless block-layer failures and the sizing in the lever steps: held-out
unchanged at 23/34 (first wave 23/33), all cases 150/168 (first wave 143/160, 89 %; folds 1-4
127/134), second wave 7/8.
The third wave (THIRD_WAVE.txt, 14 threads whose expert gave a fix, labelled before oomlens ran on
them) reached 6/14 when it was added; its own floor holds that. The kernel-side rules of
2026-12-06 (no lowmem advice without HighMem pages, the NFS swap-out and ppc64 4k-pgd records,
GFP_NOIO's missing compaction, the victim of a lone kill line) took it to 11/14, all cases to
161/182 (folds 1-4 137/145); held-out unchanged at 24/37. The fourth wave (FOURTH_WAVE.txt,
11 threads labelled the same way) reached 7/8 when its first eight were added (held-out fold 2/3)
and 10/11 with the last three; its own floor holds that. The fifth wave (FIFTH_WAVE.txt, 5 threads
and pull requests labelled the same way, one of them in fold 0) reached 4/5 when it was added;
its second part (nine kernel-list threads of 2002-2009, two of them in fold 0) took it to 9/14;
its six cases added after those (two old driver allocations, a KVM GFP_DMA32 page under a node-1
cpuset, a vendor KB's benign order-2 warning, netfilter's __GFP_NORETRY vmalloc, a Linode kernel's
network order-4 failures fixed by a newer kernel; none in fold 0) reached 4/6, and with them the
wave stands at 14/20 (main's 2.6-era reading took the nine threads to 10/14).
The kernel path worded per release (knowledge/kernel_series.py) and brought among the first three
when a kernel-defect finding fires (order_steps rule 3) left every figure unchanged (all 171/193,
held-out 26/40, folds 1-4 145/153; waves 7/8, 11/14, 10/11): the held-out kernel_bug misses show
none of the signs it reads (taint, module, development tree), so it corrects wording, not the share.
The limit and process-growth levers of
2026-12-06 (OOM401 limits sized from the dump and the group's grower with its update path, OOM225
for kill lines with figures, OOM204's container hint, OOM004 on repeated memcg kills) took all
cases to 172/193 (folds 1-4 146/153); held-out unchanged at 26/40.
The kernel-defect signs read from the figures (OOM610: high-order failures with free memory on
unmaintained kernels, memory no counter explains, an exhausted DMA zone, free zones at an order-0
kill, a SysRq-f kill of a stalled pre-6.1 machine) and a kernel defect's path taking the place of a
weaker option among the first three took all cases from 188/213 to 189/213 (fifth wave 16/20 to
17/20); held-out unchanged at 27/43 (of the held-out misses, only two would be matched by a
generic kernel-update step at all; the others name a specific fix or lever).
The specific-cause steps of 2026-12-06 (who dies when oom_score_adj, not size, chose the victim;
shmem a hog maps; mlocked and tmpfs steps brought among the first three by order_steps rule 2b;
the memory-limit, harmless-warning and SysRq-victim wording; the container limit for repeated bare
kill lines and trace-less headers; the 32-bit ARM module area; a memory cgroup's mlocked pages; no
cap on a guest VM in OOM221/OOM202; PostgreSQL's shared_buffers against a limit) left every figure unchanged: all
188/213, held-out 27/43, waves 7/8, 11/14, 10/11, 16/20. No case of folds 1-4 shows the
situations they add (tests/test_specific_levers.py builds them from corpus inputs), so this
measures none of them.
The three general gaps of the sixth wave (the module named past allocation wrappers and `?` frames,
global kill lines read as a container's limit with no step on their small victim, a network driver's
atomic failure called harmless although the network stopped) took all cases from 191/218 to 194/218
and the sixth wave from 2/5 to 5/5; held-out unchanged at 29/45.
A memory cgroup full of dirty page cache (OOM404: the writer's writeback, dirty limits sized from
the group's limit, the MGLRU flusher fix; the cut memory.stat excerpt and the wrapped oom-kill line
read) took all cases from 194/221 to 196/221 and the sixth wave from 5/8 to 7/8; held-out unchanged
at 29/45.
The seventh wave (9 GitHub cases, two in fold 0) came in at 4/9 (all cases 200/230, held-out 29/47);
reading a kill line's victim missing from a cut tail of the task table as the process that held the
memory (tests/test_seventh_wave_gaps.py) took it to 5/9 and all cases to 201/230; held-out unchanged.
The eighth wave (EIGHTH_WAVE.txt, 8 mailing-list and blog cases labelled before oomlens ran on them,
two in fold 0) reached 4/8 when it was added; with its three general gaps closed (OOM202 on pre-2.6.28
reports, OOM602's impossible kill scores, OOM220 on a slab table without Mem-Info) 8/8, all cases
204/229, held-out 31/47 (the wave's two fold-0 cases counted, both with the fix, before and after).
The ninth wave (NINTH_WAVE.txt, 6 GitHub and repository-blog cases labelled before oomlens ran on them,
one in fold 0) reached 6/6 when it was added (all cases 216/245, held-out 32/50; 210/239 and 31/49
before it, the wave's fold-0 case counted, with the fix). Its general gaps (a release line above a
report's window in the big-log path, cgroup v1's sub-group stats lines, x86-64 register names below
RIP, a task header cut after the name, docker info's Kernel Version) left every figure unchanged; the
wave's parser fields went from 39/42 to 42/42.
The tenth wave (TENTH_WAVE.txt, 1 vendor knowledge-base case labelled before oomlens ran on it, in
folds 1-4) reached 0/1 when it was added (the hugepages step is there, worded outside its pattern).
The wider workload catalogue of 2026-12-06 (64 records: OpenZFS, open-vm-tools, JVM servers that
run as `java` named by the paste's words, builds, databases, ...; Chinese prose read as a person's
words; the program's own lever brought among the first three under an unsure top finding) took
all cases from 210/239 to 212/239 (third wave 12/14, seventh 6/9); held-out unchanged at 31/49.
The eleventh wave (ELEVENTH_WAVE.txt, 6 mailing-list cases labelled before oomlens ran on them, two
in fold 0) reached 5/6 when it was added (all cases 215/245, held-out 33/51; without the wave
210/239 and 31/49: both fold-0 cases have the fix).
The twelfth wave (TWELFTH_WAVE.txt, 3 cases labelled before oomlens ran on them - a Kubernetes blog
post, a router's GitHub issue, an ARM mailing-list report; none in fold 0) reached 1/3 when it was
added (all cases 224/254, 223/251 without it; held-out 34/52 unchanged): the JVM pod's limit and
heap steps; the router's tail-only paste names no cause, and the CMA report ranks lowmem exhaustion
first.
Its general gap (a summary or a kill line a person broke by hand: a space before one of the summary's
own field names, a kill line's sizes on a line of their own) left every figure unchanged; the wave's
parser fields went from 14/17 to 17/17.
The thirteenth wave (THIRTEENTH_WAVE.txt, 2 GitHub cases labelled before oomlens ran on them, in folds
1-4: an unbounded `make -j` that filled RAM and swap, fixed by the reporter with `make -j 4`; influxd
killed during a bulk load, whose maintainers pointed to the next release's cache limits or more RAM)
reached 1/2 when it was added (all cases 224/253, 223/251 without it; held-out unchanged at 34/52).
A build command with its job option in a person's words (`make -j16`, `MAKEFLAGS=-j8`) naming a
parallel build took it to 2/2 (all cases 227/256); held-out unchanged at 34/52.
Watchdog reports read as facts of the event (a soft lockup, RCU stall or hung task printed with an
OOM, with its own call trace) and the memcg reclaim soft lockup fixed by e3336cab2579 (5.9; 5.8.11,
5.4.68, 4.19.148) named from the watchdog's trace took all cases from 223/251 to 224/251 and the sixth
wave from 7/8 to 8/8; held-out unchanged at 34/52.
The fourteenth wave (FOURTEENTH_WAVE.txt, 1 GitHub case of an infrastructure project labelled before
oomlens ran on it, in fold 0: counted, never described) reached 1/1 when it was added (all cases
228/257, 227/256 without it; held-out 35/53, 34/52 without it).
The sixteenth wave (SIXTEENTH_WAVE.txt, 3 blog posts found among Q&A sites, blogs and vendor knowledge
bases, labelled before oomlens ran on them, all in folds 1-4) reached 1/3 when it was added (all cases
229/260, 228/257 without it; held-out unchanged at 35/53): the EC2 post's sizing step holds its fix;
the droplet postmortem's lone kill line (a 133 MiB victim, below OOM225's 256 MB bar) names no cause;
the Rails pod's memcg kills were told the kubelet's eviction settings, because the kubelet/runtime
record matched 'containerd' in the container's own cri-containerd-<id>.scope. With that record
matching only the daemons' units, the pod's first step names Puma's workers and threads: 2/3 (all
cases 230/260).
The seventeenth wave (SEVENTEENTH_WAVE.txt, kernel mailing-list reports of a kernel or driver defect
fixed by a commit, labelled before oomlens ran on them, none in fold 0) reached 2/2 when it was added
(all cases 230/259, 228/257 without it; held-out unchanged at 35/53); the generic step for a
module's or the kernel's high-order request already named kvmalloc()/vmalloc() for both, and the
kernel_fixes records written from the same two mails (ipmi-create-user-srcu-order4,
hid-register-field-kzalloc-order4) now lead with the fixing commit and its releases.
OOM211's step sized from the hugepages lines and the driver buffer parameters of
knowledge/driver_params.yaml (stk1160 keep_buffers, iwlwifi amsdu_size) took all cases from 228/257 to
230/257 (tenth wave 0/1 to 1/1, eleventh 5/6 to 6/6); held-out unchanged at 35/53. OOM101's CMA
placement step when the paste names CMA (twelfth wave 1/3 to 2/3) and gh-siderolabs-talos-11148's
patterns read as the expert's alternatives took all cases to 232/257 (folds 1-4 from 193/204 to
197/204); held-out unchanged at 35/53. OOM301 reading a person's words that bind the task to a
movable-only node for a request without __GFP_MOVABLE (its step: a node with a Normal zone in the
cpuset's mems) took all cases to 233/257 (folds 1-4 198/204); held-out unchanged at 35/53. A record
for rkt (stopped pods kept until rkt gc or rkt rm removes them) took all cases to 234/257 (folds 1-4
199/204, seventh wave 7/9); held-out unchanged at 35/53. Merged with the seventeenth wave: all cases
230/259 -> 236/259, folds 1-4 195/206 -> 201/206, held-out unchanged at 35/53.
The eighteenth wave (EIGHTEENTH_WAVE.txt, 6 GitHub cases whose maintainers gave the cause and the fix,
labelled before oomlens ran on them, one in fold 0) reached 4/6 when it was added (all cases 244/271,
240/265 without it; held-out 36/54, 35/53 without it). The MySQL record's levers naming the
open-files limit mysqld sizes its tables from (a limit near a billion where fs.nr_open=1073741816;
MySQL bug #96525) took it to 5/6 (all cases 245/271); held-out unchanged at 36/54.
The nineteenth wave (NINETEENTH_WAVE.txt, 5 kernel mailing-list cases whose thread ends with a fix or a
maintainer's verdict - three driver or kernel allocations moved to kvmalloc or shrunk, two harmless
failures of a caller with a fallback - labelled before oomlens ran on them, none in fold 0) reached
5/5 when it was added (all cases 245/270, 240/265 without it; held-out unchanged at 35/53). OOM501
counting a caller that retries at a smaller order (the ION/dma-buf system heap) and the printk caller
id read as the trigger's pid left these figures as they were (the ION case's first step was already
the harmless verdict) and every other corpus output byte-identical.
The twentieth wave (TWENTIETH_WAVE.txt, a Q&A question, a homelab incident write-up and two blog posts
read in public repositories, labelled before oomlens ran on them, one in fold 0) reached 1/4 when it
was added (all cases 241/269, 240/265 without it; held-out 36/54, 35/53 without it, the wave's fold-0
case counted): the Proxmox host's grep-filtered kvm lines got the process's own steps, not a smaller
VM or more host RAM; the CGI children's report got the swap and process steps, not the resident
application server the author moved to; the OpenVZ beancounter kill line inside the Q&A page's HTML
was not found. The HTML source of a page read as text, an elision mark never glued to the row
above it, the beancounter kill line read as a kill line (OOM225) and the host-side sizing in the
virtual machine's lever step took the wave to 2/4 and all cases to 242/269 (folds 1-4 of the wave
1/3); held-out unchanged at 36/54.
The twenty-first wave (TWENTYFIRST_WAVE.txt, 4 GitHub cases whose maintainers gave the cause and the
fix - node VMs and a container limit too small for Prometheus, a machine too small for an osm2pgsql
Europe import, picam's leak fixed in 2.0.4 - labelled before oomlens ran on them, none in fold 0)
reached 4/4 when it was added.
The twenty-second wave (TWENTYSECOND_WAVE.txt, 2 kernel bugzilla reports forwarded to linux-mm whose
thread ends with a fix - a use-after-free in mem_cgroup_oom_notify after memcg OOM kills, fixed by
2bcf2e92c391; a 2.6.21-mm2 SLUB order-2 atomic slab failure cured by the -mm allocator patches -
labelled before oomlens ran on them, none in fold 0) reached 1/2 when it was added (all cases 252/278,
251/276 without it; held-out unchanged at 36/54): the memcg case's steps size the cgroup, since no
finding reads the oops in the OOM path that follows the kills. OOM611 (the kernel crashed in its own
OOM code after the kill: an oops whose report names mm/oom_kill.c, the memcg OOM path or
pagefault_out_of_memory; it leads like a defect the kernel's numbers show) took it to 2/2 (all cases
253/278; held-out unchanged at 36/54); every other corpus output byte-identical.
The twenty-third wave (TWENTYTHIRD_WAVE.txt, 2 GitHub issues and 2 linux-mm threads whose maintainer,
operator or kernel developer gave the cause and the fix - a JupyterHub kernel at its container's 1 GB
limit, an application leak fixed in a release, anaconda's swapoff in a 1.75 GB VM, 3.5-rc's
oom_badness() overflow - labelled before oomlens ran on them, one in fold 0) reached 2/4 when it was
added (all cases 259/288, 257/284 without it; held-out 38/56, 37/55 without it, the wave's fold-0 case
counted): the swapoff report got the machine's RAM and swap steps, not the caller of swapoff; the
dbus-daemon kill from a cut task table got only the request for the whole report.
The twenty-fourth wave (TWENTYFOURTH_WAVE.txt, 2 GitHub issues whose thread gives the cause and the fix
- Jenkins X's pipelinerunner pod killed at its 256Mi memory-cgroup limit, raised to 512Mi; PhotoPrism's
indexer killed on a Docker host without swap, fixed by adding swap - labelled before oomlens ran on them,
none in fold 0) reached 2/2 when it was added (all cases 263/292, 261/290 without it; held-out unchanged
at 38/56).
The twenty-fifth wave (TWENTYFIFTH_WAVE.txt, 3 linux-mm and LKML threads, not GitHub, whose kernel
developer gave the cause and the fix - among them a 3.10 ARM board's 'no killable processes' panic with
every task oom_score_adj -1000 or a kernel thread, and a 2.6.18-rc1 boot-time OOM from alloc_fdtable()'s
wrong size; one in fold 0, counted, never described - labelled before oomlens ran on them) reached 0/3
when it was added (all cases 261/293, 261/290 without it; held-out 38/57, 38/56 without it, the wave's
fold-0 case counted): the ARM panic (a 32-bit kernel) got the lowmem steps - a 64-bit kernel, what fills
lowmem, vm.lowmem_reserve_ratio - not oom_score_adj; the NUMA-Q report got a request for its zone lines
and the vmalloc-space steps, not the fd-table defect.
The twenty-sixth wave (TWENTYSIXTH_WAVE.txt, 3 GitHub issues and a pull request whose maintainer or reporter
gave the cause and the fix - a CI controller's ruby process at 16 GB given a bigger VM, mailcow's rspamd grown by
its shipped configuration, NFS-Ganesha on Gluster fixed by later releases or by disabling cache-invalidation;
one in fold 0, counted, never described - labelled before oomlens ran on them) reached 1/4 when it was added
(all cases 264/299, 263/295 without it; held-out 38/58, 38/57 without it, the wave's fold-0 case counted): the
controller got 'a larger VM or instance'; for rspamd and ganesha.nfsd the first step names the program and says to
look for a leak fixed in a newer release and update to it, which the patterns (written from the experts' fixes: that
program's upgrade, or its configuration) do not match - the name and the update are further apart than they allow -
and neither the mailcow configuration files nor Gluster's cache-invalidation option is named.
The twenty-seventh wave (TWENTYSEVENTH_WAVE.txt, 5 linux-mm, LKML, stable, linux-fsdevel and xen-devel threads,
not GitHub, whose expert gave the cause and a concrete fix - high-order GFP_KERNEL allocations fixed in the
kernel (5.10 bnxt_en's order-5 TPA array, a 5.4 arm64 Xen privcmd page array moved to kvcalloc, a 5.10
/proc/sys read of 128 kB needing 256 kB contiguous) and a 5.0-rc4-next memcg OOM whose memory.oom.group kill
took systemd and panicked; one in fold 0, counted, never described - labelled before oomlens ran on them)
reached 4/5 when it was added (all cases 268/304 on top of the twenty-sixth wave, 264/299 without it; held-out
39/59, 38/58 without it, the wave's fold-0 case counted): the oom.group case got the raise-the-limit steps, not
the kernel fix; 5/5 (269/304) once the group kill was read as one event and its kill of pid 1 as the defect
d342a0b38674 fixed.
The twenty-eighth wave (TWENTYEIGHTH_WAVE.txt, 3 incident write-ups kept in public repositories - a Claude Code
subprocess killed at 42 GB, capped with prlimit; an OpenVZ beancounter kill of mysqld on a 1 GB VPS whose php-fpm
pool filled it, pm = ondemand with pm.max_children = 5; Airflow task processes killed at a Celery worker's memory
cgroup, fewer concurrent tasks - labelled before oomlens ran on them, none in fold 0) reached 1/3 when it was
added (all cases 264/298, 263/295 without it; held-out unchanged at 38/57): the Claude subprocess got a memory
cgroup cap, not a per-process limit; the beancounter line, its UB number masked as XXXX, was not read. Read
since (a masked beancounter number, tests/test_twentyeighth_wave_gaps.py), it leads with the victim's growth and
mysqld's own levers, not the php-fpm pool the author's ps output blamed: still 1/3, every other figure unchanged.
Its fourth case (the same operator's security-scanner.service python3 killed by its unit's memory cgroup, the
limit raised from 512M to 2G) came in at 1/4 (all cases 264/299); with the kill message wrapped after its cause
read as one line (tests/test_twentyeighth_wave_gaps.py) 2/4, all cases 265/299, held-out unchanged at 38/57.
The twenty-ninth wave (TWENTYNINTH_WAVE.txt, 3 GitHub issues whose maintainer, developer or reporter gave the
cause and the fix - Nomad exec tasks inheriting the agent's oom_score_adj -1000 ('Out of memory and no killable
processes...', nomad PR #10698), OpenPAI services on a Kubernetes node whose oom_score the developers lowered;
one in fold 0, counted, never described - labelled before oomlens ran on them) reached 2/3 when it was added
(all cases 266/302, 264/299 without it; held-out 39/59, 38/58 without it, the wave's fold-0 case counted): the
Nomad case got the oom_score_adj -1000 steps; the OpenPAI kill lines (a python job selected with score 998, its
child nvidia-smi killed) led with the python process as the hog and its worker settings, not oom_score_adj.
Since the same day a kill line's score is no longer read as the victim's share of memory when the paste shows
another task of the same machine at a raised oom_score_adj (there kube-apiserver's header at 982): the score
adds the victim's own, unprinted value, and the first step is to check it (3/3; all cases 267/302, held-out
39/59). With the twenty-eighth wave merged in: all cases 269/306 (266/303 without this wave), held-out 39/59
(38/58 without it).
The thirtieth wave (THIRTIETH_WAVE.txt, 2 GitHub issues whose expert or reporter gave the cause and the fix - an
Apache Druid broker JVM whose heap plus direct memory exceed its 30 GB host (apache/druid #7080), Eclipse Jifa's
-Xms64g/-Xmx64g JVM killed parsing a 47 GB heap dump (eclipse-jifa/jifa #59); none in fold 0 - labelled before
oomlens ran on them) reached 2/2 when it was added (all cases 276/313, 274/311 without it; held-out unchanged at
40/60): both kill-line excerpts lead with the JVM's own heap and direct-memory settings.
(38/58 without it).The thirty-first wave (THIRTYFIRST_WAVE.txt, 3 LKML threads whose expert's fix is a tuning change - a 2.6.8.1
NFS/XFS server's lowmem slab OOMs stopped by vm.min_free_kbytes 32768, a 64 MB tulip box's order-0 atomic skb
failures (Andrew Morton: increase min_free_kbytes), a 2.6.17.6 e1000 at MTU 9000 with order-3 atomic failures
(a 2G/2G split and min_free_kbytes 65000); none in fold 0 - labelled before oomlens ran on them) reached 2/3 when
it was added (all cases 276/314, 274/311 without it; held-out unchanged at 40/60): the e1000 paste opens with the
Mem-Info tail of an earlier report the author cut, a fragment event with no cause. Since the same day the 2.6.8
header `oom-killer: gfp_mask=0xd0` (no order) is read as the trigger and 2.6.16+ i386 two-column traces as trace
lines (arch i686): still 2/3, every other output unchanged.
The thirty-second wave (THIRTYSECOND_WAVE.txt, 5 GitHub issues of applications whose maintainer, developer or
reporter gave the cause and the fix - OpenSearch k-NN IVF-PQ indices on an aarch64 node (upgrade to k-NN 2.13,
opensearch-project/k-NN #1301), nginx on USTC LUG's reverse proxy (memory raised to 2 GB, ustclug/discussions #110),
a restic backup with swap disabled (swap added, restic/restic #1171), minio in a 4 GB LXC container sizing its cache
from the host's RAM (minio PR #4002 reads the cgroup limit, minio/minio #4001); one in fold 0, counted, never
described - labelled before oomlens ran on them) reached 4/5 when it was added (all cases 282/321, 278/316 without
it; held-out 41/61, 40/60 without it, the wave's fold-0 case counted): the k-NN case's steps size OpenSearch's JVM
heap, while the memory was the plugin's native index tables.
The thirty-third wave (THIRTYTHIRD_WAVE.txt, 5 kernel-list threads whose expert gave a kernel or driver fix - an
OMAP1 camera driver's order-6 videobuf mmap on 32 MB (reserve the DMA memory at probe), the oom_reaper's exit race
(e2fe14564d33, 4.7), memory hotplug's harmless order-9 vmemmap failures (__GFP_NOWARN, fcdaf842bd8f, 4.15), a
PA-RISC box's boot-time order-0 failure in set_fixmap() (c2ff2b736c41, 6.5), nouveau's order-7 GSP radix3 page table
(6f572a805457, 6.9); one in fold 0 - labelled before oomlens ran on them) reached 5/5 when it was added (all cases
283/321, 278/316 without it; held-out 41/61, 40/60 without it).
The thirty-fourth wave (THIRTYFOURTH_WAVE.txt, 3 GitHub issues of virtualisation and storage projects whose
maintainers gave the cause and the fix - MicroCeph's tutorial VMs left at LXD's default 1 GiB (canonical/microceph
#112, PR #118: m1.large), a MicroCloud tutorial nested in a Multipass VM (canonical/microcloud #216: more memory for
the VMs), Concourse workers on GKE's 4.14 kernel whose iptables table vmalloc with __GFP_NORETRY failed
(concourse/concourse #3127: a newer node image kernel); one in fold 0, counted, never described - labelled before
oomlens ran on them) reached 3/3 when it was added (all cases 281/319, 278/316 without it; held-out 41/61, 40/60
without it, the wave's fold-0 case counted).
The general gaps behind four folds 1-4 misses (tests/test_advice_gaps.py) took all cases from 278/316 to
282/316; held-out unchanged at 40/60: kills of tiny tasks that end in 'no killable processes' read as that
incident from their first kill (OOM003; twenty-fifth wave 0 -> 1/3), a global kill's score above 1000 for a
task of a page or so read as the scoring defect on any release (OOM602; twenty-third wave 2 -> 3/4), an OOM
inside swapoff (OOM227) with the key lines quoted above the bare report no longer an event of their own
(twenty-third wave 3 -> 4/4), and a CGI program's per-request lever (workloads.yaml cgi; twentieth wave 2 -> 3/4).
The thirty-fifth wave (THIRTYFIFTH_WAVE.txt, 4 GitHub issues whose maintainer, contributor or operators gave the cause
and the fix - Compiler Explorer's 4 GB instance running four compiles of up to 1.25 GB each beside its node server
(compiler-explorer/infra #831: fewer concurrent compiles), CryFS 0.10.2's mount-time key derivation killed on a
Pinebook Pro (cryfs/cryfs #335: create the volume with 0.9.11, upgrade with --allow-filesystem-upgrade), Mastodon's
ruby killed at its LXC container's 2 GB limit (osm-fr/infrastructure #70: the container's swap raised to 1 GB); one in
fold 0, counted, never described - labelled before oomlens ran on them) reached 1/4 when it was added (all cases
295/333, 294/329 without it; held-out 44/64, 43/63 without it, the wave's fold-0 case counted): the Papertrail
task-dump row is not read as an event (PARSER_GAPS).
The thirty-sixth wave (THIRTYSIXTH_WAVE.txt, 2 GitHub issues of applications in domains the corpus had little of,
whose reporter or developers gave the cause and the fix - duplicity grown to 12 GB during a backup
(alibaba-archive/alicloud-duplicity #3: duplicity 0.7.19), MatrixOne's mo-service at 228 GB on TPC-H Q5
(matrixorigin/matrixone #7768: a wrong join order, fixed in the database); one in fold 0, counted, never described -
labelled before oomlens ran on them) reached 2/2 when it was added (all cases 297/335, 295/333 without it; held-out
45/65, 44/64 without it, the wave's fold-0 case counted).
The thirty-seventh wave (THIRTYSEVENTH_WAVE.txt, 4 LKML, linux-mm and stable threads ending on a kernel fix or a tuning
change - exFAT's vol_amap array moved to kvmalloc_array (daf60d6cca26; its mail was already a kernel_fixes record's
source, so no unseen test), the highatomic reserve counted by the fast watermark check (f27ce0e14088), vm.min_free_kbytes
raised for GFP_ATOMIC failures on a phone swapping to zram (the zram maintainer's answer to a patch he turned down), the
kdump kernel's GFP_DMA warning silenced when ZONE_DMA has no managed pages (c4dc63f0032c); none in fold 0 - labelled
before oomlens ran on them) reached 3/4 when it was added (all cases 298/337, 295/333 without it; held-out unchanged at
44/64): the kdump case's steps look for the GFP_DMA driver instead of calling the warning expected, and the highatomic
case is counted through its generic kernel-update step (the finding leading it is unaccounted memory).
The thirty-eighth wave (THIRTYEIGHTH_WAVE.txt, 3 GitHub issues of applications whose reporter or maintainers gave the
cause and the fix - a Soltra appliance's VM doubled in RAM (Soltra/plugin-crits #1), Islandora Workbench's HTTP cache
moved from memory to SQLite (mjordan/islandora_workbench #608), cqlite's test-fixture generator no longer materialising
a product (pmcfadin/cqlite #3399); none in fold 0 - labelled before oomlens ran on them) reached 0/3 when it was added
(all cases 300/342, 300/339 without it; held-out unchanged at 45/65): the grep-prefixed kill lines are not read as an
event, and the other two fixes are the applications' own (a cache backend, a generator), which no step names.
Reading grep's file-name prefix (grammar/prefixes.lark GREP_FILE; every earlier corpus output unchanged) raised it to
1/3 (all cases 301/342; held-out unchanged at 45/65): the Soltra VM's second step is to give the VM more RAM.
The thirty-ninth wave (THIRTYNINTH_WAVE.txt, 5 linux-usb, linux-scsi, selinux, linux-fsdevel and linux-input threads -
the ChipIdea UDC's sg support for an order-4 f_fs buffer on a 256 MB i.MX8MN, kvzalloc for sd_zbc's REPORT ZONES
buffer (7ce3e6107103), the SELinux AVC's GFP_NOWAIT warnings silenced (648f2c6100cf, quoted as logcat lines with a UID
column), kvzalloc for evdev's client after an order-3 OOM panic on 32-bit ARM (7f439bc2d7e8), and an LTP madvise09
memcg kill read without a remedy (no fix_patterns); none in fold 0 - labelled before oomlens ran on them) reached 3/4
when it was added (all cases 303/343, 300/339 without it; held-out unchanged at 45/65): the sd_zbc case's lone
'vmalloc error: size 0, failed to allocate pages' line got no finding. OOM609 (a vmalloc told not to retry gave up)
then read the 5.13+ wording of that warning as well as the older 'allocated X of Y bytes' one, which took the wave
to 4/4 and all cases to 304/343; held-out unchanged at 45/65 (no fold-0 output changed).
Three general gaps behind folds 1-4 misses (2026-12-07 evening; tests/test_situation_records.py,
tests/test_recurring_failures.py, tests/test_updated_program.py) took all cases from 300/339 to 303/339 (folds
1-4 255/274 to 258/274); held-out unchanged at 45/65: a kernel_fixes record may name the machine's situation the
report does not print (the x86 kdump kernel's empty ZONE_DMA, c4dc63f0032c; thirty-seventh wave 3 -> 4/4), a
failure pasted once but shown recurring (the person's words, an earlier report's tail right above it) is not a
lone harmless warning, and a jumbo-frame receive buffer that keeps failing leads with the MTU or
vm.min_free_kbytes (thirty-first wave 2 -> 3/3), and a program the person says was just updated leads with that
release (twenty-sixth wave 1 -> 2/4).
The negation rule (2026-12-07 evening; has_expert_fix, negated_positions): a pattern's match no longer counts
where a negated clause of the step holds it, so "Do not tune the system for it (min_free_kbytes, swap,
overcommit)" or "add RAM rather than more swap" is not read as the expert's min_free_kbytes or swap. A clause
ends at a comma, at '.', ';', ':', '!' or '?' before a space, or at a spaced dash; it is negated after a
negation that opens it ('do not', "don't", 'never', 'not', 'no') or after 'instead of' / 'rather than', the
catalogue's wording of advice against something ('without', 'cannot' and a descriptive 'that do not' are not:
the catalogue says "boot without nokaslr" for an expert's fix); a parenthesis belongs to its clause, quoted
text (commit titles) is a name, and a pattern the expert's own words match only in negated clauses ("do not
set oom_score_adj=-1000 on processes that can grow") counts negated mentions too. Measured on main of
2026-12-07 (5cc34fb): all cases 311/350 -> 310/350, held-out 46/66 -> 45/66 (first wave 23/33 -> 22/33,
so FLOOR is 0.66: that hit was a negated mention only), folds 1-4 unchanged at 265/284 and every wave
unchanged. No folds 1-4 hit rested on a negated mention: theirs ('not a kernel update', 'rather than more
swap', 'Do not give oom_score_adj -1000', 'never set a large fixed min_free_kbytes') sit beside a plain one
in the same step; outside the first three steps, eight steps of folds 1-4 cases matched only through
negated mentions (min_free_kbytes in 'never set a large fixed', 'Do not tune the system for it', 'no memory
tuning ... is needed'; crashkernel= in 'no large boot-time reservations').
The general gaps behind nine of the eighteen folds 1-4 misses (2026-12-07 evening; tests/test_program_levers.py,
tests/test_app_levers.py) took all cases from 307/346 to 316/346 (folds 1-4 263/281 to 272/281); held-out
unchanged at 44/65: the update path names the program to update ('update ganesha.nfsd to it', 'the
application' for a runtime), records for the OpenStreetMap importers (osm2pgsql, Overpass's update_database
--flush-size) and CryFS (its mount-time scrypt), vector indices outside an OpenSearch heap, a bare python3
read as a Python program (what it keeps) and no longer as gunicorn/Celery workers, a per-process limit
(prlimit --as) in the cap step, the project of a memory.max writer (openrc-run.sh: OpenRC), and a v1 group's
unused swap allowance in the raise-limit steps. The nine left: three pastes that do not show the program
the expert names (dnsmasq, ollama, redis-server), Compiler Explorer's Papertrail row (not read as an event),
Uptime Kuma named only by the author's docker command, the php-fpm pool an author's ps output blamed for a
mysqld kill, Open CAS and OpenWrt's mac80211 leak (no module or slab named), and a NUMA-Q development build
whose release is not printed ('-git3 was fine'). Versioned runtime names (ruby.ruby2.5 read as Ruby; java7,
php-cgi not the program to update) and the product a runtime process runs named in its update path ('update
Home Assistant Core to it') left every figure unchanged.
The forty-fifth wave (FORTYFIFTH_WAVE.txt, 3 GitHub issues found by search queries fixed before any search - a
Temurin 21 JVM in Docker killed at its memcg by a C2 compiler leak (adoptium/adoptium-support #1190: a JDK with
JDK-8340824), cc1plus killed building mlpack on a laptop (mlpack/mlpack #2213: the build finished with the other
programs closed), node_exporter's order-5 failure pasted as the issue title (prometheus/node_exporter #2990: a
contributor's fragmentation reading, no remedy, so no fix_patterns); none in fold 0 - labelled before oomlens ran on
them) reached 0/2 when it was added (all cases 316/348, 316/346 without it; held-out unchanged at 44/65): the JVM
case's '<hostname>'-redacted syslog lines were not read (a parser gap, read since the same evening: the memcg kill it
is), so its steps size the heap and the container limit, and the build case's bound make -j and size RAM. (The JVM case's first pattern matched an unrelated 'updates
of older releases carry backports: java' sentence on the first run; it was narrowed to the expert's fix itself.)
The forty-sixth wave (FORTYSIXTH_WAVE.txt, 9 public cases found by query families fixed before any search - Q&A
sites through the stored pages, write-ups kept in repositories (Korean, Chinese, Turkish, English blogs, an incident
report and Harvester's knowledge base), mailing lists, workload families' trackers; none in fold 0 - labelled before
oomlens ran on them) reached 4/8 with fix patterns when it was added (all cases 321/356, 317/348 without it;
held-out unchanged at 44/65): the Python scheduler's tracemalloc, the one-line file's chunked read, the btrfs case's
kernel upgrade and the VM pods' overhead reserve are among the first three steps; the two Ruby cases' fixes are not
(a property test's 'bound the input', a crawler's move to Sidekiq jobs: their steps size Puma/Sidekiq workers, what a
bare ruby is read as), nor the Pi 5 rtw88_usb case's min_free_kbytes (its first step calls the one order-3 atomic
failure harmless; the others fix the driver's allocation and compaction), nor the highatomic patch's fix (OOM601
finds a kill with free memory and says to update the kernel, but reads no reserved_highatomic against the min
watermark, so names no fix).
The forty-seventh wave (FORTYSEVENTH_WAVE.txt, 7 public cases found by exact kernel strings fixed before any search -
'kernel: lowmem_reserve[]:', 'kernel: Memory cgroup stats for /docker', 'kernel: Memory cgroup stats for
/system.slice', 'kernel: Out of memory and no killable processes' and prose strings in other languages - in write-ups
kept in repositories and in linux-mm/LKML threads; two in fold 0 - labelled before oomlens ran on them) reached 4/6
with fix patterns when it was added (folds 1-4 2/4, fold 0 2/2): the LKRG module's report to its authors and the
Mesos java container's larger limit are among the first three steps; the ZFS crash report's ARC cap is not (its three
kernel lines show a memcg OOM with no killable task, nothing of ZFS), nor the 2.6.11 GFP_DMA kill's
sd_revalidate_disk (its report has no trace; the DMA-zone steps say to find and update the GFP_DMA caller).
"""

from __future__ import annotations

import re

from oomcases import WAVES, corpus_cases, is_held_out, load_case, wave_cases, waves_from

from bot.pipeline import analyze

TARGET = 0.70  # issue 13
# 23/33 reached on 2026-12-06 (first-wave cases; 21/33 before the kernel advice); never lowered for the
# advice. 22/33 since 2026-12-07: the negation rule (has_expert_fix) found one of those 23 held-out hits
# (counted, not named or read) held by a mention in a negated clause only - a hit the over-counting
# matcher gave, never a fix oomlens gave; every folds 1-4 hit and every wave's count stayed as it was.
FLOOR = 0.66
# For each wave (tests/corpus/<NAME>_WAVE.txt, in oomcases.WAVES), how many of its cases have an expert fix
# among the first three steps: each reached when it was measured, never lowered. A new wave gets its
# entry when it is added (the test below asks for one per wave).
WAVE_FLOORS = {
    # cases of the second wave with an expert fix among the first three steps: 6/8 reached on
    # 2026-12-06 (3 before the last diagnosis fixes, 5 before the kernel advice and workload levers);
    # never lowered
    "SECOND": 7,
    # cases of the third wave (threads whose expert gave a fix, labelled before oomlens ran on them)
    # with an expert fix among the first three steps, reached on 2026-12-06 when it was added; never lowered
    # of 14: 6 when the wave was added; 7 once module build IDs were read; 11 after the kernel-side
    # rules (HighMem evidence for OOM101, the NFS swap-out and ppc64 4k-pgd records, ppc64 dot
    # symbols, GFP_NOIO's missing compaction, the victim of a kill line pasted alone)
    # 12 once the person's words named OpenZFS (its record: zfs_arc_max, zfs_vdev_disk_classic)
    "THIRD": 12,
    # cases of the fourth wave (labelled the same way) with an expert fix among the first three steps,
    # reached on 2026-12-06 when it was added; never lowered
    "FOURTH": 10,  # of 11 (7 of the first 8 when they were added; the last 3 all)
    # cases of the fifth wave (FIFTH_WAVE.txt, labelled the same way) with an expert fix among the first
    # three steps, reached on 2026-12-06 when it was added; never lowered. Its fold-0 cases are counted,
    # never named.
    # of 20: 4 of the first 5, 6 of the nine kernel-list threads, 4 of the last 6 (14), then 15 once
    # OOM301 named the cpuset that leaves out the DMA32 zone's node, 16 once OOM609 read a partial
    # __GFP_NORETRY vmalloc failure, 17 once a kernel defect's path took the place of a weaker option
    "FIFTH": 18,  # 18 after the evening merges of 2026-12-06 (kernel_fixes records, orders 1-3, OOM405)
    # cases of the sixth wave (SIXTH_WAVE.txt, labelled the same way; two of them in fold 0, counted,
    # never named) with an expert fix among the first three steps, reached on 2026-12-06 when it was
    # added; never lowered.
    # of 5: 0 of the first 2 (the OpenZFS case's module step names the spl allocator frame, not zfs; the
    # mergerfs kill lines get container-limit steps although every kill is global), then 2 of the last 3
    # (two of them in fold 0; the virtio_net receive-refill failure is called harmless, not a driver defect);
    # 5 of 5 once the module past allocation wrappers and '?' frames was named, global kill lines lost the
    # container-limit reading (OOM206 for their small victim) and a network driver's failure after which the
    # network stopped got the driver's update path.
    # of 8: 0 of the three memory-cgroup cases added last (corpus9: MGLRU not waking the flushers for
    # cgroup v1, the soft lockup after a memcg kill on UP kernels, a v1 memcg full of dirty pages with no
    # writeback started): each gets the raise-the-limit steps; the floor stays 5.
    # 7 of 8 once OOM404 read a group full of dirty page cache (the writer's writeback step, the MGLRU
    # flusher fix for a release the paste does not name); the soft lockup after a memcg kill stays a miss
    # 8 of 8 once the soft lockup's own report was read (Event.watchdogs) and its trace through memcg
    # reclaim named e3336cab2579 (knowledge/kernel_fixes.yaml memcg-reclaim-soft-lockup-no-cond-resched)
    "SIXTH": 8,
    # cases of the seventh wave (SEVENTH_WAVE.txt, GitHub threads labelled the same way; two of them in
    # fold 0, counted, never named) with an expert fix among the first three steps, reached on 2026-12-06
    # when it was added; never lowered.
    # of 9: 4 (the four memory-cgroup limits get the raise-the-limit step; the two application fixes the
    # paste does not name - vmtoolsd, rkt pods - and MatrixOne's kill line under a cut task table get no
    # step of theirs; both fold-0 cases miss); 5 once a kill line's victim missing from a cut tail of the
    # task table (and larger than every pasted row) was read as the process that held the memory (OOM201)
    # 6 once Chinese prose was read as a person's words and open-vm-tools got a record (its release)
    # 7 once rkt got a record (stopped pods kept until rkt gc / rkt rm), named by the reporter's words
    "SEVENTH": 7,
    # cases of the eighth wave (EIGHTH_WAVE.txt, labelled the same way; two of them in fold 0, counted,
    # never named) with an expert fix among the first three steps, reached on 2026-12-06 when it was
    # added; never lowered.
    # of 8: 4 when it was added (2 of the 6 in folds 1-4: the NAT skb copy and the SMB fallocate buffer
    # get the kernel or vmalloc path; the Ubuntu discard-loop slab leak pasted without header or kill
    # line, the i686 kill with no swap and no RSS figures, the overflowed score of 1 and the memcg score
    # above 1000 do not); 7 once OOM202 read a no-swap kill of a pre-2.6.28 report (anonymous memory
    # and page cache printed as one LRU figure) and OOM602 read kill scores the per-mille scale cannot
    # give (oom_badness()'s int overflow, the 3.12/3.13 memcg limit bypass) with their fixes; 8 once
    # OOM220 read a report cut to its trace and 'Unreclaimable slab info' table (the kernel path first)
    "EIGHTH": 8,
    # cases of the ninth wave (NINTH_WAVE.txt, GitHub issues and pull requests and a blog post kept in a
    # repository, labelled the same way; one of them in fold 0, counted, never named) with an expert fix among
    # the first three steps, reached on 2026-12-06 when it was added; never lowered.
    # of 6: 6 when it was added (the kernel update for the veth queue array, the 3.10 order-4 failure and the
    # CentOS 6 atomic failure; more VM memory for the Vagrant build; swap for the swapless CentOS machine; lower
    # JVM memory settings for Pulsar's test containers)
    "NINTH": 6,
    # cases of the tenth wave (TENTH_WAVE.txt, labelled the same way; none in fold 0) with an expert fix
    # among the first three steps, reached on 2026-12-06 when it was added; never lowered.
    # of 1: 0 (the Azure VM whose vm.nr_hugepages reserved its memory at boot ranks OOM211 first, whose
    # first step is 'Lower the pool to what hugepage users (databases, DPDK, VMs) really map: sysctl -w
    # vm.nr_hugepages=N ...': the fix in substance, but the verb and the setting lie further apart than
    # the case's pattern, written from the article before oomlens ran, allows; neither was changed after);
    # 1 once OOM211's step named the setting first and sized the pool from the Mem-Info hugepages lines
    # (how many pages, how many in use), with a larger machine as the other way out
    # (tests/test_fix_share_gaps.py)
    "TENTH": 1,
    # cases of the eleventh wave (ELEVENTH_WAVE.txt, labelled the same way; two of them in fold 0, counted,
    # never named) with an expert fix among the first three steps, reached on 2026-12-06 when it was
    # added; never lowered.
    # of 6: 5 (both fold-0 cases with the fix; the stk1160 capture driver's order-6 failure gets the
    # "update the stk1160 module" step, not its keep_buffers option, which its author gave); 6 once a
    # table of driver buffer parameters (knowledge/driver_params.yaml) gave the module's own option for
    # the buffer whose allocation is in the trace
    "ELEVENTH": 6,
    # cases of the twelfth wave (TWELFTH_WAVE.txt, labelled the same way; none in fold 0) with an expert fix
    # among the first three steps, reached on 2026-12-07 when it was added; never lowered.
    # of 3: 1 (the JVM pod at its 512Mi limit: the JVM heap step and the limit step; the AREDN router's
    # tail-only paste names no cause, so no dnsmasq step; the ARM CMA report ranks OOM101 first, with no
    # step on where CMA is reserved); 2 once a paste that names CMA got OOM101's CMA placement step for
    # an unmovable lowmem request (tests/test_fix_share_gaps.py)
    "TWELFTH": 2,
    # cases of the thirteenth wave (THIRTEENTH_WAVE.txt, labelled the same way; none in fold 0) with an
    # expert fix among the first three steps, reached on 2026-12-07 when it was added; never lowered.
    # of 2: 1 (InfluxDB's kill lines get its own levers, a newer release and more RAM; FedTree's unbounded
    # `make -j` paste shows only the end of Mem-Info and an empty task table: nothing in the kernel's
    # lines names the compilers, only the reporter's words, and the swap-exhausted steps do not reach
    # the number of parallel jobs); 2 since a build command with its job option in a person's words
    # (`make -j`) names a parallel build (2026-12-07)
    "THIRTEENTH": 2,
    # cases of the fourteenth wave (FOURTEENTH_WAVE.txt, GitHub issues of infrastructure projects, labelled
    # the same way; its one case in fold 0, counted, never named) with an expert fix among the first three
    # steps, reached on 2026-12-07 when it was added; never lowered.
    "FOURTEENTH": 1,
    # cases of the fifteenth wave (FIFTEENTH_WAVE.txt, GitHub issues whose maintainers gave the fix,
    # labelled the same way; none in fold 0) with an expert fix among the first three steps, reached on
    # 2026-12-07 when it was added; never lowered.
    # of 3: 2 (Prometheus's own levers - fewer series - and more RAM for nix-build's evaluation; OpenRC's
    # fix is a newer OpenRC, which nothing in the paste names: the OOM's writer is openrc-run.sh); 3 once a
    # memory.max writer the kernel prints named its project (openrc-run.sh: update OpenRC)
    "FIFTEENTH": 3,
    # cases of the sixteenth wave (SIXTEENTH_WAVE.txt, Q&A sites, blogs and vendor knowledge bases, labelled
    # the same way; its three cases in folds 1-4) with an expert fix among the first three steps: 1 when it
    # was added (2026-12-07), 2 since a container's cgroup is its application's, not the runtime's
    # (knowledge/workloads.yaml, kubelet record); never lowered.
    "SIXTEENTH": 2,
    # cases of the seventeenth wave (SEVENTEENTH_WAVE.txt, kernel mailing-list reports of a kernel or driver
    # defect fixed in stable releases, labelled the same way; none in fold 0) with an expert fix among the
    # first three steps, reached on 2026-12-07 when it was added; never lowered.
    "SEVENTEENTH": 2,
    # cases of the eighteenth wave (EIGHTEENTH_WAVE.txt, GitHub issues whose maintainers gave the cause and
    # the fix, labelled the same way; one in fold 0, counted, never named) with an expert fix among the
    # first three steps: 4 of 6 when it was added (2026-12-07; not the Open CAS paste, whose fix is a
    # newer cas_cache module the paste does not name, nor minikube's mysqld, whose fix is a lower
    # open-files limit), 5 since the MySQL record's levers name the open-files limit mysqld sizes its
    # tables from (knowledge/workloads.yaml, MySQL bug #96525); never lowered.
    "EIGHTEENTH": 5,
    # cases of the nineteenth wave (NINETEENTH_WAVE.txt, kernel mailing-list threads that end with a fix or a
    # maintainer's verdict, labelled the same way; none in fold 0) with an expert fix among the first three
    # steps, reached on 2026-12-07 when it was added; never lowered.
    "NINETEENTH": 5,
    # cases of the twentieth wave (TWENTIETH_WAVE.txt, Q&A sites, forums and blogs read in public
    # repositories, labelled the same way; one of them in fold 0, counted, never named) with an expert fix
    # among the first three steps: 1 when it was added (2026-12-07), 2 since a virtual machine's lever
    # step says that the guests' memory adds up on the host (a smaller guest or more host RAM when the
    # host kills one, knowledge/workloads.yaml vm record); 3 since a program the web server runs per request
    # (a *.cgi task holding the most memory) gets its own lever, a resident server instead of per-request CGI
    # (knowledge/workloads.yaml cgi record; tests/test_advice_gaps.py); 4 with the OpenStreetMap importers' record
    # (Overpass's update_database --flush-size); never lowered.
    "TWENTIETH": 4,
    # cases of the twenty-first wave (TWENTYFIRST_WAVE.txt, GitHub issues whose maintainers gave the cause and
    # the fix, labelled the same way; none in fold 0) with an expert fix among the first three steps,
    # reached on 2026-12-07 when it was added; never lowered.
    "TWENTYFIRST": 4,
    # cases of the twenty-second wave (TWENTYSECOND_WAVE.txt, kernel bugzilla reports forwarded to linux-mm
    # whose thread ends with a fix, labelled the same way; none in fold 0) with an expert fix among the first
    # three steps: 1 of 2 when it was added (2026-12-07; not the memcg OOM followed by an oops in
    # mem_cgroup_oom_synchronize, whose steps sized the cgroup), 2 since OOM611 reads the kernel's crash
    # in its own OOM code after the kill; never lowered.
    "TWENTYSECOND": 2,
    # cases of the twenty-third wave (TWENTYTHIRD_WAVE.txt, GitHub issues and linux-mm threads whose maintainer,
    # operator or kernel developer gave the cause and the fix, labelled the same way; one in fold 0, counted,
    # never named) with an expert fix among the first three steps, reached on 2026-12-07 when it was added;
    # 3 once a global kill's score above 1000 for a task of one page was read as OOM602's scoring defect, with the
    # kernel fix first (tests/test_advice_gaps.py); 4 once an OOM inside swapoff got OOM227's step not to turn swap
    # off while the swapped-out memory does not fit, and the key lines quoted above the bare report were no longer
    # an event of their own (tests/test_advice_gaps.py); never lowered.
    "TWENTYTHIRD": 4,
    # cases of the twenty-fourth wave (TWENTYFOURTH_WAVE.txt, GitHub issues whose thread gives the cause and
    # the fix, labelled the same way; none in fold 0) with an expert fix among the first three steps, reached
    # on 2026-12-07 when it was added; never lowered.
    "TWENTYFOURTH": 2,
    # cases of the twenty-fifth wave (TWENTYFIFTH_WAVE.txt, linux-mm and LKML threads whose kernel developer gave
    # the cause and the fix, labelled the same way; one in fold 0, counted, never named) with an expert fix
    # among the first three steps: 0 of 3 when it was added (2026-12-07); 1 once the ARM board's kills of tiny
    # tasks that end in 'no killable processes' were read as that incident (OOM003's oom_score_adj -1000 steps
    # first; tests/test_advice_gaps.py); never lowered.
    "TWENTYFIFTH": 1,
    # cases of the twenty-sixth wave (TWENTYSIXTH_WAVE.txt, GitHub issues and a pull request whose maintainer or
    # reporter gave the cause and the fix, labelled the same way; one in fold 0, counted, never named) with an
    # expert fix among the first three steps: 1 of 4 when it was added (2026-12-07); 2 once a program the
    # person says was just updated led with that release (mailcow's 'rspamd updated yesterday'); 3 once the update
    # path named the program to update ('update ganesha.nfsd to it'); never lowered.
    "TWENTYSIXTH": 3,
    # cases of the twenty-seventh wave (TWENTYSEVENTH_WAVE.txt, linux-mm, LKML, stable, linux-fsdevel and xen-devel
    # threads whose expert gave the cause and a concrete fix, labelled the same way; one in fold 0, counted, never
    # named) with an expert fix among the first three steps: 4 of 5 when it was added (2026-12-07); never lowered.
    # 5 of 5 once a memory.oom.group kill was read as one event and its kill of pid 1 as the defect fixed by
    # d342a0b38674 (knowledge/kernel_fixes.yaml memcg-oom-group-kills-global-init)
    "TWENTYSEVENTH": 5,
    # cases of the twenty-eighth wave (TWENTYEIGHTH_WAVE.txt, incident write-ups kept in public repositories - an
    # operator's incident and root-cause reports, a blog post's source, a fix summary - labelled the same way; none
    # in fold 0) with an expert fix among the first three steps: 1 of 3 when its first three were added (2026-12-07;
    # the Airflow case; not the Claude subprocess, whose steps cap the process with a memory cgroup rather than a
    # per-process limit, nor the OpenVZ beancounter kill, not read as an event then and, read since, given mysqld's
    # levers rather than the php-fpm pool's), 1 of 4 with the security scanner's memory-cgroup kill (its kill message
    # wrapped after 'Memory cgroup out of memory:' read as a global kill), 2 of 4 since that wrapped message is one
    # line again (grammar/normalise.py _cause_tail: the limit step comes first), 3 of 4 since the cap step offers a
    # per-process limit (prlimit --as) for a program another one starts; never lowered.
    "TWENTYEIGHTH": 3,
    # cases of the twenty-ninth wave (TWENTYNINTH_WAVE.txt, GitHub issues whose maintainer, developer or reporter
    # gave the cause and the fix, labelled the same way; one in fold 0, counted, never named) with an expert fix
    # among the first three steps: 2 of 3 when it was added (2026-12-07); 3 of 3 once a kill line's score beside a
    # raised oom_score_adj on the same machine was no longer read as the victim's share (same day); never lowered.
    "TWENTYNINTH": 3,
    # cases of the thirtieth wave (THIRTIETH_WAVE.txt, GitHub issues whose expert or reporter gave the cause and the
    # fix - a Druid broker JVM whose heap plus direct memory exceed its 30 GB host, Jifa's 64 GB-heap JVM killed
    # parsing a 47 GB heap dump - labelled the same way; none in fold 0) with an expert fix among the first three
    # steps: 2 of 2 when it was added (2026-12-07); never lowered.
    "THIRTIETH": 2,
    # cases of the thirty-first wave (THIRTYFIRST_WAVE.txt, LKML threads whose expert's fix is a tuning change -
    # raise vm.min_free_kbytes, or a 2G/2G memory split - labelled the same way; none in fold 0) with an expert fix
    # among the first three steps: 2 of 3 when it was added (2026-12-07; not the e1000 jumbo-frame case, whose
    # first event is the Mem-Info tail of an earlier report the paste cut); 3 once that tail named no cause and
    # the recurring jumbo-frame receive failures led with the MTU or vm.min_free_kbytes; never lowered.
    "THIRTYFIRST": 3,
    # cases of the thirty-second wave (THIRTYSECOND_WAVE.txt, GitHub issues of applications whose maintainer,
    # developer or reporter gave the cause and the fix - upgrade OpenSearch k-NN, more memory for a reverse proxy,
    # add swap under a restic backup, minio's cache sized from its container's cgroup limit - labelled the same way;
    # one in fold 0, counted, never named) with an expert fix among the first three steps: 4 of 5 when it was added
    # (2026-12-07; not the k-NN case, whose steps size OpenSearch's JVM heap while the memory is the plugin's native
    # index tables); 5 once the record named vector indices outside the heap (knn.memory.circuit_breaker.limit);
    # never lowered.
    "THIRTYSECOND": 5,
    # cases of the thirty-third wave (THIRTYTHIRD_WAVE.txt, kernel-list threads whose expert gave a kernel or driver
    # fix - a driver's DMA buffer reserved at probe, the oom_reaper exit race, __GFP_NOWARN for vmemmap, parisc's
    # fixmap page tables, nouveau's radix3 from the sg allocator - labelled the same way; one in fold 0) with an
    # expert fix among the first three steps: 5 of 5 when it was added (2026-12-07); never lowered.
    "THIRTYTHIRD": 5,
    # cases of the thirty-fourth wave (THIRTYFOURTH_WAVE.txt, GitHub issues of virtualisation and storage projects
    # whose maintainers gave the cause and the fix - VMs too small for MicroCeph and for a nested MicroCloud, a
    # newer kernel for Concourse's iptables table vmalloc - labelled the same way; one in fold 0, counted, never
    # named) with an expert fix among the first three steps: 3 of 3 when it was added (2026-12-07); never lowered.
    "THIRTYFOURTH": 3,
    # cases of the thirty-fifth wave (THIRTYFIFTH_WAVE.txt, GitHub issues whose maintainer, contributor or
    # operators gave the cause and the fix - fewer concurrent compiles on Compiler Explorer's 4 GB instance, a CryFS
    # volume created with 0.9.11, more swap for an LXC container - labelled the same way; one in fold 0, counted,
    # never named) with an expert fix among the first three steps: 1 of 4 when it was added (2026-12-07; not the
    # Papertrail task-dump row, which is not read as an event); 3 with the CryFS record (its scrypt parameters) and
    # a v1 group's unused swap allowance named in the raise-limit step (2026-12-07 evening); never lowered.
    "THIRTYFIFTH": 3,
    # cases of the thirty-sixth wave (THIRTYSIXTH_WAVE.txt, GitHub issues of a backup tool and an analytic database
    # whose reporter or developers gave the cause and the fix - upgrade duplicity, a MatrixOne build with the query
    # fix - labelled the same way; one in fold 0, counted, never named) with an expert fix among the first three
    # steps: 2 of 2 when it was added (2026-12-07); never lowered.
    "THIRTYSIXTH": 2,
    # cases of the thirty-seventh wave (THIRTYSEVENTH_WAVE.txt, kernel-list threads ending on a kernel fix or a
    # tuning change - kvmalloc_array for exFAT's bitmap array, the highatomic reserve in the fast watermark check,
    # vm.min_free_kbytes for atomic failures on a zram phone, the kdump DMA-zone warning silenced - labelled the
    # same way; none in fold 0) with an expert fix among the first three steps: 3 of 4 when it was added
    # (2026-12-07; not the kdump GFP_DMA case); 4 once the kdump kernel's empty ZONE_DMA was a kernel_fixes
    # record tied by the paste's words (situation); never lowered.
    "THIRTYSEVENTH": 4,
    # cases of the thirty-eighth wave (THIRTYEIGHTH_WAVE.txt, GitHub issues of an appliance's adapter, a repository
    # ingest tool and a test-fixture generator whose reporter or maintainers gave the cause and the fix - double the
    # VM's RAM, SQLite instead of memory as the HTTP cache's backend, a generator that no longer materialises a
    # product - labelled the same way; none in fold 0) with an expert fix among the first three steps: 0 of 3 when
    # it was added (2026-12-07), 1 of 3 once grep's file-name prefix was read (grammar/prefixes.lark GREP_FILE: the
    # Soltra VM's "more RAM" step), 3 of 3 once a bare python3 was a Python program (what it keeps: caches without
    # a bound, results materialised instead of streamed), not a worker server; never lowered.
    "THIRTYEIGHTH": 3,
    # cases of the thirty-ninth wave (THIRTYNINTH_WAVE.txt, kernel-list threads whose maintainer gave the fix -
    # sg support in the ChipIdea UDC, kvzalloc for sd_zbc's zone report buffer and for evdev's client, the SELinux
    # AVC warning silenced - plus one memcg kill read without a remedy, labelled the same way; none in fold 0) with
    # an expert fix among the first three steps: 3 of 4 when it was added (2026-12-07; not the sd_zbc vmalloc-error
    # line, which got no finding), 4 of 4 once OOM609 read the 5.13+ vmalloc wording; never lowered.
    "THIRTYNINTH": 4,
    # the four waves of the sixth session of 2026-12-07, held back in tests/pending until the eighth session (the
    # held-out bars met with them; their paragraphs in FORMAT.md): write-ups of a Tomcat, a WordPress VPS, a MySQL
    # build and a Discord bot (fortieth); Keycloak at its Podman limit, Teleport's go build on a 512 MB droplet,
    # Passenger's quoted syslog (forty-first); drivers asking for high-order memory - mlx5, radeon's TTM pool, veth,
    # a frida module (forty-second, forty-third). Measured when they moved; never lowered.
    "FORTIETH": 3,
    "FORTYFIRST": 2,
    "FORTYSECOND": 4,
    "FORTYTHIRD": 3,
    # cases of the forty-fifth wave (FORTYFIFTH_WAVE.txt, GitHub issues found by search queries fixed in advance -
    # a Temurin 21 JVM's C2 compiler leak killed at its Docker memcg (a JDK with JDK-8340824), cc1plus killed
    # building mlpack on a laptop (close the other programs), node_exporter's order-5 failure read as fragmentation
    # (no remedy, no patterns) - labelled the same way; none in fold 0) with an expert fix among the first three
    # steps: 0 of 2 when it was added (2026-12-07 evening; the JVM case's steps size the heap and the limit, the
    # build case's bound make -j and size RAM), 1 of 2 once the JVM record said how to find native growth (Native
    # Memory Tracking's categories, the JIT compilers' own memory and its leaks fixed by JDK updates); never lowered.
    "FORTYFIFTH": 1,
    # cases of the forty-sixth wave (FORTYSIXTH_WAVE.txt, write-ups kept in repositories, a stored Q&A-style page and
    # a linux-btrfs mail found by query families fixed in advance - a Python scheduler's leak in Docker on a 2 GB
    # t3.small (tracemalloc), a Ruby property test's unbounded input (bound it), a readline() loop over a one-line
    # file (read in chunks), btrfs on lvmcache with GFP_NOWAIT failures on 5.0.4-5.0.10 (a later 5.0.y, KASAN off),
    # a Pi 5 rtw88_usb order-3 atomic failure (min_free_kbytes and watermark reserve), Harvester's VM pods killed at
    # their limit (a larger overhead reserve), an OOM kill with an empty highatomic reserve subtracted from free
    # memory (the nr_free_highatomic fix), a Ruby crawler's thread pool grown to 15 GB on EC2 (Sidekiq jobs instead),
    # and mysqld at startup on a 490 MB VM whose remedy the store cut (no patterns) - labelled the same way; none in
    # fold 0) with an expert fix among the first three steps: 4 of 8 when it was added (2026-12-07 evening; not the
    # two Ruby cases, whose steps size an application server's workers, nor the Pi case, whose first step calls one
    # atomic failure harmless and whose others fix the driver and compaction, nor the highatomic case, whose
    # kernel_bug step updates the kernel without naming the fix), 5 once kernel_fixes knew an empty highatomic
    # reserve counted whole (c928807f6f6b) from the zone and buddy lines, 7 of 8 the same evening once a bare ruby
    # was a Ruby program (an upper bound on input-sized collections among its levers) and the Pi's driver error
    # after the failure made it no harmless warning (compaction and min_free_kbytes among the first steps); never
    # lowered.
    "FORTYSIXTH": 7,
    # cases of the forty-seventh wave (FORTYSEVENTH_WAVE.txt, write-ups kept in repositories - Chinese posts on
    # Docker containers killed at their memory cgroup limit, an operator's ZFS crash report, a Portuguese incident
    # log - and linux-mm/LKML threads with a kernel developer's verdict, found by exact kernel strings fixed in
    # advance; two in fold 0, counted, never described) with an expert fix among the first three steps: 4 of 6 when
    # it was added (2026-12-07 evening; not the ZFS crash report, whose kernel lines cannot name the ARC its author
    # capped, nor the 2.6.11 GFP_DMA kill, whose steps say to find and update the GFP_DMA caller but cannot name
    # sd_revalidate_disk with no trace in the report); never lowered.
    "FORTYSEVENTH": 4,
}


def first_steps(case: str, count: int = 3) -> list[str]:
    report = analyze(load_case(case)[0])
    for event in report.events:
        steps = [step for finding in event.findings for step in finding.remediation]
        if steps:
            return steps[:count]
    return []


# The negation rule (has_expert_fix): a pattern's match does not count where a negated clause of the
# step holds it. The negations are the catalogue's own wording of advice against something. A negation
# that opens a clause (after an optional conjunction) negates the rest of it: "Do not raise
# vm.min_free_kbytes", "never set a large fixed min_free_kbytes", "so do not wait for one", "a defect to
# fix, not memory to add", "No kernel upgrade fixes this known defect yet", "no memory tuning
# (min_free_kbytes, swap) is needed". Not "not only" (no negation), not a descriptive "that do not" or
# "are never" inside a clause, and not "without" or "cannot": the catalogue writes "boot without
# nokaslr", "a kernel without 0bae835b63c5", "grows without bound", "If you cannot change the kernel now,
# check ..." - the first two are experts' own fixes, the others no advice against anything.
_OPENING_NEGATION = re.compile(
    r"\s*(?:(?:and|but|or|so|then)\s+)?(do not|don['\u2019]t|never|not(?!\s+only\b)|no)\b", re.I
)
# A contrast negates the words after it in its clause: "add RAM rather than more swap", "swap to a local
# block device or zram instead of a swapfile on NFS".
_CONTRAST = re.compile(r"(?<!\w)(instead of|rather than)\b", re.I)
# The ends of a clause: a comma, a sentence's or clause's stop before a space, a dash between spaces.
_BOUNDARY = re.compile(r",|[.;:!?](?=\s|$)|\s[-\u2013\u2014]\s")
# Quoted text (commit titles such as 'mm,oom: don't kill global init via memory.oom.group', messages,
# commands) is a name: its own words neither negate nor end a clause.
_QUOTED = (
    re.compile(r'"[^"]*"'),
    re.compile(r"`[^`]*`"),
    re.compile(r"(?<![\w'])'(?=\S)(?:[^']|'(?=\w))*?(?<=\S)'(?!\w)"),
)


def negated_positions(text: str) -> list[bool]:
    """For each character of a step (or of the expert's words), whether a negated clause holds it.

    A clause ends at a comma, at '.', ';', ':', '!' or '?' before a space, and at a dash between
    spaces. It is negated after a negation that opens it ('do not', "don't", 'never', 'not', 'no',
    after an optional 'and', 'but', 'or', 'so' or 'then'), or after 'instead of' / 'rather than'
    anywhere in it, to its end; the negation's own words are not negated ("no action is needed",
    "do not warn" may be what a pattern looks for). A parenthesis belongs to its clause: a clause
    negated from its opening stays negated inside it, past its commas ("Do not tune the system for it
    (min_free_kbytes, swap, overcommit)"), and a negation inside it ends with it ("mkfs.xfs -K (do not
    discard blocks) avoids the discard path"). A contrast does not reach into a parenthesis after it,
    which may name either side ("a resident server instead of per-request CGI (FastCGI - mod_fcgid,
    ..., PSGI/Plack for Perl)" lists the resident servers). Quoted text is read as one word.
    """
    masked = text
    for quoted in _QUOTED:
        masked = quoted.sub(lambda m: m.group(0)[0] + "x" * (len(m.group(0)) - 2) + m.group(0)[-1], masked)
    out = [False] * len(masked)
    # inherited: negated by the clause a parenthesis sits in; opening, contrast: negated in this clause
    inherited = opening = contrast = False
    outer: list[tuple[bool, bool, bool]] = []
    opens_at, i = 0, 0
    while i < len(masked):
        if i == opens_at and (negation := _OPENING_NEGATION.match(masked, i)):
            for j in range(i, negation.end()):
                out[j] = inherited or opening or contrast
            i, opening = negation.end(), True
            continue
        if (word := _CONTRAST.match(masked, i)) is not None:
            for j in range(i, word.end()):
                out[j] = inherited or opening or contrast
            i, contrast = word.end(), True
            continue
        out[i] = inherited or opening or contrast
        boundary = _BOUNDARY.match(masked, i)
        if masked[i] == "(":
            outer.append((inherited, opening, contrast))
            inherited, opening, contrast = inherited or opening, False, False
            opens_at = i + 1
        elif masked[i] == ")" and outer:
            inherited, opening, contrast = outer.pop()
        elif boundary:
            for j in range(i, boundary.end()):
                out[j] = out[i]
            opening = contrast = False
            i = opens_at = boundary.end()
            continue
        i += 1
    return out


def _match_negations(pattern: re.Pattern[str], text: str) -> set[bool]:
    """Whether each start ``pattern`` matches ``text`` at lies in a negated clause (negated_positions),
    as a set: {False} plain mentions only, {True} negated ones only. Every start is tried, so a
    negated first mention does not hide a later plain one."""
    flags = negated_positions(text)
    found: set[bool] = set()
    position = 0
    while (match := pattern.search(text, position)) is not None:
        found.add(flags[match.start()])
        position = match.start() + 1
    return found


def has_expert_fix(steps: list[str], patterns: list[str], expert: list[str] | tuple[str, ...] = ()) -> bool:
    """One step matches every pattern outside a negated clause (negated_positions): "Do not tune the
    system for it (min_free_kbytes, swap, overcommit)" is no step to raise vm.min_free_kbytes.

    A pattern that a line of the expert's own remediation (``expert``, meta.json
    expert_diagnosis.remediation) matches only inside negated clauses names advice against something
    ("do not set oom_score_adj=-1000 on processes that can grow", "write the test file to the intended
    disk filesystem instead of tmpfs"): for it, a mention in a negated clause of a step counts as well.
    """
    compiled = [re.compile(p, re.I) for p in patterns]
    against = [any(_match_negations(p, line) == {True} for line in expert) for p in compiled]

    def mentions(pattern: re.Pattern[str], negative: bool, step: str) -> bool:
        return bool(pattern.search(step)) if negative else False in _match_negations(pattern, step)

    return any(
        all(mentions(p, negative, step) for p, negative in zip(compiled, against, strict=True)) for step in steps
    )


def _scored() -> list[tuple[str, bool]]:
    out = []
    for case in corpus_cases():
        meta = load_case(case)[1]
        patterns = meta.get("fix_patterns")
        if patterns:
            expert = meta["expert_diagnosis"]["remediation"]
            out.append((case, has_expert_fix(first_steps(case), patterns, expert)))
    return out


def test_matcher_needs_every_pattern_in_one_step() -> None:
    assert has_expert_fix(["Upgrade tickrs to 0.10.2"], ["tickrs", "upgrade"])
    assert not has_expert_fix(["Upgrade the kernel", "tickrs leaks"], ["tickrs", "upgrade"])


def _paste_steps(case: str, opening: str) -> str:
    """The step of a corpus case's output (any event, any rank) that starts with ``opening``
    (folds 1-4 cases only: tests/oomcases.py is_held_out)."""
    assert not is_held_out(case)
    report = analyze(load_case(case)[0])
    steps = [s for event in report.events for f in event.findings for s in f.remediation if s.startswith(opening)]
    assert steps, f"{case}: no step starts with {opening!r}"
    return steps[0]


def _expert(case: str) -> list[str]:
    return load_case(case)[1]["expert_diagnosis"]["remediation"]


def test_negation_rule_on_literal_steps() -> None:
    min_free = re.compile("min_free_kbytes", re.I)
    assert _match_negations(min_free, "Do not raise vm.min_free_kbytes: it is already high.") == {True}
    assert _match_negations(min_free, "It is high already, so do not raise vm.min_free_kbytes.") == {True}
    assert _match_negations(min_free, "Raise vm.min_free_kbytes, not vm.lowmem_reserve_ratio.") == {False}
    both = "Fix the driver, not min_free_kbytes; then raise min_free_kbytes."
    assert _match_negations(min_free, both) == {True, False}
    kernel = re.compile(r"kernel", re.I)
    # "cannot", "without" and "not only" are no advice against what follows
    assert _match_negations(kernel, "If you cannot change the kernel now, boot the last kernel") == {False}
    assert _match_negations(re.compile("nokaslr"), "boot without nokaslr") == {False}
    assert _match_negations(re.compile("movable"), "Bind to Normal-zone nodes, not only to movable ones") == {False}
    # a negation the pattern itself holds does not negate it; a quoted title's own words are no negation
    assert _match_negations(re.compile("no action", re.I), "Treat it as harmless - no action is needed") == {False}
    title = "commit 60e2793d440a ('mm, oom: do not trigger out_of_memory from the kernel')"
    assert _match_negations(kernel, title) == {False}
    # the expert's own advice against something counts a negated mention
    step = "Do not give oom_score_adj -1000 to processes that can grow."
    assert not has_expert_fix([step], ["-1000"])
    assert has_expert_fix([step], ["-1000"], ["do not set oom_score_adj=-1000 on processes that can grow"])
    # ... only when a line of the expert's words names it in negated clauses alone
    assert not has_expert_fix([step], ["-1000"], ["do not keep -1000 on a grower: put it back from -1000 to 0"])


def test_a_negated_mention_is_no_expert_fix() -> None:
    # fold 4: the harmless-warning steps name min_free_kbytes only as a tuning not to do
    case = "lore-42-bz107111-virtio-order1-dma-reserve"
    patterns = load_case(case)[1]["fix_patterns"]
    for opening in ("Treat the warning as harmless - no action is needed", "This request comes from the network"):
        step = _paste_steps(case, opening)
        assert all(re.search(p, step, re.I) for p in patterns)
        assert not has_expert_fix([step], patterns, _expert(case))
    # fold 1: 'no large boot-time reservations (hugepages=, large crashkernel= ...)' is not the larger
    # crashkernel= reservation the expert gave, though the same step names nr_cpus= plainly
    case = "lore-crashkernel-256m-epyc-no-killable"
    step = _paste_steps(case, "Make the boot smaller")
    patterns = load_case(case)[1]["fix_patterns"]
    assert all(re.search(p, step, re.I) for p in patterns)
    assert _match_negations(re.compile(patterns[0], re.I), step) == {True}
    assert not has_expert_fix([step], patterns, _expert(case))


def test_a_negated_mention_does_not_hide_a_plain_one() -> None:
    # fold 2: the lowmem step raises vm.min_free_kbytes modestly, then says never to set a large fixed one
    case = "lore-lkml-2004-oom-killer-2681-nfs-xfs-slab"
    step = _paste_steps(case, "Weaker option: Protect lowmem")
    assert _match_negations(re.compile("min_free_kbytes"), step) == {True, False}
    assert has_expert_fix([step], load_case(case)[1]["fix_patterns"], _expert(case))


def test_no_real_step_discounted() -> None:
    # fold 4: the fixing commit's quoted title holds "don't kill global init"
    case = "lore-50rc4-memcg-oom-group-kills-init-panic"
    step = _paste_steps(case, "Upgrade to a kernel with the fix for this known defect")
    assert _match_negations(re.compile("global init via memory.oom.group", re.I), step) == {False}
    assert has_expert_fix([step], load_case(case)[1]["fix_patterns"], _expert(case))
    # fold 3: the resident servers a contrast's parenthesis lists are no rejected option
    case = "code-kanpapa-kanpapa-com-conoha-apache2nginx"
    step = next(s for s in first_steps(case) if "instead of per-request CGI" in s)
    assert _match_negations(re.compile("psgi|plack", re.I), step) == {False}
    assert _match_negations(re.compile(r"per-request CGI"), step) == {True}
    assert has_expert_fix([step], load_case(case)[1]["fix_patterns"], _expert(case))
    # fold 1: the expert's fix is itself advice against (do not set oom_score_adj=-1000 on a grower)
    case = "lab-oom-score-adj-deb61-amd64"
    step = _paste_steps(case, "Do not give oom_score_adj -1000")
    first = step.split(";")[0]
    assert has_expert_fix([first], load_case(case)[1]["fix_patterns"], _expert(case))
    assert not has_expert_fix([first], load_case(case)[1]["fix_patterns"])


def test_expert_fix_share_in_the_first_three_steps() -> None:
    scored = _scored()
    assert scored, "no corpus case carries fix_patterns"
    held = [(c, ok) for c, ok in scored if is_held_out(c)]
    share = sum(ok for _, ok in scored) / len(scored)
    held_share = sum(ok for _, ok in held) / max(1, len(held))
    # held-out cases are counted, never named: naming them would let their misses steer the work
    missing = [c for c, ok in scored if not ok and not is_held_out(c)]
    print(
        f"\nexpert fix among the first three steps: {sum(ok for _, ok in scored)}/{len(scored)} "
        f"({share:.0%}); held-out {sum(ok for _, ok in held)}/{len(held)} ({held_share:.0%})"
    )
    public = [(c, ok) for c, ok in scored if not c.startswith("lab-")]
    print(f"public (non-lab) cases: {sum(ok for _, ok in public)}/{len(public)}")
    print("without an expert fix (folds 1-4):", ", ".join(missing))
    assert held, "the held-out fold is empty"
    print(f"held-out target {TARGET:.0%}: {'met' if held_share >= TARGET else 'not met'}")
    # The floors were measured on the cases of the first wave; each set is held to its own floor
    # (the second, third and fourth waves, added later, are measured below, not averaged in).
    later = waves_from("SECOND")
    first = [(c, ok) for c, ok in scored if c not in later]
    first_held = [(c, ok) for c, ok in first if is_held_out(c)]
    first_held_share = sum(ok for _, ok in first_held) / max(1, len(first_held))
    assert first_held_share >= FLOOR, f"held-out share {first_held_share:.0%} < {FLOOR:.0%} (cases not named: held out)"
    first_share = sum(ok for _, ok in first) / len(first)
    assert first_share >= 0.89, f"share over all cases {first_share:.0%} fell below the 89 % reached"
    assert list(WAVE_FLOORS) == list(WAVES), "each wave of oomcases.WAVES has its floor, in order"
    for name, floor in WAVE_FLOORS.items():
        cases = wave_cases(name)
        wave = [(c, ok) for c, ok in scored if c in cases]
        reached = sum(ok for _, ok in wave)
        print(f"{name.lower()} wave: {reached}/{len(wave)}")
        assert wave, f"the {name.lower()} wave has no case with fix_patterns"
        # (the folds 1-4 cases without the fix may be named; the fold-0 ones are not)
        assert reached >= floor, [c for c, ok in wave if not ok and not is_held_out(c)]

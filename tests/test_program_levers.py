"""Workload levers found missing on folds 1-4 misses of issue 13 (2026-12-07, evening): the
OpenStreetMap importers' memory options, vector search's memory outside an OpenSearch or
Elasticsearch heap, what a Python program keeps (not a worker server's settings unless the paste
names the server). Each test reads a real paste of the corpus (folds 1-4 only: tests/oomcases.py)
and fails on the tree before its change."""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from knowledge.checks.memcg import _writer_project
from knowledge.workloads import program_to_update, recognise


def _steps(case: str, count: int = 3) -> list[str]:
    assert not is_held_out(case)
    event = analyze(load_case(case)[0].decode()).events[0]
    return [step.text for _code, step in event.diagnosis.steps[:count]]


def test_an_overpass_import_killed_by_its_container_gets_the_flush_size() -> None:
    # an OpenVZ beancounter kill of Overpass's update_database while it built its database from
    # a small extract: what it gathers before each flush is its memory, and init_osm3s.sh starts
    # it with the default
    first = _steps("code-openstreetmap-help-website-35889-overpass-oom")[0]
    assert first.startswith("Size update_database with its own memory settings")
    assert "--flush-size=" in first and "init_osm3s.sh" in first


def test_osm2pgsql_gets_its_node_cache_and_slim_mode() -> None:
    # Nominatim's import ran osm2pgsql with an 18 GB node cache (-C 18000) until the kernel killed it
    first = _steps("gh-osm-search-nominatim-559")[0]
    assert first.startswith("Bound osm2pgsql with its own memory settings")
    assert "--cache" in first and "--slim" in first and "--flat-nodes" in first
    # the record is the importers' own: a command of another program is not matched
    assert recognise(["update_database"]) is recognise(["osm2pgsql"]) is not None
    assert recognise(["update_db"]) is None


def test_opensearch_names_the_vector_indices_outside_its_heap() -> None:
    # k-NN warmup loading faiss IVF-PQ indices into native memory: the heap is not what grew
    steps = _steps("gh-opensearch-project-k-nn-1301")
    lever = [s for s in steps if "Elasticsearch / OpenSearch (JVM)" in s]
    assert lever, steps
    assert "knn.memory.circuit_breaker.limit" in lever[0] and "outside the heap" in lever[0]
    assert "size the node's RAM for the heap plus the vector indices" in lever[0]


def test_a_python_program_gets_what_it_keeps_not_a_worker_servers_settings() -> None:
    # Islandora Workbench (python3, 24.6 GiB) kept every HTTP response in requests_cache's memory
    # backend; cqlite's fixture generator (python3, 30.5 GB) materialised a product of labels. No
    # gunicorn, uWSGI or Celery is in either paste: the worker-count levers were not theirs
    for case in ("gh-mjordan-islandora-workbench-608", "gh-pmcfadin-cqlite-3399"):
        first = _steps(case)[0]
        assert first.startswith("Bound python3 with its own memory settings: it is a Python program"), first
        assert "tracemalloc" in first and "gunicorn --workers" not in first
        assert "generator" in first and "lru_cache(maxsize=None)" in first and "backend='memory'" in first
    # a python3 the paste names as a worker server's is still that server's (runs_as)
    assert recognise(["python3"]).id == "python"  # type: ignore[union-attr]
    assert recognise(["gunicorn"]).id == recognise(["celery"]).id == "python-worker"  # type: ignore[union-attr]
    text = "our gunicorn app died\n" + (
        "[ 1.0] Out of memory: Killed process 4242 (python3) total-vm:9000000kB, anon-rss:8000000kB, "
        "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:16000kB oom_score_adj:0\n"
    )
    named = [s for f in analyze(text).events[0].findings for s in f.remediation]
    assert any("it is Python worker processes (gunicorn, uWSGI, Celery)" in s for s in named), named


def test_the_cap_step_offers_a_per_process_limit_for_a_program_another_starts() -> None:
    # an orchestrator's Claude subprocess grew to 42 GB with no limit of its own; its operator capped
    # each subprocess with prlimit. The cap step names that per-process limit beside the cgroup, with
    # the address-space caveat of RLIMIT_AS
    steps = _steps("code-wilbtc-insaautomationcorp-claude-42g-prlimit")
    cap = next(s for s in steps if s.startswith("Cap it with a memory cgroup so only it is killed"))
    assert "prlimit --as=<bytes> <command>" in cap and "ulimit -v" in cap
    assert "RLIMIT_AS counts address space" in cap
    # the cgroup's own warning still closes the step
    assert cap.index("prlimit") < cap.index("Set the limit above what the group uses now")


def test_a_limit_written_by_a_known_service_manager_names_its_project_to_update() -> None:
    # OpenRC's openrc-run.sh wrote the service's memory.max as 0 (a trailing newline in
    # cgroup2_set_limits, fixed in OpenRC 0.43): the step names the project whose release carries it
    first = _steps("gh-openrc-openrc-407")[0]
    assert first.startswith("Fix what wrote the cgroup's memory.max: openrc-run.sh (PID 14070)")
    assert "(openrc-run.sh is OpenRC's: update OpenRC to the release that fixes it)" in first
    # only known writers get a project: another program is left to the generic wording
    assert _writer_project("openrc-run.sh") == "OpenRC" and _writer_project("systemd") == "systemd"
    assert _writer_project("runc:[2:INIT]") == "runc" and _writer_project("bash") is None


def test_a_v1_group_that_barely_used_its_swap_allowance_is_told_to_make_it_usable() -> None:
    # LXC container 143 (Mastodon): memory at its 2 GiB limit, memory+swap 2148824 of 2621440 kB -
    # 512 MiB of swap allowed, 50 MiB used; the operators gave the container more swap
    raise_step = _steps("gh-osm-fr-infrastructure-70")[1]
    assert raise_step.startswith("Raise the container's memory limit")
    assert "It could also swap 512 MiB (its memory+swap limit, 2.5 GiB, is that much above" in raise_step
    assert "had swapped out only 50 MiB" in raise_step and "swapon --show" in raise_step
    assert "the Proxmox container's swap setting" in raise_step
    # a non-container v1 group that swapped nothing of its 1 GiB allowance
    ecs = next(s for s in _steps("gh-aws-amazon-ecs-agent-4508") if s.startswith("Raise the cgroup's"))
    assert "It could also swap 1 GiB" in ecs and "had swapped out nothing" in ecs
    # an unlimited memory+swap (PAGE_COUNTER_MAX) sets no allowance: no such sentence
    assert not any("It could also swap" in s for s in _steps("code-fluid-project-jira-to-11ty-infra-161", 6))


def test_cryfs_gets_the_key_derivation_its_filesystem_was_created_with() -> None:
    # CryFS 0.10.2 killed at 2.6 GB while 'Generating secure encryption key' at mount on a Pinebook
    # Pro: the memory is scrypt's, with the parameters stored when the filesystem was created
    first = _steps("gh-cryfs-cryfs-335")[0]
    assert first.startswith("Bound cryfs with its own memory settings: it is CryFS")
    assert "N=1048576, r=4, p=8" in first and "--allow-filesystem-upgrade" in first
    assert recognise(["cryfs"]).id == "cryfs" and recognise(["cryfs-unmount"]) is None  # type: ignore[union-attr]


def test_versioned_runtime_names_are_runtimes() -> None:
    # openSUSE's ruby is ruby.ruby2.5 to the kernel (its alternatives link; SUSE Manager's CI
    # controller), and a JVM may run as java7: neither is the program to update, and the Ruby
    # one (a test controller's, no server named) is a Ruby program's record
    for runtime in ("ruby.ruby2.5", "ruby2.5", "java7", "php-cgi", "python3.11", "node"):
        assert program_to_update(runtime) == "the application", runtime
    assert program_to_update("ganesha.nfsd") == "ganesha.nfsd" and program_to_update(None) == "the application"
    assert recognise(["ruby.ruby2.5"]).id == "ruby"  # type: ignore[union-attr]
    first = _steps("gh-suse-susemanager-ci-315")[0]
    assert first.startswith("Bound ruby.ruby2.5 with its own memory settings: it is a Ruby program")
    assert "update the application to it" in first


def test_a_runtime_process_its_record_names_gets_that_products_update() -> None:
    # Home Assistant Core is python3 in its container; the author's words name it: the update path
    # names Home Assistant Core, not python3 nor "the application"
    first = _steps("gh-home-assistant-core-127499")[0]
    assert first.startswith("Bound python3 with its own memory settings: it is Home Assistant Core")
    assert "update Home Assistant Core to it" in first
    assert program_to_update("java", {"id": "elasticsearch"}) == "Elasticsearch or OpenSearch"
    assert program_to_update("java", {"id": "jvm"}) == "the application"
    assert program_to_update("elasticsearch", {"id": "elasticsearch"}) == "elasticsearch"


def test_a_ruby_program_gets_what_it_keeps_not_an_application_servers_settings() -> None:
    # a property test's ruby building an array sized by an unbounded random input (1.8 GB), a
    # home-made threaded crawler's ruby (14.6 GB): neither paste names Puma, Unicorn, Sidekiq or
    # Rails, so the worker and concurrency counts were not theirs
    for case in ("code-ruby-fizzbuzz-rubycheck-gen-uint-oom", "code-fuzzygroup-aws-ruby-crawler-threads-sidekiq"):
        first = _steps(case)[0]
        assert first.startswith("Bound ruby with its own memory settings: it is a Ruby program"), first
        assert "Puma workers" not in first and "Sidekiq concurrency" not in first
        assert "memory_profiler" in first and "ObjectSpace" in first and "IO.foreach" in first
        assert "RUBY_GC_HEAP_GROWTH_FACTOR" in first and "RUBY_GC_MALLOC_LIMIT_MAX" in first
    assert recognise(["ruby"]).id == recognise(["bundle"]).id == "ruby"  # type: ignore[union-attr]
    assert recognise(["puma"]).id == recognise(["sidekiq"]).id == "ruby-app"  # type: ignore[union-attr]
    # a ruby the paste names as Puma's (the person's words) is still the application server's
    kill = (
        "[ 1.0] Out of memory: Killed process 4242 (ruby) total-vm:9000000kB, anon-rss:8000000kB, "
        "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:16000kB oom_score_adj:0\n"
    )
    for words in ("our puma workers keep dying\n", "the Rails app was killed again\n"):
        named = [s for f in analyze(words + kill).events[0].findings for s in f.remediation]
        assert any("it is a Ruby application server or job runner" in s for s in named), named
    # and a puma in a paste that names GitLab is GitLab's (its runs_as), as before
    named = [
        s
        for f in analyze("gitlab on a 2 GB VM\n" + kill.replace("(ruby)", "(puma)")).events[0].findings
        for s in f.remediation
    ]
    assert any("puma['worker_processes'] = 0" in s for s in named), named


def test_mysql_on_a_small_machine_is_told_the_performance_schema() -> None:
    # mysqld killed at startup on a 490 MB VM without swap: the buffer pool and per-connection
    # buffers were the record's only levers, never the Performance Schema, which MySQL 5.6
    # allocates whole at startup and 5.7/8.0 grow with what they instrument
    first = _steps("blog-xiaocaicai-mysql-perfschema-512m-vm")[0]
    assert first.startswith("Bound mysqld with its own memory settings: it is MySQL / MariaDB"), first
    assert "innodb_buffer_pool_size" in first
    assert "performance_schema=OFF" in first and "performance_schema_max_*" in first
    assert "allocates whole at startup" in first

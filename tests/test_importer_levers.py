"""Workload levers found missing on folds 1-4 misses of issue 13 (2026-12-07, evening): the
OpenStreetMap importers' memory options, vector search's memory outside an OpenSearch or
Elasticsearch heap. Each test reads a real paste of the corpus (folds 1-4 only: tests/oomcases.py)
and fails on the tree before its change."""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from knowledge.workloads import recognise


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

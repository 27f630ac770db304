"""Kernel release strings -> version, distro family and development-tree facts."""

from __future__ import annotations

import pytest

from grammar.release import parse_release
from knowledge.gfp.decoder import choose_tables


@pytest.mark.parametrize(
    ("text", "version", "distro", "development"),
    [
        ("3.2.59", (3, 2, 59), None, None),
        ("5.14.0-651.el9.x86_64", (5, 14, 0), "el9", None),
        ("6.3.0-rc1-x86-32-debug+", (6, 3, 0), None, None),
        ("5.4.46-rc1-00035-g12a5ce113626", (5, 4, 46), None, None),
        ("4.5.0-rc2-next-20160203", (4, 5, 0), None, "linux-next"),
        ("4.19.4-1.el7.elrepo", (4, 19, 4), "elrepo", None),
        ("5.4.17-2136.307.3.4.el8uek.x86_64", (5, 4, 17), "uek", None),
        ("4.18.0-193.51.1.el8_2.x86_64", (4, 18, 0), "el8", None),
        ("6.6.0-rc2-00008-g376fdc4552f1", (6, 6, 0), None, "git-describe"),
        ("6.16.0-00015-gf09eb0d6badc", (6, 16, 0), None, "git-describe"),
        ("5.3.0-rc1-mm1-00121-ge34a5cf28771", (5, 3, 0), None, "mm-tree"),
        ("2.6.32-642.6.2.el6.x86_64", (2, 6, 32), "el6", None),
        ("5.11 (arm64, 64K pages; version stated in the LTP commit message)", (5, 11, 0), None, None),
    ],
)
def test_parse_release(text: str, version: tuple[int, int, int], distro: str | None, development: str | None) -> None:
    release = parse_release(text)
    assert release is not None
    assert release.version == version
    assert release.distro == distro
    assert release.development == development


def test_unparseable_release_is_none() -> None:
    assert parse_release("unknown") is None
    assert parse_release("") is None
    assert parse_release(None) is None


@pytest.mark.parametrize(
    ("text", "first_table"),
    [
        ("3.2.59", "3.2"),
        ("5.14.0-651.el9.x86_64", "5.14-el9"),  # RHEL 9 has its own layout
        ("5.14.0-rc5", "5.14"),  # upstream 5.14
        ("3.10.0-1160.el7.x86_64", "3.10-el7"),
        ("2.6.32-642.el6.x86_64", "2.6.32-el6"),
        ("4.18.0-240.el8.x86_64", "4.18-el8"),
        ("4.19.4-1.el7.elrepo.x86_64", "4.19"),  # ELRepo: upstream, not RHEL 7
        ("5.4.17-2136.307.3.4.el8uek.x86_64", "5.4"),  # UEK: upstream 5.4, not RHEL 8
        ("4.5.0-rc2-next-20160203", "4.6"),  # linux-next carries the next release
        ("4.20.0-rc1-next-20181105", "5.0"),  # next release after 4.20 is 5.0
        ("6.6.0-rc2-00008-g376fdc4552f1", "6.6"),  # 6.7 material, nearest table at or below is 6.6
        ("5.4.46-rc1-00035-g12a5ce113626", "5.4"),  # stable -rc is still 5.4
        ("4.16.0-0.rc4.git0.1.fc28.x86_64", "4.15"),
        ("6.1.1-arch1-1", "6.1"),
        ("5.15.158-2-pve", "5.15"),
    ],
)
def test_table_choice(text: str, first_table: str) -> None:
    release = parse_release(text)
    assert release is not None
    assert choose_tables(release).tables[0].key == first_table


def test_development_tree_keeps_the_base_table_as_fallback() -> None:
    release = parse_release("4.9.0-next-20161222+")
    assert release is not None
    assert [table.key for table in choose_tables(release).tables] == ["4.10", "4.9"]

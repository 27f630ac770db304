"""Code spans in prose: commands, sysctls, boot parameters, paths and identifiers.

The catalogue's explanations and remediation steps are plain sentences ("run sysctl -w
vm.min_free_kbytes=65536", "boot with mem=16G", "see /proc/slabinfo"). Markdown and Slack show
those tokens as code; ``segments`` finds them once and each surface formats the pieces (Slack
escapes every piece for mrkdwn first, so text from a paste can never become markup).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

_CODE = re.compile(
    r"""
    (?P<sysctl_cmd>\bsysctl\s+(?:-w\s+)?[\w.]+(?:=[^\s,;)]+)?)          # sysctl -w vm.x=1
  | (?P<echo>\becho\s+\S+\s+>\s*/[^\s,;)]+)                            # echo 1 > /proc/...
  | (?P<assign>(?<![\w`])[A-Za-z_][\w.\-/]*=(?:[^\s,;)`]*[^\s,;.)`])?)  # mem=16G, vm.x=1, MemoryMax=
  | (?P<path>(?<![\w/.`])/(?:proc|sys|etc|dev|var|run|usr|boot|tmp|home|opt|lib)(?:/[\w.\-*:@]+)*[\w*])
  | (?P<sysctl>\b(?:vm|kernel|fs|net|user)\.[a-z0-9_]+(?:[.\-][a-z0-9_]+)*)   # vm.overcommit_memory
  | (?P<cgroupfile>\bmemory\.(?:[a-z_]+)(?:\.[a-z_]+)*)                 # memory.max, memory.stat
  | (?P<const>(?<![\w])_{0,2}[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b)                        # GFP_KERNEL, GRUB_CMDLINE_LINUX
  | (?P<snake>\b[a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)+\b)                        # min_free_kbytes, oom_score_adj
  | (?P<command>\b(?:slabtop|update-grub|grub2-mkconfig|dmesg|journalctl|systemctl|swapon|swapoff|mkswap|
                   sysctl|numactl|smem|vmstat|free\s+-[mgh]|ps\s+aux|earlyoom|systemd-oomd|systemd-run|ulimit\s+-\w|
                   swapon|kubectl|docker|grep\s+\w+)\b)
    """,
    re.VERBOSE,
)
_EXISTING = re.compile(r"`[^`\n]+`")


def segments(text: str, names: Sequence[str] = ()) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_code) pairs; spans already in backticks stay code, and so do
    ``names`` (process names from the dump) where they stand as whole words."""
    pattern = _CODE
    if names:
        words = "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))
        pattern = re.compile(rf"(?<![\w./-])(?:{words})(?![\w/-])|" + _CODE.pattern, re.VERBOSE)
    out: list[tuple[str, bool]] = []
    position = 0
    for quoted in _EXISTING.finditer(text):
        out += _plain_segments(text[position : quoted.start()], pattern)
        out.append((quoted.group(0)[1:-1], True))
        position = quoted.end()
    out += _plain_segments(text[position:], pattern)
    return [(piece, code) for piece, code in out if piece]


def _plain_segments(text: str, pattern: re.Pattern[str]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    position = 0
    for match in pattern.finditer(text):
        out.append((text[position : match.start()], False))
        out.append((match.group(0), True))
        position = match.end()
    out.append((text[position:], False))
    return out


def format_code(text: str, plain: Callable[[str], str], code: Callable[[str], str], names: Sequence[str] = ()) -> str:
    return "".join(code(piece) if is_code else plain(piece) for piece, is_code in segments(text, names))


def markdown_code(text: str, names: Sequence[str] = ()) -> str:
    """Markdown: code tokens in backticks (a backtick inside one becomes a look-alike)."""
    return format_code(str(text), lambda s: s, lambda s: "`" + s.replace("`", "\u02cb") + "`", names)

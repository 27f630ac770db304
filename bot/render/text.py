"""Terminal text and markdown renderings of a report (minimal until the templates land)."""

from __future__ import annotations

from bot.pipeline import Report
from bot.render.json_out import contract_fields


def render_text(report: Report) -> str:
    lines = [f"kernel {report.kernel or 'unknown'}, arch {report.arch or 'unknown'}: {len(report.events)} event(s)"]
    for analysed in report.events:
        fields = contract_fields(analysed.event)
        lines.append(f"- event {analysed.event.index + 1} (lines {analysed.event.first_line}-{analysed.event.last_line}): "
                     f"{fields['kind'] or 'fragment'}; killed {fields['killed_comm']} ({fields['killed_pid']})")
        for finding in analysed.findings[:3]:
            lines.append(f"    {finding.code} {finding.title} ({finding.confidence:.0%})")
    return "\n".join(lines)


def render_markdown(report: Report) -> str:
    return render_text(report)

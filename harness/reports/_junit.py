"""JUnit XML for gate results: one testcase per check, so CI test views list every verdict.

A failed check carries a ``<failure>`` whose message is the verdict sentence and whose body adds
the numbers and, for the metric the worst cases were ranked by, what went wrong in them. A
skipped check (metric undefined on the cases) is ``<skipped>``. XML escaping is ElementTree's;
characters XML cannot hold are written as ``\\xNN``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from harness.reports._format import fmt, fmt_interval, fmt_p

if TYPE_CHECKING:  # pragma: no cover
    from harness.reports.gate import Check, GateResult

SUITE = "memory-harness gate"


def _numbers(check: Check) -> str:
    lines = [f"candidate: {fmt(check.value)} {fmt_interval(check.low, check.high)}".rstrip(" -")]
    if check.kind == "regression":
        lines = [
            f"baseline: {fmt(check.baseline)}",
            f"candidate: {fmt(check.value)}",
            f"change: {fmt(check.diff, signed=True)} "
            f"interval {fmt_interval(check.low, check.high, signed=True)}",
            f"p-value: {fmt_p(check.p_value)}",
            f"allowed: {check.threshold_text}",
        ]
    else:
        lines.append(f"required: {check.threshold_text}")
    return "\n".join(lines)


def _worst_text(result: GateResult) -> str:
    lines = [result.worst_title + ":"]
    for case in result.worst_cases:
        lines.append(
            f"- {case.case_id} ({', '.join(case.tags) or 'no tags'}): "
            f"{fmt(case.baseline)} -> {fmt(case.candidate)}"
            if case.baseline is not None
            else f"- {case.case_id} ({', '.join(case.tags) or 'no tags'}): {fmt(case.candidate)}"
        )
        lines.extend(f"    {problem}" for problem in case.problems)
    return "\n".join(lines)


def gate_junit(result: GateResult) -> str:
    """The JUnit XML document (``testsuites`` root, one suite) of a gate result."""
    failures = sum(1 for c in result.checks if c.status == "fail")
    skipped = sum(1 for c in result.checks if c.status == "skip")
    counts = {
        "tests": str(len(result.checks)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
    }
    root = ET.Element("testsuites", {"name": SUITE, **counts})
    suite = ET.SubElement(
        root,
        "testsuite",
        {"name": f"{SUITE}: run {result.candidate.run_id}", **counts, "time": "0"},
    )
    properties = ET.SubElement(suite, "properties")
    values = {
        "run_id": result.candidate.run_id,
        "model": result.candidate.model,
        "template": f"{result.candidate.template_name} {result.candidate.template_hash[:12]}",
        "dataset": result.candidate.dataset_name,
        "baseline": result.baseline_source or "",
    }
    for name, value in values.items():
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for check in result.checks:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": f"harness.gate.{check.kind}", "name": check.name, "time": "0"},
        )
        if check.status == "skip":
            ET.SubElement(case, "skipped", {"message": check.message})
        elif check.status == "fail":
            failure = ET.SubElement(case, "failure", {"message": check.message, "type": check.kind})
            body = _numbers(check)
            if result.worst_cases and check.metric == result.worst_metric:
                body += "\n\n" + _worst_text(result)
            failure.text = body
        else:
            ET.SubElement(case, "system-out").text = check.message
    _make_xml_safe(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold (control characters from a dataset's
    case ids or a model's reply) written as a visible ``\\xNN`` escape; ElementTree would write
    them as they are, and the file would not parse."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _make_xml_safe(root: ET.Element) -> None:
    for element in root.iter():
        element.attrib = {key: _xml_safe(value) for key, value in element.attrib.items()}
        if element.text:
            element.text = _xml_safe(element.text)

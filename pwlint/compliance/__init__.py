"""Compliance reports: each control of a standard with a verdict and the evidence behind it.

`catalogue` loads a standard's controls from `pwlint/catalogues/`, `assess` turns a scan (findings
plus observations) into verdicts and a scope, `records` holds the result for the formats in
`pwlint/reporters/compliance_*.py`, and `command` wires `pwlint report` and `pwlint standards`.
"""

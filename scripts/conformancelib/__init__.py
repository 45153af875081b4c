"""The conformance suite's runner logic, as pure functions where it can be:
case discovery (cases.py), one case's record from its output (record.py),
the kernel's log judged after each case (kernel_log.py), and the report
(report.py). scripts/conformance is the thin CLI that runs them."""

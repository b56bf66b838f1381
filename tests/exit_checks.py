"""What the connectors' U4 exit-code tests check of a pass through the CLI (tests/connectors/*/test_*_exit_codes.py)."""

from __future__ import annotations


def one_summary_line(result, failed: int, writes: int, target: str, reason: str) -> str:
    """A partly-done pass: exit 3, no traceback, one line naming `failed` of `writes` (not one line per item)."""
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if reason in line]
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"sync: {failed} of {writes} writes to {target} failed (first: the copy of '"), lines[0]
    assert lines[0].endswith("; the next pass retries. Details: contacthub sync status"), lines[0]
    return lines[0]


def status_says_partly_done(run, failed: int, writes: int) -> None:
    last = run.json("sync", "status")["last_pass"]
    assert last["outcome"] == "partly-done" and (last["failed"], last["writes"]) == (failed, writes), last
    assert f"partly done ({failed} of {writes} writes failed)" in run("sync", "status").stdout


def one_error_line(result, says: str, secret: str) -> None:
    """An error before anything changed: exit 1, one line saying `says`, the secret nowhere."""
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    assert says in result.output and secret not in result.output, result.output

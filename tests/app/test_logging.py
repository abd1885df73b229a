"""The service's own log set-up: lines written from a thread, in batches, none lost."""

from __future__ import annotations

import subprocess
import sys

CHILD_PRELUDE = """
import logging, sys
from app.observability import configure_logging
configure_logging()
log = logging.getLogger("hongxin.test")
"""


def run_child(body: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CHILD_PRELUDE + body], input=stdin,
                          capture_output=True, text=True, timeout=60, check=True)


def test_every_line_is_written_in_order_before_exit() -> None:
    child = run_child("""
for n in range(2000):
    log.info("line %d of %s", n, "many")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("the last one")
""")
    lines = child.stderr.splitlines()
    numbered = [line for line in lines if " INFO hongxin.test line " in line]
    assert [line.split(" line ")[1] for line in numbered] == [f"{n} of many" for n in range(2000)]
    assert any(" ERROR hongxin.test the last one" in line for line in lines)
    assert "ZeroDivisionError: division by zero" in child.stderr


def test_a_line_shows_up_while_the_process_still_runs() -> None:
    # The child logs one line, then waits for its stdin to close; the test reads
    # that line first, so it cannot be one written out only at exit.
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD_PRELUDE + 'log.warning("alone")\nsys.stdin.read()\n'],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stderr is not None and child.stdin is not None
    try:
        line = child.stderr.readline()
    finally:
        child.stdin.close()
        child.wait(timeout=30)
    assert line.rstrip().endswith("WARNING hongxin.test alone")


def test_a_record_that_cannot_be_formatted_does_not_silence_the_others() -> None:
    child = run_child("""
log.info("needs two %s %s", "but gets one")
log.info("after it")
""")
    assert "unformattable log record from hongxin.test" in child.stderr
    assert "INFO hongxin.test after it" in child.stderr

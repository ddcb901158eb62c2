"""Verifying an export of 10,000 events with the independent verifier takes at most 2 s (issue 27)."""
import time

import logmaker
from conftest import run_verifier


def test_ten_thousand_events_in_two_seconds(files):
    log = logmaker.Log()
    log.events = logmaker.make_events(10_000, subjects=400)
    export = files("big.json", log.export())
    key = files("log.pub", log.vkey)
    started = time.perf_counter()
    status, line = run_verifier(export, "--public-key", key)
    elapsed = time.perf_counter() - started
    assert status == 0, line
    print("verified 10,000 events in %.2f s" % elapsed)
    assert elapsed <= 2.0, "took %.2f s" % elapsed

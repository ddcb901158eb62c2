"""The tree hashes and proofs agree with an independent RFC 9162 implementation (reference.py, from the RFC's text):
the verifier's algorithms on random trees up to 10,000 leaves, and the server's own output (vectors written by the
Swift test TransparencyVectors when Tests/Audit/run.sh runs it)."""
import base64
import importlib.util
import json
import os
import random

import pytest

import reference as rfc
from conftest import VERIFIER

spec = importlib.util.spec_from_file_location("verify_export", VERIFIER)
verifier = importlib.util.module_from_spec(spec)
spec.loader.exec_module(verifier)

LEAVES = [rfc.leaf(b"leaf %d" % i) for i in range(10_000)]


def test_the_rfc_example_tree():
    """RFC 9162 section 2.1.5: seven leaves d0..d6; the proofs consist of the subtrees the RFC names."""
    d = [rfc.leaf(b"d%d" % i) for i in range(7)]
    a, b, c, dd, e, f, g7 = d
    g, h, i, j = rfc.node(a, b), rfc.node(c, dd), rfc.node(e, f), g7
    k, l = rfc.node(g, h), rfc.node(i, j)
    root = rfc.node(k, l)
    assert rfc.mth(d) == root
    assert rfc.path(0, d) == [b, h, l]
    assert rfc.path(3, d) == [c, g, l]
    assert rfc.path(4, d) == [f, j, k]
    assert rfc.path(6, d) == [i, k]
    assert rfc.proof(3, d) == [c, dd, g, l]
    assert rfc.proof(4, d) == [l]
    assert rfc.proof(6, d) == [i, j, k]
    for m in range(7):
        assert verifier.root_from_inclusion(m, 7, d[m], rfc.path(m, d)) == root
    for m in range(1, 8):
        assert verifier.verify_consistency(m, rfc.mth(d[:m]), 7, root, rfc.proof(m, d))


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 64, 100, 1023, 1024, 1025, 4097, 10_000])
def test_random_trees(n):
    rng = random.Random(n)
    d = LEAVES[:n]
    root = rfc.mth(d)
    for m in {0, n - 1, *(rng.randrange(n) for _ in range(15))}:
        assert verifier.root_from_inclusion(m, n, d[m], rfc.path(m, d)) == root
        if n > 1:
            assert verifier.root_from_inclusion(m, n, rfc.leaf(b"other"), rfc.path(m, d)) != root
    for m in {1, n, *(rng.randrange(1, n + 1) for _ in range(15))}:
        old = rfc.mth(d[:m])
        assert verifier.verify_consistency(m, old, n, root, rfc.proof(m, d))
        if m < n:
            assert not verifier.verify_consistency(m, rfc.leaf(b"x"), n, root, rfc.proof(m, d))


VECTORS = os.environ.get("CRYOLEDGER_TLOG_VECTORS")


@pytest.mark.skipif(not VECTORS or not os.path.exists(VECTORS or ""), reason="the server's vectors were not written (Tests/Audit/run.sh writes them)")
def test_the_servers_trees_match_the_reference():
    with open(VECTORS) as f:
        vectors = json.load(f)
    assert any(t["size"] == 10_000 for t in vectors["trees"])
    for t in vectors["trees"]:
        n = t["size"]
        d = LEAVES[:n]
        assert base64.b64decode(t["root"]) == rfc.mth(d), "root of %d" % n
        for p in t["inclusion"]:
            assert [base64.b64decode(x) for x in p["path"]] == rfc.path(p["index"], d), "inclusion %d in %d" % (p["index"], n)
        for p in t["consistency"]:
            assert [base64.b64decode(x) for x in p["proof"]] == rfc.proof(p["from"], d), "consistency %d to %d" % (p["from"], n)

"""RFC 9162 section 2.1, written from the RFC's definitions (MTH, PATH, PROOF/SUBPROOF), recursively and naively,
for the tests to compare the server and the verifier with. Nothing here comes from CryoLedger's code."""
import hashlib


def leaf(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def k_of(n):
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d):
    """MTH(D[n]) over a list of leaf *hashes*."""
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return d[0]
    k = k_of(n)
    return node(mth(d[:k]), mth(d[k:]))


def path(m, d):
    n = len(d)
    if n == 1:
        return []
    k = k_of(n)
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m, d, b):
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = k_of(n)
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def proof(m, d):
    return subproof(m, d, True) if 0 < m < len(d) else []

#!/usr/bin/env bash
# Store-level proof timing (issue 27): builds a tree of LEAVES leaves in the test cluster (every complete subtree,
# hashed level by level in PostgreSQL), then times inclusion and consistency proofs through the Store (one pooled
# read each: the query fetching every needed node by (level, index) and the folding), SAMPLES of each, and
# prints p50/p99. Every proof is verified against the root; nothing asserts on time.
#   Benchmarks/audit/proofs.sh [LEAVES=1000000] [SAMPLES=2000]
set -euo pipefail
cd "$(dirname "$0")/../.."
export TLOG_BENCH_LEAVES="${1:-1000000}" TLOG_BENCH_SAMPLES="${2:-2000}"
deploy/local/test --filter TransparencyLogProofTiming 2>&1 | grep -E "tlog bench|passed|failed|error"

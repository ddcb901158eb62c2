#!/usr/bin/env bash
# The supply forecast's benchmark: 10,000 replications of 12 months on the demo scaled to 20 sites and 6 cohorts,
# then the plan search and its out-of-sample comparison with the baseline. Pass -c debug for a debug build.
set -euo pipefail
cd "$(dirname "$0")/../.."
config=${CONFIG:-release}
swift build -c "$config" --product supply-bench
"$(swift build -c "$config" --show-bin-path)/supply-bench" "$@"

#!/usr/bin/env bash
# Feeds every parser of outside data millions of hostile inputs (fuzz/src/main.rs), seeded from
# fuzz/corpus/, and prints inputs/s per parser. Findings are kept in fuzz/findings/.
#   bash scripts/fuzz.sh                      # 10 million inputs for each parser
#   bash scripts/fuzz.sh --count 100000 cue   # fewer, one parser
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run -q --profile fuzz -p ivs-fuzz -- "$@"

#!/usr/bin/env bash
# End-to-end ingest timing (make bench): ours against a bare DuckDB read_csv of the same file.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
go run ./bench -records "${BENCH_RECORDS:-5000000}" -bin bin/investigator -json bench/out/ingest.json

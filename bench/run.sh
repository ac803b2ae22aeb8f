#!/usr/bin/env bash
# End-to-end timings (make bench): ingest against a bare DuckDB read_csv of the same file,
# a delivery tree of small objects (local and from S3) against one file of the same records,
# then every analysis on a generated case with the provider ranges of the corpus loaded.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
go run ./bench -records "${BENCH_RECORDS:-5000000}" -bin bin/investigator -json bench/out/ingest.json
go run ./bench -tree -tree-objects "${BENCH_TREE_OBJECTS:-2000}" -tree-records "${BENCH_TREE_RECORDS:-500}" -bin bin/investigator -json bench/out/tree.json
go run ./bench -analyses -web -records "${BENCH_RECORDS:-5000000}" -bin bin/investigator -json bench/out/analyses.json

#!/usr/bin/env bash
# Benchmarks git-release against the git command that does the same job, as whole processes.
# Each pair runs several times; the table shows medians and the ratio (git-release / git).
#
#   benches/run.sh            # full size (50,000-commit range)
#   benches/run.sh --smoke    # tiny repositories: checks the benchmarks run (CI does this)
#
# Writes the table to benches/RESULTS.md with a description of the machine (not in smoke mode).
set -euo pipefail
cd "$(dirname "$0")/.."

commits=50000
runs=7
profile=release
results=benches/RESULTS.md
if [ "${1:-}" = "--smoke" ]; then commits=200; runs=2; profile=dev; results=/dev/null; fi

# Smoke mode reuses the debug build the tests made; the figures need the release build.
cargo build --quiet --profile "$profile"
bin="$PWD/target/$([ "$profile" = dev ] && echo debug || echo release)/git-release"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 TZ=UTC
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com

# A linear history made with fast-import: one small change per commit, a release tag at the
# start and one at the end of the range.
repo="$work/notes"
git init -q -b main "$repo"
awk -v n="$commits" 'BEGIN {
  for (i = 1; i <= n + 1; i++) {
    printf "commit refs/heads/main\nmark :%d\ncommitter Bench <bench@example.com> %d +0000\n", i, 1700000000 + i * 60
    msg = sprintf("Change %d: fix #%d", i, i % 997)
    printf "data %d\n%s\n", length(msg), msg
    if (i > 1) printf "from :%d\n", i - 1
    line = sprintf("line %d\n", i)
    printf "M 644 inline file%d.txt\ndata %d\n%s\n", i % 100, length(line), line
  }
  printf "reset refs/tags/2026-01-06\nfrom :1\n\n"
  printf "reset refs/tags/2026-06-02\nfrom :%d\n\n", n + 1
}' | git -C "$repo" fast-import --quiet
git -C "$repo" commit-graph write --reachable 2>/dev/null || true

# Median wall time of a command, in milliseconds.
median_ms() {
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

rows=()
compare() {
  local label=$1 target=$2; shift 2
  local ours theirs
  ours=$(cd "$repo" && median_ms "$bin" "${@}")
  theirs=$(cd "$repo" && median_ms sh -c "$target")
  local ratio
  ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { if (b == 0) b = 1; printf "%.2f", a / b }')
  rows+=("| $label | $ours ms | $theirs ms | ${ratio}× |")
  echo "$label: git-release ${ours} ms, git ${theirs} ms, ratio ${ratio}" >&2
}

compare "\`notes --format text\` over $commits commits vs \`git log --format='%H %s' A..B\`" \
  "git log --format='%H %s' 2026-01-06..2026-06-02" notes --format text -r 2026-06-02

{
  echo "# Benchmark results"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); $(git --version); $("$bin" --version)."
  echo "Median of $runs runs each, whole processes, $profile build. Made by \`benches/run.sh${1:+ $1}\`."
  echo
  echo "| what | git-release | git | ratio |"
  echo "| --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
} | tee "$results"

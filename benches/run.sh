#!/usr/bin/env bash
# Benchmarks git-release against the git command that does the same job, as whole processes,
# on repositories made by benches/generate.py with git fast-import. Each pair runs several
# times; the table shows medians and the ratio (git-release / git).
#
#   benches/run.sh            # full size: 100k commits, 10k tags, 2k releases, 10k events
#   benches/run.sh --smoke    # tiny repositories: checks the benchmarks run (CI does this)
#   TMPDIR=/dev/shm benches/run.sh   # the repositories in memory: what the disk costs, apart
#
# Writes the table to benches/RESULTS.md with a description of the machine (not in smoke mode),
# above the file's history of earlier runs, which it keeps.
set -euo pipefail
cd "$(dirname "$0")/.."

commits=100000; tags=10000; releases=2000; events=10,1000,10000; diverged=500; notes_range=50000
# Runs per side: the commands of a few milliseconds vary most from run to run, and cost least.
runs=31; heavy_runs=15; profile=release; results="$PWD/benches/RESULTS.md"
if [ "${1:-}" = "--smoke" ]; then
  commits=400; tags=40; releases=20; events=10,100,300; diverged=10; notes_range=200
  runs=2; heavy_runs=2; profile=dev; results=/dev/null
fi

# Smoke mode reuses the debug build the tests made; the figures need the release build.
cargo build --quiet --profile "$profile"
bin="$PWD/target/$([ "$profile" = dev ] && echo debug || echo release)/git-release"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 TZ=UTC
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com

echo "generating: $commits commits, $tags tags, $releases releases, events $events, $diverged diverged" >&2
python3 benches/generate.py "$work/gen" --commits "$commits" --tags "$tags" --releases "$releases" \
  --events "$events" --diverged "$diverged" --notes-range "$notes_range"
repo="$work/gen/repo"
# Let the kernel write the generated repository out first: timings taken while it is still
# flushing hundreds of megabytes measure the disk's queue, for both sides alike.
sync
# Times are wall times of whole processes. The clock is bash's own $EPOCHREALTIME: reading it
# with `date` would start a process on each side of every run and add its 1.25 ms to both
# figures, which flatters every ratio. The git side runs through `eval` in this shell, so
# neither side pays for an extra process.
[ -n "${EPOCHREALTIME:-}" ] || { echo "benches/run.sh needs bash 5 or later (\$EPOCHREALTIME)" >&2; exit 1; }
setup=true

# What one file creation costs in the repository's object directory (bash's own redirection,
# no process): the `comment` rows create files on both sides. On ext4 it is some 15 µs, but
# hundreds where many files were deleted in the last minutes (ext4 walks past their inodes),
# as after a test suite or an earlier run: then those rows measure the disk.
# The files are moved out afterwards, not deleted, so as not to add to what is walked past.
mkdir "$work/probe"
start=$EPOCHREALTIME
for i in $(seq 20); do : > "$repo/.git/objects/.bench-probe-$i"; done
end=$EPOCHREALTIME
create_us=$(( (10#${end/[.,]/} - 10#${start/[.,]/}) / 20 ))
mv "$repo"/.git/objects/.bench-probe-* "$work/probe/"
echo "one file creation in the repository: $create_us µs" >&2

# One run of "$@" after $setup (untimed); its wall time in microseconds goes to $elapsed.
run_once() {
  eval "$setup"
  local start end
  start=$EPOCHREALTIME
  "$@" >/dev/null 2>"$work/stderr" || { echo "benchmark command failed: $*" >&2; cat "$work/stderr" >&2; exit 1; }
  end=$EPOCHREALTIME
  elapsed=$(( 10#${end/[.,]/} - 10#${start/[.,]/} ))
}

# The median of microseconds on stdin, in milliseconds with one decimal.
median_ms() {
  sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1000 }'
}

# "OURS THEIRS": the medians of $runs runs of git-release "$@" and of the git command $1. One
# untimed run of each first, as hyperfine's --warmup: the binaries and the files they read are
# in memory for every timed run alike. Then the two take turns, so that a slow moment of this
# shared machine falls on both sides rather than on one, and each goes first every other time
# (what one leaves behind, in caches or on the disk's queue, falls on the other alike).
medians() {
  local git_cmd=$1 ours=() theirs=() elapsed i
  shift
  eval "$setup"; "$bin" "$@" >/dev/null 2>&1 || true
  eval "$setup"; eval "$git_cmd" >/dev/null 2>&1 || true
  for i in $(seq "$runs"); do
    if (( i % 2 )); then
      run_once "$bin" "$@"; ours+=("$elapsed")
      run_once eval "$git_cmd"; theirs+=("$elapsed")
    else
      run_once eval "$git_cmd"; theirs+=("$elapsed")
      run_once "$bin" "$@"; ours+=("$elapsed")
    fi
  done
  echo "$(printf '%s\n' "${ours[@]}" | median_ms) $(printf '%s\n' "${theirs[@]}" | median_ms)"
}

rows=()
# compare LABEL TARGET DIR GIT-COMMAND -- GIT-RELEASE-ARGS…
compare() {
  local label=$1 target=$2 dir=$3 git_cmd=$4; shift 4
  local both ours theirs ratio verdict
  both=$(cd "$dir" && medians "$git_cmd" "$@")
  read -r ours theirs <<< "$both"
  ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { if (b == 0) b = 0.1; printf "%.2f", a / b }')
  if [ "$target" = - ]; then
    verdict="no budget"
    rows+=("| $label | $ours ms | $theirs ms | ${ratio}× | no budget: the first read after a change from elsewhere |")
  else
    verdict=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r <= t) ? "met" : "not met" }')
    rows+=("| $label | $ours ms | $theirs ms | ${ratio}× | ≤ ${target}× $verdict |")
  fi
  echo "$label: git-release ${ours} ms, git ${theirs} ms, ${ratio}× (target ≤ ${target}×: $verdict)" >&2
}

IFS=, read -r -a event_counts <<< "$events"
for k in "${!event_counts[@]}"; do
  name=$(printf '2099-01-%02d' $(( k + 1 )))
  compare "\`status\` of a release with ${event_counts[$k]} events vs \`git cat-file -p\` of its release.toml" 2.0 "$repo" \
    "git cat-file -p refs/release/$name:release.toml" status -r "$name"
done
# The rows above read the fold of the events that the first run remembered
# (.git/release-fold-cache); these fold every event, every time.
for k in "${!event_counts[@]}"; do
  name=$(printf '2099-01-%02d' $(( k + 1 )))
  setup="rm -rf '$repo/.git/release-fold-cache'"
  compare "\`status\` of a release with ${event_counts[$k]} events, folded anew, vs \`git cat-file -p\` of its release.toml" - "$repo" \
    "git cat-file -p refs/release/$name:release.toml" status -r "$name"
done
setup=true
runs=$heavy_runs compare "\`notes --format text\` over $notes_range commits vs \`git log --format='%H %s' A..B\`, with a commit-graph" 1.2 "$repo" \
  "git log --format='%H %s' 2019-01-01..2019-01-02" notes --format text -r 2019-01-02
# A fresh clone has no commit-graph.
mv "$repo/.git/objects/info/commit-graph" "$work/commit-graph"
runs=$heavy_runs compare "\`notes --format text\` over $notes_range commits vs \`git log --format='%H %s' A..B\`, without a commit-graph" 1.2 "$repo" \
  "git log --format='%H %s' 2019-01-01..2019-01-02" notes --format text -r 2019-01-02
mv "$work/commit-graph" "$repo/.git/objects/info/commit-graph"
compare "\`start --dry-run\` (naming) with $tags tags vs \`git tag -l '2017*'\`" 2.0 "$repo" \
  "git tag -l '2017*'" start --dry-run --no-tag --date 2017-06-01
compare "\`list\` with $(( releases + ${#event_counts[@]} + diverged )) releases vs \`git for-each-ref refs/release\`" 2.0 "$repo" \
  "git for-each-ref refs/release" list
# With --all, the tags that read as release names too, each shown with the commit it peels to.
compare "\`list --all\` with $(( releases + ${#event_counts[@]} + diverged )) releases and $tags tags vs \`git for-each-ref\` of both, peeled" 2.0 "$repo" \
  "git for-each-ref --format='%(refname) %(objectname) %(*objectname)' refs/release refs/tags" list --all

# One comment (an event commit, CAS) vs one git note: on a release of ordinary size, and on
# the one with the most events (its event files fanned out into subdirectories by id).
# Each note says something new, as each comment does (its own time and id): the same text
# again would make git write one object instead of three.
note="git notes --ref=bench add -f -m \"a note \$EPOCHREALTIME\" HEAD"
compare "one \`comment\` on the ${event_counts[0]}-event release vs one \`git notes add\` of a new note" 2.0 "$repo" \
  "$note" comment -r 2099-01-01 "a note"
big=$(printf '2099-01-%02d' "${#event_counts[@]}")
compare "one \`comment\` on the ${event_counts[-1]}-event release vs one \`git notes add\` of a new note" 2.0 "$repo" \
  "$note" comment -r "$big" "a note"

# absolute LABEL LIMIT-MS DIR -- GIT-RELEASE-ARGS…: a row with a budget in time rather than a
# ratio, for work that no one git command does.
absolute() {
  local label=$1 limit=$2 dir=$3 ours verdict i; shift 3
  ours=$(cd "$dir" && {
    eval "$setup"; "$bin" "$@" >/dev/null 2>&1 || true
    for i in $(seq "$runs"); do run_once "$bin" "$@"; echo "$elapsed"; done
  } | median_ms)
  verdict=$(awk -v a="$ours" -v t="$limit" 'BEGIN { print (a < t) ? "met" : "not met" }')
  rows+=("| $label | $ours ms | – | – | < $limit ms $verdict |")
  echo "$label: git-release ${ours} ms (budget < $limit ms: $verdict)" >&2
}

# The whole static site: the train, a page per release (gates, checklist, notes, timeline),
# push duty and calendar.ics. Before the sync rows, which delete most releases.
runs=$heavy_runs absolute "\`page\` of $(( releases + ${#event_counts[@]} + diverged )) releases, the whole site" 1000 "$repo" \
  page --out "$work/site"

# Sync of the diverged releases vs the bare fetch + push of the same refs; fresh copies each run.
git init -q --bare "$work/remote.git"
git -C "$repo" push -q "$work/remote.git" 'refs/bench-remote/*:refs/release/*'
git -C "$repo" update-ref -d refs/notes/release 2>/dev/null || true
# Keep only the diverged releases (those the remote has too), so sync's work is the merges.
git -C "$repo" for-each-ref --format='%(refname:lstrip=2)' refs/bench-remote | sort > "$work/diverged"
git -C "$repo" for-each-ref --format='%(refname:lstrip=2)' refs/release | sort \
  | comm -23 - "$work/diverged" | sed 's|^|delete refs/release/|' | git -C "$repo" update-ref --stdin
git -C "$repo" remote add origin "$work/remote.git"
setup="rm -rf '$work/s'; mkdir '$work/s'; cp -a '$repo' '$work/s/repo'; cp -a '$work/remote.git' '$work/s/remote.git'; git -C '$work/s/repo' remote set-url origin '$work/s/remote.git'; cd '$work/s/repo'"
eval "$setup"
runs=$heavy_runs compare "\`sync\` of $diverged diverged releases vs \`git fetch\` + \`git push\` of them" 2.0 "$work/s/repo" \
  "git fetch -q origin '+refs/release/*:refs/release-remotes/origin/*' && git push -q -f origin 'refs/release/*:refs/release/*'" sync
setup=true

{
  echo "# Benchmark results"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); $(git --version); $("$bin" --version)."
  echo "Repository: $commits commits, $tags date tags, $releases releases (+ ${#event_counts[@]} with many events, $diverged diverged), made by \`benches/generate.py\`, on $(df --output=fstype "$work" | tail -1) (\$TMPDIR chooses where), where creating a file took $create_us µs."
  echo "Median of $runs runs each ($heavy_runs for \`notes\` and \`sync\`), the two sides taking turns; whole processes timed with bash's \$EPOCHREALTIME; $profile build. Made by \`benches/run.sh${1:+ $1}\`."
  echo
  echo "| what | git-release | git | ratio | target |"
  echo "| --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
} > "$work/table"
cat "$work/table"
# The file keeps what follows its history marker: earlier runs and what was learnt from them.
if [ "$results" != /dev/null ]; then
  { cat "$work/table"; echo; sed -n '/^<!-- history -->$/,$p' "$results" 2>/dev/null || true; } > "$work/results"
  mv "$work/results" "$results"
fi

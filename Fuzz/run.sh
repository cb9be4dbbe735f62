#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS on one core, one after the other; prints each
# target's executions, coverage and whether it crashed. Exits 1 if any target crashed (or hung,
# or ran out of memory), 2 on a usage or build error.
#
# Usage: Fuzz/run.sh SECONDS [TARGET...]     (targets: fuzz-model fuzz-resume fuzz-text; default all)
#
# Environment:
#   FUZZ_OUT         where corpora, logs and crash inputs go, outside git
#                    (default: ${TMPDIR:-/tmp}/charrnn-fuzz); per target: corpus/, crashes/, run.log
#   FUZZ_SANITIZE    the -sanitize= list (default: fuzzer,address; "fuzzer" alone runs about
#                    twice as fast but catches only traps, not bad memory accesses)
#   FUZZ_KEEP_GOING  1: go on after a crash (libFuzzer's -fork=1 -ignore_crashes=1), to collect
#                    several crashes in one long run; the default stops at the first one
#   FUZZ_SKIP_KNOWN  1: fuzz-model and fuzz-resume pass over inputs that hit a crash listed as
#                    open in README.md, to look for others (Sources/fuzz-model/KnownCrashes.swift)
#   FUZZ_NO_BUILD    1: use the binaries already built
set -euo pipefail
usage() { echo "usage: $0 SECONDS [fuzz-model|fuzz-resume|fuzz-text ...]" >&2; exit 2; }
[ $# -ge 1 ] && [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ] || usage
seconds=$1
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz-model fuzz-resume fuzz-text)
for target in "${targets[@]}"; do
    case "$target" in fuzz-model | fuzz-resume | fuzz-text) ;; *) usage ;; esac
done

fuzz=$(cd "$(dirname "$0")" && pwd)
out=${FUZZ_OUT:-${TMPDIR:-/tmp}/charrnn-fuzz}
sanitize=${FUZZ_SANITIZE:-fuzzer,address}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The flags: -sanitize=fuzzer instruments for coverage and links libFuzzer; -parse-as-library
# because the targets have no main.swift (each defines its entry point, see
# Sources/FuzzSupport/Driver.swift); -Xcc instruments the C and C++ targets (CKernels, CICU)
# the same way. Release: the readers as they ship, with Swift's overflow and bounds checks on.
build=(swift build -c release --package-path "$fuzz"
    -Xswiftc "-sanitize=$sanitize" -Xswiftc -parse-as-library
    -Xcc "-fsanitize=${sanitize/fuzzer/fuzzer-no-link}")
if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
    echo "building: ${build[*]}"
    start=$(date +%s)
    nice -n 10 "${build[@]}" || { echo "fuzz build failed" >&2; exit 2; }
    echo "built in $(($(date +%s) - start)) s"
fi
bin=$(nice -n 10 "${build[@]}" --show-bin-path)

failed=0
summary=()
for target in "${targets[@]}"; do
    work="$out/$target"
    mkdir -p "$work/corpus" "$work/crashes"
    case "$target" in
        fuzz-model) seeds=("$fuzz/seeds/model" "$fuzz/seeds/resume"); options=(-dict="$fuzz/safetensors.dict" -max_len=8192) ;;
        fuzz-resume) seeds=("$fuzz/seeds/resume" "$fuzz/seeds/model"); options=(-dict="$fuzz/safetensors.dict" -max_len=8192) ;;
        fuzz-text) seeds=("$fuzz/seeds/text"); options=(-max_len=4096) ;;
    esac
    if [ "${FUZZ_KEEP_GOING:-0}" = 1 ]; then
        mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    else
        mode=(-jobs=1 -workers=1)  # one process on one core; the job's log is copied to run.log
    fi
    ls "$work/crashes" >"$work/crashes.before"
    echo "fuzzing $target for $seconds s (log: $work/run.log)"
    status=0
    # SWIFT_BACKTRACE=enable=no: a trap goes to libFuzzer's handler, which saves the input and
    # prints the stack (Swift's own backtracer would take minutes to symbolicate it first).
    (cd "$work" && SWIFT_BACKTRACE=enable=no nice -n 15 "$bin/$target" "${mode[@]}" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/crashes/" "${options[@]}" corpus "${seeds[@]}") >"$work/run.log" 2>&1 || status=$?
    # Executions: libFuzzer's final stats, or with -fork the count on its last status line.
    runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$work/run.log" | awk '{s += $2} END {print s + 0}' || true)
    last=$(grep -E '^#[0-9]+:?[[:space:]].*cov: ' "$work/run.log" | tail -1 || true)
    if [ "${runs:-0}" = 0 ]; then runs=$(sed -nE 's/^#([0-9]+):.*/\1/p' <<<"$last"); fi
    cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<<"$last")
    corpus=$(ls "$work/corpus" | wc -l)
    new=$(ls "$work/crashes" | grep -vxF -f "$work/crashes.before" || true)
    count=$(grep -c . <<<"$new" || true)
    if [ "$status" -ne 0 ] || [ "$count" -gt 0 ]; then
        failed=1
        result="CRASHED (exit $status, $count new input(s) in $work/crashes)"
        # The first few new inputs run once more: what failed, and its first frames in Sources/.
        for input in $(head -5 <<<"$new"); do
            echo "$target $work/crashes/$input:"
            SWIFT_BACKTRACE=enable=no timeout 60 "$bin/$target" "$work/crashes/$input" 2>&1 \
                | grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|Fatal error|runtime failure|^ +#[0-9]+ .* in .*/Sources/' \
                | grep -v '/Fuzz/Sources/' | head -4 || true
        done
    else
        result="no crash"
    fi
    summary+=("$(printf '%-12s %12s executions in %s s  cov %s  ft %s  corpus %s  %s' \
        "$target" "${runs:-?}" "$seconds" "${cov:-?}" "${ft:-?}" "$corpus" "$result")")
done
printf '%s\n' "${summary[@]}"
exit $failed

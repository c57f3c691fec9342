#!/usr/bin/env bash
# Benchmarks kdump and kshell on generated metadata logs at 1x, 4x and 16x
# of the base size (1x: about 47 MB, 540k records) and prints a Markdown
# table of wall time (median of the runs), input MB/s and peak RSS (largest
# of the runs).
#
#   bench/run.sh            1x, 4x, 16x; 3 runs each (a few minutes)
#   bench/run.sh --quick    1x and 4x; 1 run each
#
# Environment: SCALES="1 4 16", RUNS=3 override the defaults; KSHELL_CMD
# overrides how kshell is run ({input} is replaced by the file to load).
# Generated logs go to bench/out/ (git-ignored) and are reused while the
# generator and its options are unchanged.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/bench/out"

scales=${SCALES:-"1 4 16"}
runs=${RUNS:-3}
if [[ "${1:-}" == "--quick" ]]; then
    scales=${SCALES:-"1 4"}
    runs=${RUNS:-1}
fi
kshell_cmd=${KSHELL_CMD:-"target/release/kshell --snapshot {input} cat /image/features/metadataVersion"}

if [[ ! -x /usr/bin/time ]]; then
    echo "bench/run.sh needs GNU time at /usr/bin/time (apt-get install time)" >&2
    exit 2
fi

echo "building release binaries…" >&2
cargo build --release --quiet --bins --example gen-big

kdump=target/release/kdump
gen=target/release/examples/gen-big
has_verify=false
if "$kdump" --help 2>/dev/null | grep -q -- --verify; then has_verify=true; fi
has_kshell=false
if [[ -x target/release/kshell ]]; then has_kshell=true; fi

# Generates (or reuses) the log and snapshot of one scale; prints the log's path.
generate() {
    local scale=$1 dir="$out/${1}x"
    local stamp
    stamp="scale=$scale $(cksum < examples/gen-big/generator.rs) $(cksum < examples/gen-big/main.rs)"
    if [[ ! -f "$dir/STAMP" || "$(cat "$dir/STAMP")" != "$stamp" ]]; then
        echo "generating ${scale}x…" >&2
        rm -rf "$dir"
        "$gen" --out "$dir" --scale "$scale" --snapshot >&2
        # The snapshot goes apart, so that loading the log directory means
        # replaying the log.
        mkdir -p "$dir/snapshot"
        mv "$dir"/__cluster_metadata-0/*.checkpoint "$dir/snapshot/"
        echo "$stamp" > "$dir/STAMP"
    fi
    echo "$dir/__cluster_metadata-0/00000000000000000000.log"
}

# Runs a command $runs times with stdout to /dev/null; prints
# "median_seconds max_rss_kb median_cpu_seconds" (CPU = user + system).
measure() {
    local times=() cpus=() rss=0 start end kb
    for ((i = 0; i < runs; i++)); do
        start=$(date +%s%N)
        /usr/bin/time -f '%M %U %S' -o "$out/.rss" "$@" > /dev/null 2> "$out/.stderr" || {
            echo "failed: $* ($(tail -1 "$out/.stderr"))" >&2
            echo "fail fail fail"
            return
        }
        end=$(date +%s%N)
        times+=($(((end - start) / 1000)))
        read -r kb user system < <(tail -1 "$out/.rss")
        cpus+=("$(awk -v u="$user" -v s="$system" 'BEGIN {printf "%.2f", u + s}')")
        ((kb > rss)) && rss=$kb
    done
    local median cpu
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    cpu=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "$(awk -v us="$median" 'BEGIN {printf "%.3f", us / 1e6}') $rss $cpu"
}

row() {
    local scale=$1 input=$2 what=$3
    shift 3
    local bytes mb seconds rss cpu
    bytes=$(stat -c %s "$input")
    mb=$(awk -v b="$bytes" 'BEGIN {printf "%.0f", b / 1e6}')
    if [[ "$1" == "n/a" ]]; then
        printf '| %s | %s MB | %s | n/a (not built) | | | |\n' "${scale}x" "$mb" "$what"
        return
    fi
    read -r seconds rss cpu < <(measure "$@")
    if [[ "$seconds" == fail ]]; then
        printf '| %s | %s MB | %s | failed | | | |\n' "${scale}x" "$mb" "$what"
        return
    fi
    printf '| %s | %s MB | %s | %s s | %s s | %s | %s MB |\n' "${scale}x" "$mb" "$what" "$seconds" "$cpu" \
        "$(awk -v b="$bytes" -v s="$seconds" 'BEGIN {printf "%.0f MB/s", b / 1e6 / (s > 0 ? s : 0.001)}')" \
        "$(awk -v k="$rss" 'BEGIN {printf "%.1f", k / 1024}')"
}

kshell_row() {
    local scale=$1 input=$2 what=$3
    if ! $has_kshell; then
        row "$scale" "$input" "$what" n/a
        return
    fi
    # shellcheck disable=SC2086 # the command is split on purpose
    row "$scale" "$input" "$what" ${kshell_cmd//\{input\}/$input}
}

logs=()
for scale in $scales; do
    logs+=("$(generate "$scale")")
done

echo
echo "kraftlog benchmarks: $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%d)"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wall and CPU (user + system) time = median of $runs run(s), one process, output to /dev/null; peak RSS = largest of the runs"
echo
echo "| size | input | command | wall | CPU | input rate | peak RSS |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
i=0
for scale in $scales; do
    log=${logs[$i]}
    i=$((i + 1))
    snapshot=$(ls "$out/${scale}x/snapshot/"*.checkpoint)
    row "$scale" "$log" "kdump (JSON Lines)" "$kdump" --files "$log"
    row "$scale" "$log" "kdump --format kafka" "$kdump" --format kafka --files "$log"
    if $has_verify; then
        row "$scale" "$log" "kdump --verify" "$kdump" --verify --files "$log"
    else
        row "$scale" "$log" "kdump --verify" n/a
    fi
    # What reading the file alone costs (one thread, from the page cache):
    # the floor for anything that looks at every byte.
    row "$scale" "$log" "(reference) dd bs=1M" dd if="$log" of=/dev/null bs=1M status=none
    kshell_row "$scale" "$log" "kshell: load log + cat"
    kshell_row "$scale" "$snapshot" "kshell: load snapshot + cat"
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Kafka 3.6.0 on a 47 MB / 540k-record log (issue 4): kafka-dump-log.sh about 2.5 s and 470 MB; kafka-metadata-shell.sh about 18 s and 2.5 GB."

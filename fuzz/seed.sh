#!/bin/sh
# Fills fuzz/corpus/<target>/ with seeds from ../shared/corpus: whole
# segments and snapshots (up to 64 KiB) for `scan`, every record value for
# `metadata_value`. Run from the repository root.
set -eu
shared=${SHARED:-../shared/corpus}
[ -d "$shared" ] || { echo "seed.sh: $shared not found" >&2; exit 2; }
mkdir -p fuzz/corpus/scan fuzz/corpus/metadata_value fuzz/corpus/shell_command
find "$shared" \( -name '*.log' -o -name '*.checkpoint' \) -size -65k | while read -r f; do
    cp "$f" "fuzz/corpus/scan/$(cksum < "$f" | cut -d' ' -f1)"
done
find "$shared" \( -name '*.log' -o -name '*.checkpoint' \) -print0 |
    xargs -0 cargo run -q --example record_values -- fuzz/corpus/metadata_value
# Shell commands: the command lines of Kafka's shell transcripts.
find "$shared" -name '*.shell.txt' -exec sed -n 's/^=== //p' {} + | sort -u |
    while read -r line; do
        printf '%s' "$line" > "fuzz/corpus/shell_command/$(printf '%s' "$line" | cksum | cut -d' ' -f1)"
    done
for d in fuzz/corpus/*; do echo "$d: $(ls "$d" | wc -l) seeds"; done

#!/bin/sh
# run-libfuzzer.sh SECONDS [libFuzzer options...]
#
# Build the libFuzzer targets with clang into build-fuzz/ (meson -Dfuzz=enabled)
# and run one target (FUZZ_TARGET, default "proto") for SECONDS on a scratch
# copy of its committed corpus in tests/fuzz/corpus-run/<target>/ (ignored by
# git; new interesting inputs collect there between runs). A crash, leak or
# broken invariant stops the run with a non-zero status and leaves the input
# in build-fuzz/fuzz-artifacts/; replay it with
#   build-fuzz/tests/fuzz/fuzz_<target>_replay -n 0 FILE
# (and, once fixed, add it to tests/fuzz/corpus/<target>/).
#
# FUZZ_BUILD_DIR overrides the build directory.
set -eu

if [ $# -lt 1 ]; then
	echo "usage: $0 SECONDS [libFuzzer options...]" >&2
	exit 2
fi
secs=$1
shift
case $secs in
'' | *[!0-9]*)
	echo "$0: SECONDS must be a whole number" >&2
	exit 2
	;;
esac

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
target=${FUZZ_TARGET:-proto}

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$root" -Dfuzz=enabled
else
	meson configure "$build" -Dfuzz=enabled
fi
ninja -C "$build" "tests/fuzz/fuzz_$target" "tests/fuzz/fuzz_${target}_replay"

run=$here/corpus-run/$target
artifacts=$build/fuzz-artifacts
mkdir -p "$run" "$artifacts"
cp "$here/corpus/$target"/* "$run"/

set -- -max_total_time="$secs" -max_len=17000 -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$artifacts/" "$@"
if [ -f "$here/$target.dict" ]; then
	set -- -dict="$here/$target.dict" "$@"
fi
echo "fuzzing $target for ${secs}s (corpus $run, crashes to $artifacts)" >&2
exec "$build/tests/fuzz/fuzz_$target" "$@" "$run"

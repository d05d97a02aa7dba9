#!/usr/bin/env bash
# Runs the native storage code under AddressSanitizer (and UndefinedBehaviorSanitizer):
#  1. native/test/*.cc (core_test.cc and its parts), the core alone, no Node.js;
#  2. the addon rebuilt with -fsanitize=address,undefined into build-asan/ (build/Release is left
#     alone) and loaded by the native-facing JavaScript tests through RIVULET_ADDON.
# Exits non-zero on any failing test or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/build-asan
mkdir -p "$OUT"

CXX=${CXX:-g++}
LIBASAN=$("$CXX" -print-file-name=libasan.so)
if [[ ! -e $LIBASAN ]]; then
  echo "test-asan: $CXX has no libasan.so" >&2
  exit 2
fi
SANITIZE=(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1)

echo "== core alone (ASan + UBSan)"
"$CXX" -std=c++17 -Wall -Wextra -pthread "${SANITIZE[@]}" -Inative native/core/*.cc native/test/*.cc \
  -o "$OUT/core_test"
ASAN_OPTIONS=detect_leaks=1 "$OUT/core_test"

echo "== addon build (ASan + UBSan) into $OUT"
# node-gyp always builds into ./build next to binding.gyp, so give it a directory of its own whose
# binding.gyp, sources and node_modules are links to ours.
SRC=$OUT/src
mkdir -p "$SRC"
ln -sfn "$ROOT/binding.gyp" "$SRC/binding.gyp"
ln -sfn "$ROOT/native" "$SRC/native"
ln -sfn "$ROOT/node_modules" "$SRC/node_modules"
NODE_GYP=$(node -p "require('path').join(require('path').dirname(require('fs').realpathSync(process.argv[1])), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')" "$(command -v npm)")
GYP_ARGS=()
# Build offline against the installed headers when they are there (npm passes its nodedir setting
# as npm_config_nodedir; outside npm, look next to the node binary).
NODEDIR=${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}
if [[ -e $NODEDIR/include/node/node_api.h ]]; then GYP_ARGS+=("--nodedir=$NODEDIR"); fi
(cd "$SRC" && RIVULET_SANITIZE=address node "$NODE_GYP" rebuild "${GYP_ARGS[@]}" >"$OUT/build.log" 2>&1) || {
  cat "$OUT/build.log" >&2
  exit 1
}
ADDON=$SRC/build/Release/rivulet_native.node

echo "== compile TypeScript"
if ! npx tsc -p . >"$OUT/tsc.log" 2>&1; then
  # Other parts of the project may be mid-change; the native tests only need their own output.
  echo "tsc reported errors (see $OUT/tsc.log); running the compiled tests anyway"
fi
TESTS=(dist/test/native)
[[ -d dist/test/log ]] && TESTS+=(dist/test/log)

echo "== tests against the sanitized addon: ${TESTS[*]}"
REPORTS=$OUT/reports
rm -rf "$REPORTS"
mkdir -p "$REPORTS"
# Node is not built with ASan, so libasan must come first (LD_PRELOAD) to intercept malloc.
# detect_leaks=0: Node deliberately leaves memory to the OS at exit (isolate, static state), so
# LeakSanitizer would report Node, not the addon; the core test above runs with leak detection.
# log_path: every report lands in a file too, so a report in a child process the test runner
# swallowed still fails this script.
status=0
RIVULET_ADDON=$ADDON \
  LD_PRELOAD=$LIBASAN \
  ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:log_path=$REPORTS/asan" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$REPORTS/ubsan" \
  node --expose-gc --test --test-concurrency=1 "${TESTS[@]}" || status=$?

if compgen -G "$REPORTS/*" >/dev/null; then
  echo "test-asan: sanitizer reports:" >&2
  cat "$REPORTS"/* >&2
  exit 1
fi
if [[ $status -ne 0 ]]; then
  echo "test-asan: tests failed (exit $status)" >&2
  exit "$status"
fi
echo "test-asan: clean"

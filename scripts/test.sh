#!/usr/bin/env bash
# Builds numaflip and runs the whole test suite: once as built (gcc -O2, -Werror, with
# the E2E layer where the machine can run it), the unit tests of a clang -O2 build, once
# under ASan+UBSan at -O0, the unit tests under valgrind, the threaded mover tests under
# ThreadSanitizer, and the fuzzers (clang -O0).
# Ends with one line: N passed, N failed, N skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=${JOBS:-$(nproc)}

if [ "${NF_SKIP_DEPS:-0}" != 1 ]; then
        if ! bash scripts/deps.sh; then
                echo "dependency installation failed"
                echo "0 passed, 1 failed"
                exit 1
        fi
fi

PASSED=0
FAILED=0
SKIPPED=0

# run_ctest NAME BUILD_DIR ARGS...: runs ctest there and adds its counts to the totals.
run_ctest() {
        local name=$1 dir=$2
        shift 2
        local log="$ROOT/build/$name.ctest.log"
        echo "==> $name: ctest $*"
        ctest --test-dir "$dir" --output-on-failure "$@" 2>&1 | tee "$log"
        local line total failed skipped
        line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n1)
        if [ -z "$line" ]; then
                echo "$name: ctest printed no summary"
                FAILED=$((FAILED + 1))
                return
        fi
        total=$(echo "$line" | sed -E 's/.* out of ([0-9]+).*/\1/')
        failed=$(echo "$line" | sed -E 's/.*, ([0-9]+) tests? failed.*/\1/')
        skipped=$(grep -c '(Skipped)' "$log" || true)
        PASSED=$((PASSED + total - failed - skipped))
        FAILED=$((FAILED + failed))
        SKIPPED=$((SKIPPED + skipped))
}

# build NAME ARGS...: configures and builds build/NAME; a failure counts as a failed test.
build() {
        local name=$1
        shift
        local dir="$ROOT/build/$name"
        echo "==> $name: configure $*"
        if ! cmake -S "$ROOT" -B "$dir" -DNF_WERROR=ON "$@" >"$dir.configure.log" 2>&1; then
                cat "$dir.configure.log"
                echo "$name: configure failed"
                FAILED=$((FAILED + 1))
                return 1
        fi
        echo "==> $name: build"
        if ! cmake --build "$dir" -j "$JOBS" >"$dir.build.log" 2>&1; then
                grep -E 'error|warning' "$dir.build.log" | head -n 40
                echo "$name: build failed (see $dir.build.log)"
                FAILED=$((FAILED + 1))
                return 1
        fi
}

mkdir -p build
# 1. The build as shipped: every layer, the E2E one skipping with a reason where the
#    machine cannot boot it.
if build default -DCMAKE_BUILD_TYPE=RelWithDebInfo; then
        run_ctest default build/default
fi
# 2. The same sources optimised by clang: its warnings, and the unit tests it builds.
if command -v clang >/dev/null; then
        if build clang -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo; then
                run_ctest clang build/clang -L unit
        fi
else
        echo "==> clang: skipped, clang is not installed"
fi
# 3. ASan+UBSan over unit and integration tests, unoptimised (the E2E guests are not
#    built with it).
if build sanitize -DNF_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug; then
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
                run_ctest sanitize build/sanitize -LE e2e
fi
# 4. valgrind over the unit tests of the plain build, and the daemon under valgrind
#    through the integration tests that exercise its request and reload paths.
if [ -d build/default ] && command -v valgrind >/dev/null; then
        NF_DAEMON_WRAPPER="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite -q" \
                run_ctest valgrind-daemon build/default -R '^it_(status|reload|badinput|cli)$'
        run_ctest valgrind build/default -L unit \
                --overwrite MemoryCheckCommand="$(command -v valgrind)" \
                --overwrite MemoryCheckCommandOptions="--error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
                -T memcheck
fi

# 5. ThreadSanitizer over the tests whose daemon runs migrate calls on its worker thread.
if command -v clang >/dev/null; then
        if build tsan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
                -DCMAKE_C_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread; then
                TSAN_OPTIONS=halt_on_error=1 run_ctest tsan build/tsan -R '^test_mover$'
        fi
else
        echo "==> tsan: skipped, clang is not installed"
fi

# 6. The libFuzzer harnesses, NF_FUZZ_SECONDS each, where clang can build them (-O0,
#    so clang's unoptimised build is warning-free too).
if command -v clang >/dev/null; then
        if build fuzz -DCMAKE_C_COMPILER=clang -DNF_FUZZ=ON -DNF_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug; then
                run_ctest fuzz build/fuzz -L fuzz
        fi
else
        echo "==> fuzz: skipped, clang is not installed"
fi

echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]

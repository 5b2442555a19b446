# SPDX-License-Identifier: Apache-2.0
# harness.sh - what the command-line test scripts (test_cli.sh, test_board.sh, test_live.sh,
# test_faults.sh, test_models.sh) share: the sanitizer options (sanitizers.sh), counters,
# cmocka-style result lines that tests/run-c-tests.sh counts, `check` on a command's exit
# code and stderr lines, and the closing summary. Sourced from the repository root with $T
# set to the script's temporary directory; CHECK_TIMEOUT (seconds, default none) bounds each
# command.

. tests/c/sanitizers.sh

n_pass=0
n_fail=0
n_skip=0
failed=()
pass() { n_pass=$((n_pass + 1)); echo "[       OK ] $1"; }
fail() { n_fail=$((n_fail + 1)); failed+=("$1"); echo "[  FAILED  ] $1: $2"; }
skip() { n_skip=$((n_skip + 1)); echo "[  SKIPPED ] $1: $2"; }

# check NAME WANT_RC WANT_STDERR_LINES CMD...: runs CMD (stdin /dev/null), compares its exit
# code and the number of lines it wrote to stderr (-1: any); a one-line error must not be
# empty. stdout goes to $T/out, stderr to $T/err.
check() {
    local name=$1 want_rc=$2 want_lines=$3
    shift 3
    if [ -n "${CHECK_TIMEOUT:-}" ]; then
        timeout "$CHECK_TIMEOUT" "$@" >"$T/out" 2>"$T/err" </dev/null
    else
        "$@" >"$T/out" 2>"$T/err" </dev/null
    fi
    local rc=$? lines
    lines=$(wc -l <"$T/err")
    if [ "$rc" -ne "$want_rc" ]; then
        fail "$name" "exit $rc, expected $want_rc; stderr: $(head -c 400 "$T/err")"
    elif [ "$want_lines" -ge 0 ] && [ "$lines" -ne "$want_lines" ]; then
        fail "$name" "$lines stderr lines, expected $want_lines: $(head -c 400 "$T/err")"
    elif [ "$want_lines" -eq 1 ] && [ ! -s "$T/err" ]; then
        fail "$name" "empty error message"
    else
        pass "$name"
        return 0
    fi
    return 1
}

# out_has NAME REGEX...: the last command's stdout has a line matching each REGEX
out_has() {
    local name=$1
    shift
    for re in "$@"; do
        if ! grep -q -- "$re" "$T/out"; then
            fail "$name" "no line matching '$re' in: $(head -c 400 "$T/out")"
            return 1
        fi
    done
    pass "$name"
}

# usage_error NAME CMD...: exit 1 with exactly one stderr line
usage_error() { check "$1" 1 1 "${@:2}"; }

# need_built SCRIPT BINARY...: stops the suite with one failure when a binary is not built
need_built() {
    local script=$1 b
    shift
    for b in "$@"; do
        if [ ! -x "$b" ]; then
            echo "$script: $b not built (make $b)" >&2
            echo "[  FAILED  ] 1 test(s), listed below:"
            exit 1
        fi
    done
}

# summary WHAT: the closing lines; exits 1 when a test failed
summary() {
    echo "[==========] $1: $n_pass passed, $n_fail failed, $n_skip skipped."
    if [ "$n_skip" -gt 0 ]; then
        echo "[  SKIPPED ] $n_skip test(s)."
    fi
    echo "[  PASSED  ] $n_pass test(s)."
    if [ "$n_fail" -gt 0 ]; then
        echo "[  FAILED  ] $n_fail test(s), listed below:"
        for f in "${failed[@]}"; do echo "[  FAILED  ] $f"; done
        exit 1
    fi
    exit 0
}

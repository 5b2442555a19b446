# SPDX-License-Identifier: Apache-2.0
# sanitizers.sh - the ASan / UBSan settings every C test runs with, sourced (from the
# repository root) by tests/run-c-tests.sh and tests/c/harness.sh: a leak or a UBSan report
# fails the command with an exit code no test expects (86 ASan, 87 UBSan; their default, 1,
# is a usage error). A caller's own options come after these and win; sourcing this again
# changes nothing.
case ":${ASAN_OPTIONS:-}:" in
*:exitcode=86:*) ;;
*) export ASAN_OPTIONS="detect_leaks=1:exitcode=86${ASAN_OPTIONS:+:$ASAN_OPTIONS}" ;;
esac
case ":${UBSAN_OPTIONS:-}:" in
*:exitcode=87:*) ;;
*) export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" ;;
esac

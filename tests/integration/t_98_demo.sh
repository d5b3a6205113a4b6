# make demo: both scripts parse, and the local story runs to its end, also
# as the fallback of `scripts/demo` for a user who cannot boot a host.  The
# booted story itself is left to `make demo`: the system layer already boots
# a host with the same harness (tests/system/lib.sh).
section "make demo"
expect_exit 0 "scripts/demo parses (bash -n)" bash -n scripts/demo
expect_exit 0 "scripts/demo-local parses (bash -n)" bash -n scripts/demo-local
expect_output "the local demo tells the story: refused, let in, refused after expiry, done" \
    'refused.*let in.*expired.*refused.*Done\.' env DEMO_PACE=0 scripts/demo-local "$BUILD"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp "$@"; }
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null && as_nobody test -x "$BUILD/jitd" 2>/dev/null; then
    # make stays quiet as another user when the build is up to date.
    expect_output "scripts/demo as a user says it cannot boot a host, then tells the local story" \
        'cannot boot a host here: it needs root.*let in.*Done\.' \
        as_nobody DEMO_PACE=0 scripts/demo "$BUILD"
else
    skip "scripts/demo as a user falls back to the local story" "needs root, setpriv, and a tree that user nobody can read"
fi

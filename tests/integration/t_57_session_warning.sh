# The warning before the end reaches the session's terminal (a pty that
# script(1) owns here, as sshd's pty would) and the journal.
source tests/integration/session_lib.sh

section "sessions: warning on the terminal before the end"
if ! command -v script >/dev/null; then
    skip "warning on the terminal" "script(1) is not installed"
else
    new_session_world 3s
    start_jitd
    jitctl grant deploy --service sshd --for 5s --reason "warn me" >/dev/null
    LD_PRELOAD=$PAM_WRAPPER_LIB PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$PAMDIR \
        script -qfec "exec '$SESSION_HOST' -p '$WORLD/W.pid' -u $TEST_UID sshd deploy -- sleep 300" \
        "$WORLD/typescript" </dev/null >/dev/null 2>&1 &
    SCRIPT_PID=$!
    for _ in $(seq 60); do grep -q 'jit: access for deploy' "$WORLD/typescript" 2>/dev/null && break; sleep 0.1; done
    expect_output "the notice reached the session's terminal" "\*\*\* jit: access for deploy \(sshd\) ends at .* UTC" \
        cat "$WORLD/typescript"
    expect_log "journal: the warning and the terminal it reached" "warned: it ends in [0-9]s \(on /dev/pts/[0-9]+\)"
    W_CHILD=$(cat "$WORLD/W.pid" 2>/dev/null)
    if wait_gone "$W_CHILD" 6000 >/dev/null; then pass "the warned session still ends at not_after"
    else fail "the warned session still ends at not_after"; fi
    kill "$SCRIPT_PID" 2>/dev/null
    wait "$SCRIPT_PID" 2>/dev/null
    end_world
fi

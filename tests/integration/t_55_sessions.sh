# Live sessions end with their grant: recorded at open and close, ended
# within 2 s of expiry or revocation by signals (logind does not run here),
# SIGKILL for what ignores SIGTERM, refused sessions ended, overlap-safe,
# and still ended after a jitd restart.
source tests/integration/session_lib.sh

section "sessions: recorded at open and close; fail closed at open"
new_session_world
start_jitd
jitctl grant deploy --service sshd --for 10m --reason "sessions" >/dev/null
expect_exit 0 "PAM: account, open_session and close_session for a granted account" \
    pam_session sshd deploy acct_mgmt open_session close_session
ID=$(jitctl --json sessions --all | jq -r '.sessions[0].id')
expect_output "jitctl sessions --all: the session is recorded as closed" "^closed$" session_field "$ID" state
expect_output "... under the grant that admitted it" "^$(grant_field id)$" session_field "$ID" grant_id
# jitd ends a refused session before it answers, so the PAM process itself
# (here pamtester, in production sshd's) is terminated: exit 143 = SIGTERM.
expect_exit 143 "PAM: open_session of a managed account without a grant is refused and its process ended" \
    pam_session sshd backup open_session
expect_output "... and recorded as refused" "refused" jitctl sessions --all --user backup
stop_jitd TERM
expect_exit 0 "PAM: unmanaged alice opens a session with jitd down (PAM_IGNORE)" \
    pam_session sshd alice open_session close_session
expect_exit 1 "PAM: managed deploy cannot open a session with jitd down" \
    pam_session sshd deploy open_session
end_world

section "sessions: ended within 2 s of expiry, and on revoke"
new_session_world
start_jitd
jitctl grant deploy --service sshd --for 3s --reason "short" >/dev/null
NOT_AFTER_MS=$(($(date -d "$(grant_field not_after)" +%s) * 1000))
start_session A -u "$TEST_UID" sshd deploy -- sleep 300
if alive "$CHILD_PID_A" && [[ $(stat -c %u "/proc/$CHILD_PID_A") == "$TEST_UID" ]]; then
    pass "a session's command runs as uid $TEST_UID"
else
    fail "a session's command runs as uid $TEST_UID" "$(cat "$WORLD/A.log")"
fi
if gone_at=$(wait_gone "$CHILD_PID_A" 8000); then
    lag=$((gone_at - NOT_AFTER_MS))
    if ((lag >= 0 && lag < 2000)); then pass "its command ended ${lag} ms after not_after (< 2000)"
    else fail "its command ended within 2 s of not_after" "${lag} ms"; fi
else
    fail "its command ended within 2 s of not_after" "still running"
fi
if wait_gone "$HOST_PID_A" 1000 >/dev/null; then pass "the PAM process (the sshd stand-in) ended too"
else fail "the PAM process (the sshd stand-in) ended too"; fi
expect_log "journal: jitd says why it ended the session" "session s-[0-9a-z]{8} of deploy on sshd ended: no grant covers it"
kill_hosts

jitctl grant deploy --service sshd --for 10m --reason "revoke me" >/dev/null
start_session B -u "$TEST_UID" sshd deploy -- sleep 300
start=$(now_ms)
jitctl revoke --user deploy --reason "incident" >/dev/null
if gone_at=$(wait_gone "$CHILD_PID_B" 2000); then pass "revoke ends the session at once ($((gone_at - start)) ms)"
else fail "revoke ends the session at once" "still running after 2 s"; fi
kill_hosts

jitctl grant deploy --service sshd --for 2s --reason "stubborn" >/dev/null
start_session C -u "$TEST_UID" sshd deploy -- sh -c 'trap "" TERM; while :; do sleep 0.1; done'
if gone_at=$(wait_gone "$CHILD_PID_C" 6000); then pass "a command that ignores SIGTERM is killed after the grace period"
else fail "a command that ignores SIGTERM is killed after the grace period" "still running"; fi
expect_log "journal: the SIGKILL escalation is recorded" "outlived SIGTERM and were sent SIGKILL"
kill_hosts
end_world

section "sessions: a refused session is ended even when the PAM caller goes on (sshd does)"
new_session_world
start_jitd
start_session R -n -k -u "$TEST_UID" sshd deploy -- sleep 300
if [[ -z $CHILD_PID_R ]] || wait_gone "$CHILD_PID_R" 2000 >/dev/null; then
    pass "jitd ended the session it refused"
else
    fail "jitd ended the session it refused" "command still running"
fi
expect_log "journal: the refusal" "session of deploy on sshd refused"
kill_hosts
end_world

section "sessions: overlap-safe"
new_session_world
start_jitd
jitctl grant deploy --service sshd --for 3s --reason "first" >/dev/null
FIRST=$(grant_field id)
start_session O -u "$TEST_UID" sshd deploy -- sleep 300
jitctl grant deploy --service sshd --for 10m --reason "second" >/dev/null
sleep 4.5
if alive "$CHILD_PID_O"; then pass "a session outlives its grant while another grant covers it"
else fail "a session outlives its grant while another grant covers it"; fi
OID=$(jitctl --json sessions | jq -r '.sessions[0].id')
SECOND=$(jitctl --json list | jq -r '.grants[0].id')
expect_output "... and is now tied to the covering grant" "^$SECOND$" session_field "$OID" grant_id
expect_log "journal: the session was kept" "kept: grant $FIRST no longer covers it, $SECOND does"
jitctl revoke "$SECOND" >/dev/null
if wait_gone "$CHILD_PID_O" 2000 >/dev/null; then pass "... and ends when the covering grant is revoked"
else fail "... and ends when the covering grant is revoked"; fi
kill_hosts
jitctl grant deploy --service sshd --for 2s --reason "sshd only" >/dev/null
jitctl grant deploy --service sudo --for 10m --reason "another service" >/dev/null
start_session P -u "$TEST_UID" sshd deploy -- sleep 300
if wait_gone "$CHILD_PID_P" 5000 >/dev/null; then pass "a grant for another service does not keep a session alive"
else fail "a grant for another service does not keep a session alive"; fi
kill_hosts
end_world

section "sessions: recorded before a jitd restart, still ended"
new_session_world
start_jitd
jitctl grant deploy --service sshd --for 3s --reason "across a restart" >/dev/null
start_session S -u "$TEST_UID" sshd deploy -- sleep 300
stop_jitd TERM
sleep 3.5
if alive "$CHILD_PID_S"; then pass "with jitd stopped, nothing ended the session yet"
else fail "with jitd stopped, nothing ended the session yet"; fi
start=$(now_ms)
start_jitd
if gone_at=$(wait_gone "$CHILD_PID_S" 2000); then pass "jitd ends it as it starts ($((gone_at - start)) ms)"
else fail "jitd ends it as it starts" "still running"; fi
kill_hosts
end_world

# Task-bound grants: --until-session-end ends the grant (and the sessions it
# alone covers) when its first session closes; --uses N admits N times,
# counted at the account check (every sudo runs it) or at a session open
# that no check preceded.
source tests/integration/session_lib.sh

section "task-bound: --until-session-end"
new_session_world
start_jitd
jitctl grant deploy --service sshd --for 1h --until-session-end --reason "one task" >/dev/null
ID=$(grant_field id)
expect_output "jitctl list shows the grant as task-bound" "until session end" jitctl list
start_session LONG -u "$TEST_UID" sshd deploy -- sleep 300
start_session SHORT -u "$TEST_UID" sshd deploy -- sleep 0.5
wait "$HOST_PID_SHORT"
for _ in $(seq 20); do [[ $(jitctl --json list --all | jq -r ".grants[] | select(.id == \"$ID\") | .state") == expired ]] && break; sleep 0.05; done
expect_output "the grant ended when its first session closed" "^expired$" \
    bash -c "$(declare -f jitctl); JITCTL=$JITCTL SOCK=$SOCK; jitctl --json list --all | jq -r '.grants[] | select(.id == \"$ID\") | .state'"
expect_exit 1 "PAM: the account is refused afterwards" pam deploy sshd
if wait_gone "$CHILD_PID_LONG" 2000 >/dev/null; then pass "the other session it covered was ended with it"
else fail "the other session it covered was ended with it"; fi
expect_log "journal: the grant's end names the session" "expired: its session s-[0-9a-z]{8} closed"
kill_hosts
end_world

section "task-bound: --uses N"
new_session_world
start_jitd
jitctl grant deploy --service sshd,sudo --for 1h --uses 3 --reason "three uses" >/dev/null
expect_exit 0 "use 1: an account check (each sudo runs one)" pam deploy sudo
expect_exit 0 "use 2: an account check, then its session open (one use, not two)" \
    pam_session sshd deploy acct_mgmt open_session close_session
expect_output "two of three uses are spent" '"uses_left": ?1' bash -c "'$JITCTL' --socket '$SOCK' --json list"
expect_exit 0 "use 3: a session open that no check preceded counts itself" pam_session sudo deploy open_session
expect_exit 1 "a fourth account check is refused" pam deploy sudo
expect_output "... with the reason" "no use left" bash -c "'$JITCTL' --socket '$SOCK' check deploy sudo"
start_session U -u "$TEST_UID" sshd deploy -- sleep 300
if [[ -z $CHILD_PID_U ]] || ! alive "$CHILD_PID_U"; then pass "a fourth session is refused and ended"
else fail "a fourth session is refused and ended" "its command runs"; fi
kill_hosts
jitctl grant backup --service sshd --for 1h --uses 1 --reason "one login" >/dev/null
start_session V -u "$TEST_UID" sshd backup -- sleep 300
sleep 0.5
if alive "$CHILD_PID_V"; then pass "the session admitted by the last use stays open"
else fail "the session admitted by the last use stays open"; fi
kill_hosts
end_world

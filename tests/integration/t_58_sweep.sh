# jit-sweep, the backstop: with jitd SIGSTOPped, killed or cleanly stopped it
# reads the state read-only and ends sessions whose grants are over; it
# leaves covered sessions alone, writes nothing and is idempotent.
source tests/integration/session_lib.sh

sweep() { "$JIT_SWEEP" --state-dir "$STATE" --config "$CONF" --grace 1; }

section "jit-sweep: ends sessions while jitd is SIGSTOPped"
new_session_world
start_jitd
jitctl grant deploy --service sshd --for 2s --reason "sweep" >/dev/null
start_session A -u "$TEST_UID" sshd deploy -- sleep 300
jitctl grant backup --service sshd --for 1h --reason "covered" >/dev/null
start_session K -u "$TEST_UID" sshd backup -- sleep 300
kill -STOP "$JITD_PID"
sleep 3
if alive "$CHILD_PID_A"; then pass "with jitd stopped, the expired session still runs"
else fail "with jitd stopped, the expired session still runs"; fi
expect_output "jit-sweep ends it" "1 ended" sweep
if [[ -n $CHILD_PID_A ]] && ! alive "$CHILD_PID_A"; then pass "... its command is gone"; else fail "... its command is gone"; fi
if alive "$CHILD_PID_K"; then pass "... the covered session is left alone"; else fail "... the covered session is left alone"; fi
expect_output "a second run does nothing (idempotent)" ", 0 ended" sweep
kill -CONT "$JITD_PID"
kill_hosts
end_world

section "jit-sweep: ends sessions after jitd was killed, or stopped cleanly"
new_session_world
start_jitd
jitctl grant deploy --service sshd --for 2s --reason "sweep" >/dev/null
start_session B -u "$TEST_UID" sshd deploy -- sleep 300
stop_jitd KILL
sleep 2.5
expect_output "jit-sweep ends it with jitd dead (kill -9)" "1 ended" sweep
if [[ -n $CHILD_PID_B ]] && ! alive "$CHILD_PID_B"; then pass "... its command is gone"; else fail "... its command is gone"; fi
kill_hosts
start_jitd
jitctl grant deploy --service sshd --for 2s --reason "sweep" >/dev/null
start_session C -u "$TEST_UID" sshd deploy -- sleep 300
stop_jitd TERM
sleep 2.5
if [[ ! -e $STATE/jit.db-wal ]]; then pass "a clean stop left no WAL file"; else fail "a clean stop left no WAL file"; fi
before=$(sha256sum "$STATE/jit.db" | cut -d' ' -f1)
expect_output "jit-sweep ends it with jitd stopped cleanly (no WAL file)" "1 ended" sweep
after=$(sha256sum "$STATE/jit.db" | cut -d' ' -f1)
if [[ -n $before && $before == "$after" ]]; then pass "jit-sweep left jit.db unchanged (it only reads)"
else fail "jit-sweep left jit.db unchanged (it only reads)"; fi
if [[ -n $CHILD_PID_C ]] && ! alive "$CHILD_PID_C"; then pass "... its command is gone"; else fail "... its command is gone"; fi
expect_exit 1 "jit-sweep fails (exit 1) on a state directory that is not jitd's" \
    "$JIT_SWEEP" --state-dir "$WORLD/nothing-here" --config "$CONF"
kill_hosts
end_world

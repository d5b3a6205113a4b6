# jit-sweep, the backstop: with jitd SIGSTOPped, killed or cleanly stopped it
# reads the state read-only and ends sessions whose grants are over; it
# leaves covered sessions alone, writes nothing without an audit log and is
# idempotent.  With an audit log, what it ends while jitd is down is a record
# in the log, and the chain verifies across it after jitd restarts; while
# jitd holds the log, the entry says it is not recorded.
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

section "jit-sweep: its entries are audit records when jitd is down"
# jit-sweep's entry is checked in the journal: journald runs before it sends.
ensure_journald || true
new_session_world
KEY=$WORLD/audit.key
"$JITD" --config "$CONF" --state-dir "$STATE" --audit-init "$KEY" >/dev/null
start_jitd
jitctl grant deploy --service sshd --for 2s --reason "sweep audited" >/dev/null
start_session D -u "$TEST_UID" sshd deploy -- sleep 300
kill -STOP "$JITD_PID"
sleep 2.5
# jitd alive but stuck holds the log: jit-sweep ends the session all the same.
expect_output "with jitd stopped (holding the log), jit-sweep still ends the session" "1 ended" \
    "$JIT_SWEEP" --state-dir "$STATE" --config "$CONF" --grace 1
# Its entry is journaled only, and says why: jitd's lock (EBUSY from the store).
why=
for _ in $(seq 50); do
    why=$(journalctl --no-pager -o json JIT_EVENT=sweep-end "JIT_SESSION_PID=$HOST_PID_D" |
        jq -r '.JIT_AUDIT // empty' | tail -1)
    [[ -n $why ]] && break
    sleep 0.1
done
if [[ $why == "not recorded: jitd holds the audit log" ]]; then
    pass "... its journal entry says it is not in the log because jitd holds the log"
else fail "jit-sweep's entry says jitd holds the audit log" "JIT_AUDIT=$why"; fi
kill -CONT "$JITD_PID"
jitctl grant deploy --service sshd --for 2s --reason "sweep audited 2" >/dev/null
start_session G -u "$TEST_UID" sshd deploy -- sleep 300
stop_jitd KILL
sleep 2.5
expect_output "with jitd dead, jit-sweep ends the session" "1 ended" \
    "$JIT_SWEEP" --state-dir "$STATE" --config "$CONF" --grace 1
start_jitd
jitctl audit export >"$WORLD/export.jsonl"
out=$("$JITCTL" audit verify --key "$KEY" "$WORLD/export.jsonl" 2>&1)
rc=$?
if [[ $rc -eq 0 && $out == *intact* ]]; then pass "after jitd restarts, the log verifies across jit-sweep's records"
else fail "the log verifies across jit-sweep's records" "exit $rc: $out"; fi
n=$(jq -r 'select(.event == "sweep-end") | .fields[] | select(.[0] == "JIT_SESSION_PID") | .[1]' \
    "$WORLD/export.jsonl" | wc -l)
if [[ $n -eq 1 ]]; then pass "... and holds the sweep-end record jit-sweep wrote with jitd down (1; none from the run jitd held)"
else fail "... and holds jit-sweep's one sweep-end record" "$n in $(wc -l <"$WORLD/export.jsonl") lines"; fi
jitctl grant backup --service sshd --for 1m --reason "after the sweep" >/dev/null
if jitctl audit export | "$JITCTL" audit verify --key "$KEY" - >/dev/null 2>&1; then
    pass "jitd's next record continues the chain after jit-sweep's"
else fail "jitd's next record continues the chain after jit-sweep's"; fi
kill_hosts
end_world

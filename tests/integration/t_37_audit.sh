# The tamper-evident audit log on a real jitd: every answered decision is in
# the log after kill -9 under load, and the log verifies with the auditor's
# key; with audit_durability = batched an answered decision is on disk a
# second later; a grant and a revoke carry their journal entries' fields; a full
# state filesystem denies managed accounts (audit_failure = deny) or lets
# them in loudly (= log), and jitd recovers when space returns; a changed
# row is caught by verify.

audit_world() {
    new_world
    sed -i 's|^\[jitd\]$|[jitd]\ncheckpoint_every = 200 records / 1m|' "$CONF"
    KEY=$WORLD/audit.key
}

export_verify() {  # export_verify NAME: jitctl audit export | jitctl audit verify --key
    local out rc
    out=$(jitctl audit export >"$WORLD/export.jsonl" && "$JITCTL" audit verify --key "$KEY" "$WORLD/export.jsonl" 2>&1)
    rc=$?
    if [[ $rc -eq 0 && $out == *"intact"* ]]; then pass "$1"; else fail "$1" "exit $rc: $out"; fi
}

section "audit: --audit-init"
audit_world
expect_output "jitd --audit-init writes the auditor's key and prints the verifier key" \
    "checkpoint verifier key: jitd/" "$JITD" --config "$CONF" --state-dir "$STATE" --audit-init "$KEY"
key_before=$(sha256sum <"$KEY")
expect_exit 1 "a second --audit-init is refused (the chain is never replaced)" \
    "$JITD" --config "$CONF" --state-dir "$STATE" --audit-init "$WORLD/other.key"
if [[ ! -e $WORLD/other.key && $(sha256sum <"$KEY") == "$key_before" ]]; then pass "... and writes no key"
else fail "... and writes no key" "a key file was written or changed"; fi
if [[ $(stat -c %a "$KEY") == 600 ]]; then pass "the key file is 0600"; else fail "the key file is 0600" "$(stat -c %a "$KEY")"; fi

section "audit: kill -9 under load keeps every answered decision"
start_jitd
jitctl grant deploy --service sshd --for 1h --reason "audit load" >/dev/null
# 8 clients, 400 checks each, every one from its own address; each client
# notes the addresses whose answer it received.
clients=()
for c in $(seq 8); do
    (for i in $(seq 400); do
        "$JITCTL" --socket "$SOCK" --timeout 2000 check deploy sshd --rhost "10.$c.$((i / 250)).$((i % 250))" >/dev/null 2>&1 &&
            echo "10.$c.$((i / 250)).$((i % 250))"
    done >"$WORLD/answered.$c") &
    clients+=($!)
done
for _ in $(seq 600); do
    [[ $(cat "$WORLD"/answered.* 2>/dev/null | wc -l) -ge 1200 ]] && break
    sleep 0.05
done
stop_jitd KILL
# Only the clients: a bare wait would also wait for a test journald started
# by an earlier scenario, which never exits.
wait "${clients[@]}"
answered=$(cat "$WORLD"/answered.* | wc -l)
if [[ $answered -ge 200 && $answered -lt 3200 ]]; then pass "jitd was killed mid-load ($answered of 3200 checks answered)"
else fail "jitd was killed mid-load" "$answered of 3200 answered"; fi
start_jitd
export_verify "after restart, export | verify --key: intact"
jq -r 'select(.event == "decision") | .fields[] | select(.[0] == "JIT_RHOST") | .[1]' \
    "$WORLD/export.jsonl" | sort -u >"$WORLD/recorded"
missing=$(cat "$WORLD"/answered.* | sort -u | comm -23 - "$WORLD/recorded" | wc -l)
if [[ $missing -eq 0 ]]; then pass "... and it holds every one of the $answered answered decisions"
else fail "... and it holds every answered decision" "$missing answered decision(s) missing"; fi
n=$(jq -s '[.[] | select(.checkpoint)] | length' "$WORLD/export.jsonl")
if [[ $n -ge 1 ]]; then pass "... with signed checkpoints along the way ($n)"; else fail "... with signed checkpoints" "$n"; fi

section "audit: a grant and a revoke carry their journal entries' fields"
if ! ensure_journald; then
    skip "audit and journal fields" "no journald socket and cannot start a standalone systemd-journald"
else
    ID=$(jitctl --json grant backup --service sshd,sudo --for 15m --reason "release 4.2" | jq -r '.grants[0].id')
    jitctl revoke "$ID" --reason "rollback" >/dev/null
    jitctl audit export >"$WORLD/export.jsonl"
    for ev in grant revoke; do
        for _ in $(seq 30); do
            journalctl --no-pager -o json "_PID=$JITD_PID" JIT_EVENT=$ev "JIT_GRANT_ID=$ID" | grep -q . && break
            sleep 0.1
        done
        journal=$(journalctl --no-pager -o json "_PID=$JITD_PID" JIT_EVENT=$ev "JIT_GRANT_ID=$ID" |
            jq -cS '[to_entries[] | select(.key | startswith("JIT_")) | select(.key != "JIT_EVENT")] | from_entries')
        seq=$(jq -r '.JIT_AUDIT_SEQ // empty' <<<"$journal")
        record=$(jq -cS --argjson seq "${seq:--1}" \
            'select(.seq == $seq) | (.seq | tostring) as $s | [.fields[] | select(.[0] | startswith("JIT_")) | {key: .[0], value: .[1]}] | from_entries + {JIT_AUDIT_SEQ: $s}' \
            "$WORLD/export.jsonl")
        if [[ -n $seq && -n $record && $journal == "$record" ]]; then
            pass "$ev: the record at JIT_AUDIT_SEQ $seq has the journal entry's fields"
        else
            fail "$ev: the record has the journal entry's fields" "journal $journal record $record"
        fi
    done
fi
stop_jitd TERM
end_world

section "audit: batched: a decision's record is written a moment after its answer"
# The record is made after the answer has gone (batched answers never wait):
# the short timer must still be armed for it, or it would wait in memory for
# the next state change and die with a kill -9.
audit_world
sed -i 's|^\[jitd\]$|[jitd]\naudit_durability = batched|' "$CONF"
"$JITD" --config "$CONF" --state-dir "$STATE" --audit-init "$KEY" >/dev/null
start_jitd
jitctl grant deploy --service sshd --for 1h --reason "batched" >/dev/null
expect_exit 0 "batched: deploy is allowed" jitctl check deploy sshd --rhost 192.0.2.77
sleep 1
stop_jitd KILL
start_jitd
export_verify "batched: after a kill -9 a second later, export | verify --key: intact"
if jq -e 'select(.event == "decision") | .fields[] | select(.[0] == "JIT_RHOST" and .[1] == "192.0.2.77")' \
    "$WORLD/export.jsonl" >/dev/null; then
    pass "... and the decision answered before it is in the log"
else
    fail "... and the decision answered before it is in the log" "no decision record for 192.0.2.77"
fi
stop_jitd TERM
end_world

section "audit: a full state filesystem"
if [[ $(id -u) -ne 0 ]]; then
    skip "audit on a full filesystem" "needs root to mount a tiny tmpfs for the state directory"
else
    audit_world
    mkdir -m 0700 "$WORLD/tiny"
    if ! mount -t tmpfs -o size=3m,mode=0700 jit-audit-tiny "$WORLD/tiny"; then
        skip "audit on a full filesystem" "cannot mount a tmpfs here"
    else
        STATE=$WORLD/tiny/state
        "$JITD" --config "$CONF" --state-dir "$STATE" --audit-init "$KEY" >/dev/null
        start_jitd
        jitctl grant deploy --service sshd --for 1h --reason "before the disk fills" >/dev/null
        expect_exit 0 "with room, deploy is allowed" pam deploy sshd
        dd if=/dev/zero of="$WORLD/tiny/filler" bs=4k 2>/dev/null
        denied=0
        for i in $(seq 300); do pam deploy sshd >/dev/null 2>&1 || { denied=1; break; }; done
        if [[ $denied == 1 ]]; then pass "audit_failure = deny: once the log cannot be written, deploy is denied (after $((i - 1)) that fitted)"
        else fail "audit_failure = deny: deploy is denied on a full disk" "300 checks allowed"; fi
        ok=0
        for _ in 1 2 3; do pam deploy sshd >/dev/null 2>&1 && ok=$((ok + 1)); done
        if [[ $ok == 0 ]]; then pass "... and every further check is denied"; else fail "... every further check is denied" "$ok of 3 allowed"; fi
        expect_log "... loudly: audit-failed names the reason and the policy" \
            "audit log cannot be written: .*managed accounts are denied"
        rm -f "$WORLD/tiny/filler"
        expect_exit 0 "space returns: deploy is allowed again" pam deploy sshd
        expect_log "... and jitd says the log is written again" "audit log is written again"

        sed -i 's/^\[jitd\]$/[jitd]\naudit_failure = log/' "$CONF"
        kill -HUP "$JITD_PID"
        sleep 0.5
        dd if=/dev/zero of="$WORLD/tiny/filler" bs=4k 2>/dev/null
        allowed=0
        for i in $(seq 40); do pam deploy sshd >/dev/null 2>&1 && allowed=$((allowed + 1)); done
        if [[ $allowed == 40 ]]; then pass "audit_failure = log: on the full disk deploy is still allowed (40 of 40)"
        else fail "audit_failure = log: deploy is allowed" "$allowed of 40"; fi
        expect_log "... with a loud entry saying answers go out unrecorded" \
            "audit log cannot be written: .*answers go out without their audit records"
        rm -f "$WORLD/tiny/filler"
        expect_exit 0 "space returns: allowed" pam deploy sshd
        stop_jitd TERM
        start_jitd
        export_verify "after the failures and a restart the log verifies"
        stop_jitd TERM
        umount "$WORLD/tiny"
    fi
    end_world
fi

section "audit: a changed row is caught"
audit_world
"$JITD" --config "$CONF" --state-dir "$STATE" --audit-init "$KEY" >/dev/null
start_jitd
for _ in $(seq 20); do jitctl check backup sshd >/dev/null 2>&1; done
stop_jitd TERM
expect_output "the table refuses an update" "append-only" \
    sqlite3 "$STATE/jit.db" "UPDATE audit_records SET at = 0 WHERE seq = 7"
sqlite3 "$STATE/jit.db" "DROP TRIGGER audit_records_append_only;
    UPDATE audit_records SET record = CAST(replace(CAST(record AS TEXT), 'deny backup', 'deny bakup') AS BLOB) WHERE seq = 7"
start_jitd
out=$(jitctl audit export | "$JITCTL" audit verify --key "$KEY" - 2>&1)
rc=$?
if [[ $rc -eq 1 && $out == *"record 7"* ]]; then pass "root dropping the trigger and changing record 7: verify fails and names it"
else fail "verify catches a changed row" "exit $rc: $out"; fi
stop_jitd TERM
end_world

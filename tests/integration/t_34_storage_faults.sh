# Storage faults: fsync failing with EIO (a test-only LD_PRELOAD shim) and a
# state directory on a tiny filesystem that fills up.  The operation fails
# loudly, nothing is granted, a failed sync is never taken for a good one,
# and jitd recovers once the fault is gone.
FAULT_SO=$PWD/$BUILD/tests/faults/fsync_fault.so

# start_faulty_jitd MATCH: jitd under the shim; faults only on paths with MATCH.
start_faulty_jitd() {
    "$JITD" --socket "$SOCK" --state-dir "$STATE" --config "$CONF" >>"$WORLD/jitd.log" 2>&1 &
    JITD_PID=$!
    for _ in $(seq 100); do
        [[ -S $SOCK ]] && jitctl status >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    return 1
}

section "storage faults: fsync fails with EIO"
if [[ ! -f $FAULT_SO ]]; then
    fail "fsync EIO injection" "$FAULT_SO is not built (make integration builds it)"
else
    new_world
    export JIT_FAULT_FLAG=$WORLD/fault
    LD_PRELOAD=$FAULT_SO JIT_FAULT_MATCH=jit.db start_faulty_jitd
    jitctl grant deploy --service sshd --for 10m --reason before >/dev/null
    touch "$JIT_FAULT_FLAG"
    expect_exit 6 "a grant while the database's fsync fails is refused" \
        jitctl grant backup --service sshd --for 10m --reason "during the fault"
    if [[ -s $JIT_FAULT_FLAG.count ]]; then pass "... the fault was really injected ($(wc -c <"$JIT_FAULT_FLAG.count") failed syncs)"
    else fail "... the fault was really injected" "no fsync was failed"; fi
    expect_exit 1 "... and nothing is granted: PAM refuses backup" pam backup sshd
    expect_log "... loudly: a store-failed entry with SQLite's reason" \
        "cannot store grant for backup: .*(I/O|disk)"
    expect_exit 0 "the grant made before the fault still holds" pam deploy sshd
    rm -f "$JIT_FAULT_FLAG"
    expect_exit 0 "once the fault is gone, a grant succeeds" \
        jitctl grant backup --service sshd --for 10m --reason "after the fault"
    expect_exit 0 "... and PAM allows it" pam backup sshd
    stop_jitd KILL
    start_jitd
    expect_exit 0 "after kill -9 and a restart, acknowledged grants hold" pam backup sshd
    n=$("$JITCTL" --socket "$SOCK" --json list --all | jq '[.grants[] | select(.reason == "during the fault")] | length')
    if [[ $n == 0 ]]; then pass "... and the one refused during the fault is not there"
    else fail "... and the one refused during the fault is not there" "$n such grant(s)"; fi
    stop_jitd TERM

    # The mark's own sync failing after the revoke has committed: the revoke
    # is in jit.db and in force at once, but not acknowledged as durable
    # ("committed but not durable", journaled at crit), and no later write
    # commits until jitd restarts (the failed fsync is not retried as if it
    # had succeeded).
    : >"$JIT_FAULT_FLAG.count"
    # journald runs before jitd does, so the crit entry has somewhere to go.
    ensure_journald || true
    LD_PRELOAD=$FAULT_SO JIT_FAULT_MATCH=jit.hwm start_faulty_jitd
    touch "$JIT_FAULT_FLAG"
    out=$(jitctl revoke --user deploy 2>&1)
    rc=$?
    if [[ $rc == 6 ]]; then pass "a revoke whose high-water mark cannot be synced is not acknowledged (exit 6)"
    else fail "a revoke whose high-water mark cannot be synced is not acknowledged" "exit $rc: $out"; fi
    if [[ $out =~ "committed but not durable" ]]; then pass "... its error says committed but not durable"
    else fail "... its error says committed but not durable" "$out"; fi
    if [[ -s $JIT_FAULT_FLAG.count ]]; then pass "... the fault was really injected on jit.hwm"
    else fail "... the fault was really injected on jit.hwm" "no fsync was failed"; fi
    expect_log "... and journaled (store-failed, at crit)" \
        "end of grant g-[0-9a-z]{8} committed but not durable: cannot write the high-water mark"
    if ensure_journald; then
        # journald files a datagram a moment after jitd sends it: ask until it is there.
        for _ in $(seq 50); do
            journalctl --no-pager -o json "_PID=$JITD_PID" JIT_EVENT=store-failed | grep -q . && break
            sleep 0.1
        done
        expect_output "... at priority crit in the journal" '"PRIORITY":"2"' \
            bash -c "journalctl --no-pager -o json _PID=$JITD_PID JIT_EVENT=store-failed | tail -1"
    fi
    expect_exit 1 "... and the revocation is in force at once: PAM refuses deploy" pam deploy sshd
    rm -f "$JIT_FAULT_FLAG"
    n_syncs=$(wc -c <"$JIT_FAULT_FLAG.count")
    expect_output "... with the fault gone, writes are refused until restart" \
        "writes refused until jitd restarts" \
        jitctl grant deploy --service sudo --for 10m --reason "after a failed mark"
    if [[ $(wc -c <"$JIT_FAULT_FLAG.count") == "$n_syncs" ]]; then pass "... without another sync of the mark"
    else fail "... without another sync of the mark" "$n_syncs then $(wc -c <"$JIT_FAULT_FLAG.count")"; fi
    expect_exit 1 "... while checks still answer (deploy on sudo: denied)" pam deploy sudo
    expect_exit 0 "... and backup's grant still holds" pam backup sshd
    stop_jitd TERM
    unset JIT_FAULT_FLAG
    start_jitd
    expect_exit 1 "after a restart the committed revoke holds" pam deploy sshd
    n=$("$JITCTL" --socket "$SOCK" --json list --all | jq '[.grants[] | select(.reason == "after a failed mark")] | length')
    if [[ $n == 0 ]]; then pass "... and the write refused after the failed mark is not there"
    else fail "... and the write refused after the failed mark is not there" "$n such grant(s)"; fi
    expect_exit 0 "... and jitd writes again" \
        jitctl grant deploy --service sudo --for 10m --reason "after restart"
    end_world
fi

section "storage faults: a filesystem that fills up"
if [[ $(id -u) -ne 0 ]]; then
    skip "full filesystem" "needs root to mount a tiny tmpfs for the state directory"
else
    new_world
    mkdir -m 0700 "$WORLD/tiny"
    if ! mount -t tmpfs -o size=2m,mode=0700 jit-tiny "$WORLD/tiny"; then
        skip "full filesystem" "cannot mount a tmpfs here"
    else
        STATE=$WORLD/tiny/state
        start_jitd
        jitctl grant deploy --service sshd --for 10m --reason "fits" >/dev/null
        # Fill what is left, then free a little less than a WAL frame.
        dd if=/dev/zero of="$WORLD/tiny/filler" bs=4k 2>/dev/null
        ok=0
        for i in $(seq 20); do
            jitctl grant backup --service sshd --for 10m --reason "$(printf 'x%.0s' $(seq 200)) $i" >/dev/null 2>&1 || { ok=1; break; }
        done
        if [[ $ok == 1 ]]; then pass "on a full filesystem a grant fails (after $((i - 1)) that still fitted in free pages)"
        else fail "on a full filesystem a grant fails" "20 grants succeeded"; fi
        before=$("$JITCTL" --socket "$SOCK" --json list | jq '.grants | length')
        expect_exit 6 "... every further grant fails too" jitctl grant backup --service sudo --for 10m --reason full
        after=$("$JITCTL" --socket "$SOCK" --json list | jq '.grants | length')
        if [[ $before == "$after" ]]; then pass "... and nothing is granted by a failed one ($after grants)"
        else fail "... and nothing is granted by a failed one" "$before then $after"; fi
        expect_exit 1 "... PAM refuses backup on sudo" pam backup sudo
        expect_exit 0 "... the grant made before still holds" pam deploy sshd
        rm -f "$WORLD/tiny/filler"
        expect_exit 0 "with space again, a grant succeeds" jitctl grant backup --service sudo --for 10m --reason room
        expect_exit 0 "... and PAM allows it" pam backup sudo
        stop_jitd KILL
        start_jitd
        expect_exit 0 "after kill -9 and a restart on the same filesystem, it holds" pam backup sudo
        stop_jitd TERM
        umount "$WORLD/tiny"
    fi
    end_world
fi

# Every decision, grant, revocation and expiry is one structured journald
# entry; user text cannot forge a field.
section "journald entries"
if ! ensure_journald; then
    skip "journald" "no journald socket and cannot start a standalone systemd-journald (needs root)"
else
    new_world
    start_jitd
    J() { journalctl --no-pager -o json "_PID=$JITD_PID" "$@"; }
    jitctl check deploy sshd >/dev/null
    # No grant yet: the honest answer is deny, whatever the rhost claims.
    jitctl check deploy sshd --rhost $'10.0.0.9\nJIT_DECISION=allow' >/dev/null
    jitctl grant deploy --service sshd,sudo --for 15m --reason "release 4.2" >/dev/null
    ID=$(grant_field id)
    jitctl check deploy sshd --rhost 10.0.0.7 --tty ssh --ruser ci >/dev/null
    jitctl revoke "$ID" --reason "rollback" >/dev/null
    # Take the id from the grant's own answer: a 1s grant may be over by the
    # time a list would run.
    ID2=$(jitctl --json grant deploy --service sshd --for 1s --reason "brief" | jq -r '.grants[0].id')
    sleep 1.5
    for _ in $(seq 30); do [[ $(J JIT_EVENT=expire | wc -l) -ge 1 ]] && break; sleep 0.1; done

    expect_output "deny decision: MESSAGE_ID, fields" \
        '"MESSAGE_ID":"f8890bfe550343f0b368de205c0012e5".*' \
        bash -c "journalctl --no-pager -o json _PID=$JITD_PID JIT_EVENT=decision JIT_DECISION=deny JIT_USER=deploy JIT_SERVICE=sshd | head -1"
    expect_output "allow decision: grant id, rhost, tty, ruser, rule" \
        "\"JIT_GRANT_ID\":\"$ID\"" bash -c "journalctl --no-pager -o json _PID=$JITD_PID JIT_DECISION=allow JIT_RHOST=10.0.0.7 JIT_TTY=ssh JIT_RUSER=ci JIT_RULE=grant"
    expect_output "grant entry: id, reason, requester, window" \
        "\"JIT_REASON\":\"release 4.2\"" bash -c "journalctl --no-pager -o json _PID=$JITD_PID JIT_EVENT=grant JIT_GRANT_ID=$ID JIT_REQUESTER=0 JIT_SERVICE=sshd,sudo"
    expect_output "revoke entry" '"MESSAGE":"grant g-[0-9a-z]{8} for deploy revoked by uid 0: rollback"' \
        bash -c "journalctl --no-pager -o json _PID=$JITD_PID JIT_EVENT=revoke JIT_GRANT_ID=$ID"
    expect_output "expire entry from the timer" '"JIT_EVENT":"expire"' \
        bash -c "journalctl --no-pager -o json _PID=$JITD_PID JIT_EVENT=expire JIT_GRANT_ID=$ID2"
    forged=$(J JIT_DECISION=allow | jq -c 'select((.JIT_RHOST|tostring)|test("10.0.0.9"))' | wc -l)
    injected=$(J JIT_EVENT=decision JIT_DECISION=deny | jq -c 'select(.JIT_RHOST == "10.0.0.9\nJIT_DECISION=allow")' | wc -l)
    if [[ $forged -eq 0 && $injected -eq 1 ]]; then pass "a newline in rhost cannot forge JIT_DECISION"
    else fail "a newline in rhost cannot forge JIT_DECISION" "forged=$forged injected-deny-entries=$injected"; fi
    expect_output "MESSAGE escapes the newline" 'from 10.0.0.9\\\\x0aJIT_DECISION=allow' \
        bash -c "journalctl --no-pager -o json _PID=$JITD_PID JIT_EVENT=decision | grep 10.0.0.9"
    end_world
fi

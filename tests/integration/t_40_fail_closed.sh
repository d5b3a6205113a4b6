# Every way jitd can be missing or broken denies managed accounts, fast, and
# never touches unmanaged ones.
section "fail closed"
PAM_TIMEOUT_MS=500
new_world
start_jitd
jitctl grant deploy --service sshd --for 10m --reason "fail closed" >/dev/null
expect_exit 0 "PAM: allowed while jitd answers" pam deploy sshd

kill -STOP "$JITD_PID"
start=$(now_ms)
expect_exit 1 "PAM: denied while jitd is SIGSTOPped" pam deploy sshd
elapsed=$(($(now_ms) - start))
if ((elapsed < 1500)); then pass "PAM: SIGSTOPped jitd denied within the deadline (${elapsed} ms, timeout_ms=500)"
else fail "PAM: SIGSTOPped jitd denied within the deadline" "${elapsed} ms"; fi
expect_exit 0 "PAM: unmanaged alice still passes while jitd hangs" pam alice sshd
kill -CONT "$JITD_PID"
expect_exit 0 "PAM: allowed again once jitd resumes" pam deploy sshd
# The check PAM gave up on was still queued: jitd answers it on resuming and
# journals an allow for a login that was refused, then says it never arrived.
for _ in $(seq 30); do grep -q 'was not delivered' "$WORLD/jitd.log" && break; sleep 0.1; done
expect_log "journal: the allow for the refused login is marked as never delivered" \
    "the reply to a check \(request [0-9]+\) from uid $(id -u) \(pid [0-9]+\) was not delivered: Broken pipe; the caller decided without it"

stop_jitd TERM
start=$(now_ms)
expect_exit 1 "PAM: denied when jitd is not running" pam deploy sshd
elapsed=$(($(now_ms) - start))
if ((elapsed < 1000)); then pass "PAM: absent jitd denied fast (${elapsed} ms)"
else fail "PAM: absent jitd denied fast" "${elapsed} ms"; fi
expect_exit 0 "PAM: unmanaged alice passes with jitd down" pam alice sshd
expect_exit 3 "jitctl: exit 3 when jitd is unreachable" jitctl status

: >"$SOCK"
expect_exit 1 "PAM: denied when the socket path is a regular file" pam deploy sshd
rm -f "$SOCK"
unset PAM_TIMEOUT_MS
end_world

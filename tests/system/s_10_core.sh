# The core on a real host: sshd's account phase and sudo's PAM stack through
# pam_jit.so, jitd under socket activation, journald.

section "accounts"
add_ssh_user deploy -G jit-managed
add_ssh_user admin -G sudo
in_host_sh "echo 'deploy ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/deploy && chmod 0440 /etc/sudoers.d/deploy"
in_host_sh "echo 'admin ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/admin && chmod 0440 /etc/sudoers.d/admin"
expect_ok "jitd answers through socket activation" in_host jitctl status

section "1-2. no grant: refused; humans untouched"
expect_refused "ssh deploy@host is refused without a grant (valid key)" ssh_as deploy true
expect_ok "the refusal is journaled as JIT_DECISION=deny for sshd" \
    bash -c "$(declare -f in_host journal_json); HOST_PID=$HOST_PID; journal_json JIT_DECISION=deny JIT_USER=deploy JIT_SERVICE=sshd | grep -q MESSAGE_ID"
expect_ok "ssh admin@host (unmanaged) logs in normally" ssh_as admin true
expect_ok "admin's sudo is untouched" ssh_as admin sudo -n true

section "4. a grant: let in, sudo allowed"
in_host jitctl grant deploy --service sshd,sudo --for 10m --reason "system test" >/dev/null
GRANT=$(in_host jitctl --json list | sed -n 's/.*"id":"\(g-[0-9a-z]*\)".*/\1/p' | head -1)
expect_ok "ssh deploy@host works during the grant" ssh_as deploy true
expect_ok "sudo -n true as deploy works during a sudo grant" ssh_as deploy sudo -n true
in_host jitctl grant deploy --service sshd --for 10m --reason "ssh only" >/dev/null
in_host jitctl revoke "$GRANT" --reason "narrow to ssh" >/dev/null
expect_ok "with only an sshd grant, deploy still logs in" ssh_as deploy true
expect_refused "... but sudo is refused: no grant names sudo" ssh_as deploy sudo -n true
in_host jitctl revoke --user deploy >/dev/null

section "5. expiry: new ssh refused, the next sudo refused even with sudo's cached credentials"
# deploy's sudo now needs its password, so sudo keeps a timestamp: within
# its window sudo skips authentication, but it must still ask PAM's account
# phase, and so pam_jit, every time.
in_host_sh "echo 'deploy ALL=(ALL) ALL' > /etc/sudoers.d/deploy && echo 'deploy:jit-test-pw' | chpasswd"
in_host jitctl grant deploy --service sshd --for 5m --reason "ssh for the sudo test" >/dev/null
in_host jitctl grant deploy --service sudo --for 10m --reason "sudo, long" >/dev/null
expect_ok "control: inside a sudo grant, the cached timestamp lets 'sudo -n' through" \
    ssh_tty_as deploy 'echo jit-test-pw | sudo -S -p "" -v && sudo -n true'
SUDO_GRANT=$(in_host jitctl --json list | sed 's/},{/}\n{/g' | grep '"services":\["sudo"\]' | sed -n 's/.*"id":"\(g-[0-9a-z]*\)".*/\1/p')
in_host jitctl revoke "$SUDO_GRANT" >/dev/null
in_host jitctl grant deploy --service sudo --for 4s --reason "sudo, short" >/dev/null
out=$(ssh_tty_as deploy 'echo jit-test-pw | sudo -S -p "" -v && echo cached; sleep 5; sudo -n true && echo SECOND-SUDO-ALLOWED' 2>&1)
if [[ $out == *cached* && $out != *SECOND-SUDO-ALLOWED* ]]; then
    pass "the next sudo after the grant ended is refused inside sudo's credential-cache window"
else
    fail "the next sudo after the grant ended is refused inside sudo's credential-cache window" "$out"
fi
in_host jitctl revoke --user deploy >/dev/null
in_host jitctl grant deploy --service sshd,sudo --for 6s --reason "short" >/dev/null
sleep 6.5
expect_refused "a new ssh is refused after not_after" ssh_as deploy true
in_host_sh "echo 'deploy ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/deploy"

section "6. jitd killed during a grant: fail closed, socket activation, grant survived"
in_host jitctl grant deploy --service sshd --for 10m --reason "survives kill -9" >/dev/null
PID_BEFORE=$(in_host systemctl show -p MainPID --value jitd.service)
in_host kill -STOP "$PID_BEFORE"
start=$(date +%s%3N)
expect_refused "ssh deploy@host is refused while jitd does not answer" ssh_as deploy true
elapsed=$(($(date +%s%3N) - start))
expect_ok "ssh admin@host still works while jitd does not answer" ssh_as admin true
in_host kill -KILL "$PID_BEFORE"
sleep 0.5
expect_ok "after kill -9, the next ssh starts jitd through its socket and gets in" ssh_as deploy true
PID_AFTER=$(in_host systemctl show -p MainPID --value jitd.service)
if [[ -n $PID_AFTER && $PID_AFTER != 0 && $PID_AFTER != "$PID_BEFORE" ]]; then
    pass "a new jitd (pid $PID_AFTER) serves; the refusal took ${elapsed} ms"
else
    fail "a new jitd serves" "MainPID before $PID_BEFORE, after $PID_AFTER"
fi
expect_ok "the grant survived the kill" bash -c "$(declare -f in_host); HOST_PID=$HOST_PID; in_host jitctl list | grep -q 'survives kill -9'"
in_host jitctl revoke --user deploy >/dev/null

section "9. journald: one entry per decision, with the documented fields"
entries=$(journal_json SYSLOG_IDENTIFIER=jitd JIT_EVENT=decision)
count=$(printf '%s\n' "$entries" | grep -c '"JIT_EVENT"' || true)
missing=$(printf '%s\n' "$entries" | grep -v '"MESSAGE_ID":"f8890bfe550343f0b368de205c0012e5"' | grep -c . || true)
fields_ok=1
for field in JIT_DECISION JIT_USER JIT_SERVICE JIT_RULE JIT_REASON JIT_REQUESTER; do
    n=$(printf '%s\n' "$entries" | grep -c "\"$field\"" || true)
    [[ $n -eq $count ]] || fields_ok=0
done
if [[ $count -gt 0 && $missing -eq 0 && $fields_ok -eq 1 ]]; then
    pass "$count decision entries, each with MESSAGE_ID and JIT_DECISION/USER/SERVICE/RULE/REASON/REQUESTER"
else
    fail "decision entries carry the documented fields" "count=$count missing_id=$missing fields_ok=$fields_ok"
fi
expect_ok "sshd's decisions carry the client address (JIT_RHOST=127.0.0.1)" \
    bash -c "$(declare -f in_host journal_json); HOST_PID=$HOST_PID; journal_json JIT_SERVICE=sshd JIT_RHOST=127.0.0.1 | grep -q JIT_DECISION"

# Live sessions on a real host: sshd's session phase through pam_jit.so,
# logind's TerminateSession at not_after, and the jit-sweep timer when jitd
# is down.

# wait_gone PID SECONDS: waits for a host-side process to exit; prints the
# milliseconds it took.
wait_gone() {
    local pid=$1 limit_ms=$(($2 * 1000)) start
    start=$(date +%s%3N)
    while kill -0 "$pid" 2>/dev/null; do
        (($(date +%s%3N) - start > limit_ms)) && return 1
        sleep 0.1
    done
    echo $(($(date +%s%3N) - start))
}

# open_ssh_session: an ssh session of deploy that would run for ten minutes.
# It is open once its command runs: sshd runs it only after the whole session
# stack, pam_jit.so last, has let it in.  (logind lists a session earlier,
# while pam_jit.so may still refuse it, and lists closing ones of earlier
# logins.)
# open_ssh_session [FILE]: with FILE, on a terminal (ssh -tt), its output
# kept in FILE.
open_ssh_session() {
    if [[ -n ${1:-} ]]; then
        ssh_tty_as deploy 'sleep 600' >"$1" 2>&1 &
    else
        ssh_as deploy 'sleep 600' >/dev/null 2>&1 &
    fi
    SSH_CLIENT_PID=$!
    local i
    for i in $(seq 50); do
        in_host pgrep -u deploy -x -f 'sleep 600' >/dev/null &&
            in_host loginctl list-sessions --no-legend 2>/dev/null | grep -q deploy && return 0
        sleep 0.1
    done
    return 1
}

section "5. the open ssh session ends with its grant (logind)"
in_host jitctl revoke --user deploy >/dev/null 2>&1
NOT_AFTER=$(in_host jitctl --json grant deploy --service sshd --for 8s --reason "session test" |
    sed -n 's/.*"not_after":"\([^"]*\)".*/\1/p')
if open_ssh_session "$WORK/session.tty"; then pass "deploy's ssh session (on a terminal) is open and known to logind"
else fail "deploy's ssh session (on a terminal) is open and known to logind"; fi
# The login starts deploy's user manager, whose PAM stack (systemd-user)
# any grant in force covers.
DEPLOY_UID=$(in_host id -u deploy)
for _ in $(seq 30); do
    in_host systemctl is-active --quiet "user@$DEPLOY_UID.service" && break
    sleep 0.1
done
expect_ok "deploy's user manager (user@$DEPLOY_UID.service) runs under the sshd grant" \
    in_host systemctl is-active --quiet "user@$DEPLOY_UID.service"
expect_refused "... and jitd refused no systemd-user check" \
    bash -c "$(declare -f in_host journal_json); HOST_PID=$HOST_PID; journal_json JIT_DECISION=deny JIT_SERVICE=systemd-user | grep -q MESSAGE_ID"
sleep_until=$(date -d "$NOT_AFTER" +%s)
while (($(date +%s) < sleep_until)); do sleep 0.1; done
if ms=$(wait_gone "$SSH_CLIENT_PID" 5); then
    pass "the ssh session ended ${ms} ms after not_after (< 5000)"
else
    fail "the ssh session ended within 5 s of not_after"
    kill "$SSH_CLIENT_PID" 2>/dev/null
fi
# The grant is shorter than warn_before (2m): the notice comes once the
# session has its terminal.
expect_ok "the notice before the end reached the session's terminal" \
    grep -q 'jit: access for deploy (sshd) ends at' "$WORK/session.tty"
expect_ok "... and the journal names the terminal (JIT_TTYS=/dev/pts/N)" \
    bash -c "$(declare -f in_host journal_json); HOST_PID=$HOST_PID; journal_json JIT_EVENT=session-warn JIT_USER=deploy | grep -q '\"JIT_TTYS\":\"/dev/pts/[0-9]*\"'"
expect_ok "jitd ended it through logind (JIT_LOGIND=ok)" \
    bash -c "$(declare -f in_host journal_json); HOST_PID=$HOST_PID; journal_json JIT_EVENT=session-end JIT_USER=deploy JIT_LOGIND=ok | grep -q MESSAGE_ID"
expect_refused "logind no longer lists a session of deploy" \
    bash -c "$(declare -f in_host); HOST_PID=$HOST_PID; in_host loginctl list-sessions --no-legend | grep -q deploy"
expect_refused "a new ssh is refused" ssh_as deploy true

section "7. jitd stopped: jit-sweep.timer ends the session within one period"
in_host jitctl grant deploy --service sshd --for 10s --reason "sweep test" >/dev/null
NOT_AFTER=$(in_host jitctl --json list | sed -n 's/.*"not_after":"\([^"]*\)".*/\1/p' | head -1)
open_ssh_session || fail "deploy's ssh session opened for the sweep test"
# Both sockets: either one would start jitd again.
in_host systemctl stop jitd.socket jitd-root.socket jitd.service
expect_refused "with jitd stopped, a new ssh of deploy is refused (fail closed)" ssh_as deploy true
sleep_until=$(date -d "$NOT_AFTER" +%s)
while (($(date +%s) < sleep_until)); do sleep 0.2; done
if ms=$(wait_gone "$SSH_CLIENT_PID" 35); then
    pass "jit-sweep ended the session ${ms} ms after not_after (timer period 30 s)"
else
    fail "jit-sweep ended the session within one timer period"
    kill "$SSH_CLIENT_PID" 2>/dev/null
fi
expect_ok "the sweep journaled what it did" \
    bash -c "$(declare -f in_host journal_json); HOST_PID=$HOST_PID; journal_json SYSLOG_IDENTIFIER=jit-sweep JIT_USER=deploy | grep -q MESSAGE_ID"
in_host systemctl start jitd.socket jitd-root.socket
expect_ok "jitd comes back through its socket" in_host jitctl status

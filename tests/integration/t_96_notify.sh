# notify_command: run directly with the event as JSON on stdin, for request
# and grant events; a hanging notifier is killed at notify_timeout and never
# delays a check; failures are journaled.
source tests/integration/policy_lib.sh

# wait_for_file GLOB: up to 5 s.
wait_for_file() {
    for _ in $(seq 50); do
        compgen -G "$1" >/dev/null && return 0
        sleep 0.1
    done
    return 1
}

section "notifications"
policy_world
NOTIFY=$WORLD/notify.sh
cat >"$NOTIFY" <<SCRIPT
#!/bin/sh
cat >"$WORLD/notify.\$1.\$\$.json"
echo "\$1 \$JIT_EVENT" >>"$WORLD/notify.log"
SCRIPT
chmod 0755 "$NOTIFY"
sed -i "s|^\[jitd\]$|[jitd]\nnotify_command = $NOTIFY\nnotify_timeout = 2s\nnotify_before = 2s|" "$CONF"
write_policy 10-rules <<'POLICY'
[deploy-auto]
accounts = deploy
services = sshd
duration = 1s..1h
approval = auto

[deploy-sudo]
accounts = deploy
services = sudo
duration = 1m..1h
approval = 1 of @nobody-approves
POLICY
start_jitd
jitctl request deploy --service sshd --for 4s --reason "notify me" >/dev/null
if wait_for_file "$WORLD/notify.request-approved.*.json"; then
    pass "the notifier ran for request-approved"
    f=$(compgen -G "$WORLD/notify.request-approved.*.json" | head -1)
    expect_output "it got the event as JSON on stdin" \
        '^request-approved deploy-auto approved notify me g-[0-9a-z]{8}$' \
        jq -r '[.event, .request.rule, .request.state, .request.reason, .request.grant_id] | join(" ")' "$f"
else
    fail "the notifier ran for request-approved" "$(tail -3 "$WORLD/jitd.log")"
fi
expect_output "the event is its argument and JIT_EVENT" "^request-approved request-approved$" \
    head -1 "$WORLD/notify.log"
if wait_for_file "$WORLD/notify.grant-ending.*.json"; then
    f=$(compgen -G "$WORLD/notify.grant-ending.*.json" | head -1)
    expect_output "grant-ending comes notify_before the end" '^grant-ending deploy-auto [0-2]$' \
        jq -r '[.event, .grant.rule, (.grant.seconds_left|tostring)] | join(" ")' "$f"
else
    fail "grant-ending comes notify_before the end" "$(cat "$WORLD/notify.log")"
fi
jitctl --json request deploy --service sudo --for 5m --reason "please" >"$WORLD/p.json"
PID_=$(request_id_of "$WORLD/p.json")
jitctl cancel "$PID_" >/dev/null
wait_for_file "$WORLD/notify.request-cancelled.*.json"
expect_output "request-created and request-cancelled too" \
    "request-created request-created.*request-cancelled request-cancelled" \
    bash -c "tr '\n' ' ' <'$WORLD/notify.log'"

# A notifier that hangs: it must not delay checks, and it is killed.
cat >"$NOTIFY" <<SCRIPT
#!/bin/sh
echo \$\$ >"$WORLD/hang.pid"
exec sleep 60
SCRIPT
jitctl request deploy --service sshd --for 10m --reason "hang" >/dev/null
wait_for_file "$WORLD/hang.pid"
HANG=$(cat "$WORLD/hang.pid")
start=$(now_ms)
pam deploy sshd >/dev/null 2>&1
took=$(( $(now_ms) - start ))
if kill -0 "$HANG" 2>/dev/null && [[ $took -lt 1000 ]]; then
    pass "a check answers in ${took}ms while the notifier hangs"
else
    fail "a check answers at once while the notifier hangs" "${took}ms, notifier alive: $(kill -0 "$HANG" 2>&1 && echo yes)"
fi
for _ in $(seq 40); do kill -0 "$HANG" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$HANG" 2>/dev/null; then fail "the hanging notifier is killed at notify_timeout" "pid $HANG alive"
else pass "the hanging notifier is killed at notify_timeout"; fi
expect_log "the kill is journaled" "notify_command .* \(request-approved\): killed after notify_timeout \(2s\)"

printf '#!/bin/sh\ncat >/dev/null\nexit 3\n' >"$NOTIFY"
jitctl request deploy --service sshd --for 10m --reason "fail" >/dev/null
for _ in $(seq 30); do grep -q "exited with status 3" "$WORLD/jitd.log" && break; sleep 0.1; done
expect_log "a failing notifier is journaled" "\(request-approved\): exited with status 3"
rm -f "$NOTIFY"
jitctl request deploy --service sshd --for 10m --reason "missing" >/dev/null
expect_log "a missing notifier is journaled; the request still succeeds" \
    "cannot run: No such file or directory"
end_world

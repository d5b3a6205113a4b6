# The policy directory: linted without a daemon, loaded at start, reloaded
# atomically on SIGHUP (a bad file keeps the old policy), refused when
# others could write it.
source tests/integration/policy_lib.sh

section "policy: check, load, reload"
policy_world
write_policy 10-deploy <<'POLICY'
[deploy-auto]
accounts = deploy
services = sshd
duration = 1m..1h
reason = required
approval = auto
POLICY
expect_output "jitctl policy check: lists the rules" \
    "1 rule\(s\) in 1 file\(s\), valid.*deploy-auto \(.*10-deploy.conf:1\): deploy on sshd" \
    "$JITCTL" policy check "$POLICY"
expect_exit 0 "jitctl policy check: valid exits 0" "$JITCTL" policy check "$POLICY"
start_jitd
expect_log "jitd journals the policy it loaded" "policy: 1 rule\(s\) from 1 file\(s\)"
expect_exit 0 "an auto rule grants a request at once" \
    jitctl request deploy --service sshd --for 10m --reason "first"
expect_exit 0 "PAM: deploy let in under the policy grant" pam deploy sshd

cp "$POLICY/10-deploy.conf" "$WORLD/good.conf"
write_policy 20-broken <<'POLICY'
[backup-nightly]
accounts = backup
services = sudo
implicit = 10m, once per window
POLICY
expect_output "jitctl policy check: names file, line and key" \
    "20-broken.conf:4: implicit: a limit per window needs a schedule" \
    "$JITCTL" policy check "$POLICY"
expect_exit 1 "jitctl policy check: invalid exits 1" "$JITCTL" policy check "$POLICY"
if reload_jitd "policy not reloaded"; then pass "SIGHUP with a bad file is refused"
else fail "SIGHUP with a bad file is refused" "$(tail -3 "$WORLD/jitd.log")"; fi
expect_log "the refusal names file:line: key" \
    "policy not reloaded, keeping the old one: .*20-broken.conf:4: implicit:"
expect_exit 0 "the old policy stays in force" \
    jitctl request deploy --service sshd --for 10m --reason "still"

rm "$POLICY/20-broken.conf"
write_policy 10-deploy <<'POLICY'
[deploy-auto]
accounts = deploy
services = sshd
duration = 1m..5m
approval = auto
POLICY
if reload_jitd "policy: 1 rule"; then pass "SIGHUP with a good file reloads"
else fail "SIGHUP with a good file reloads" "$(tail -3 "$WORLD/jitd.log")"; fi
expect_exit 1 "the new policy applies: 10m is now too long" \
    jitctl request deploy --service sshd --for 10m --reason "too long now"
expect_output "the denial names the rule and condition" \
    "denied: rule deploy-auto: duration: 10m is outside 1m..5m" \
    jitctl request deploy --service sshd --for 10m --reason "too long now"

chmod 0666 "$POLICY/10-deploy.conf"
if reload_jitd "policy not reloaded"; then pass "a policy file others can write is refused on reload"
else fail "a policy file others can write is refused on reload"; fi
expect_log "the refusal says why" "10-deploy.conf: must not be writable by group or others"
stop_jitd TERM
expect_exit 1 "jitd --check-config rejects the unsafe policy" "$JITD" --check-config --config "$CONF"
expect_exit 1 "jitd refuses to start on it" \
    "$JITD" --config "$CONF" --socket "$WORLD/other.sock" --state-dir "$WORLD/other"
chmod 0644 "$POLICY/10-deploy.conf"
expect_output "jitd --check-config counts the rules" "1 policy rule\(s\) in 1 file\(s\)" \
    "$JITD" --check-config --config "$CONF"
end_world

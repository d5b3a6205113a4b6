# Grants survive a restart, a clean one and a kill -9 right after the
# acknowledgement.
section "restart: grants preserved"
new_world
start_jitd
jitctl grant deploy --service sshd --for 10m --reason "survives" >/dev/null
ID=$(grant_field id)
stop_jitd TERM
expect_exit 1 "PAM: refused while jitd is stopped" pam deploy sshd
start_jitd
expect_exit 0 "PAM: allowed again after a clean restart" pam deploy sshd
expect_output "jitctl list: same grant id after restart" "$ID" jitctl list
jitctl grant backup --service sudo --for 10m --reason "acknowledged then killed" >/dev/null
stop_jitd KILL
start_jitd
expect_exit 0 "PAM: a grant acknowledged just before kill -9 is still there" pam backup sudo
jitctl revoke --user backup >/dev/null
stop_jitd KILL
start_jitd
expect_exit 1 "PAM: a revocation acknowledged just before kill -9 holds" pam backup sudo
expect_exit 0 "PAM: the other grant is untouched" pam deploy sshd
end_world

section "one jitd per socket and per state directory"
new_world
start_jitd
expect_output "a second jitd on the same live socket refuses to start" "another jitd is already listening" \
    "$JITD" --socket "$SOCK" --state-dir "$WORLD/other-state" --config "$CONF"
if [[ ! -e $WORLD/other-state ]]; then pass "... and touched no state on the way out"
else fail "... and touched no state on the way out" "$WORLD/other-state was created"; fi
expect_output "a second jitd on the same state directory refuses to start" "another jitd is using this state directory" \
    "$JITD" --socket "$WORLD/other.sock" --state-dir "$STATE" --config "$CONF"
if [[ ! -e $WORLD/other.sock ]]; then pass "... and removed the socket it had bound"
else fail "... and removed the socket it had bound"; fi
expect_exit 0 "the first jitd is still serving" jitctl status
end_world

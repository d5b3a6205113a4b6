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

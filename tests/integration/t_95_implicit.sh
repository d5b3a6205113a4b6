# Implicit grants: the PAM check itself is the event.  A rule lets backup's
# first sudo inside a window (around now) from this host create a short
# grant, once per window; a risk rule refuses a source never seen before
# and names the signal.
source tests/integration/policy_lib.sh

section "implicit grants from the PAM check"
policy_world
from=$(date -u -d '-5 min' +%H:%M)
until=$(date -u -d '+55 min' +%H:%M)
write_policy 20-implicit <<POLICY
[backup-nightly]
accounts = backup
services = sudo
from = local
schedule = daily $from-$until UTC
implicit = 3s, once per window

[deploy-from-bastion]
accounts = deploy
services = sshd
from = 10.0.0.0/8
implicit = 1m
risk = deny
risk_signals = new-source
risk_learn = 0
POLICY
start_jitd
expect_output "explain: a check would create a grant now" \
    "a check would answer: allow: implicit grant from rule backup-nightly" jitctl explain backup sudo
expect_exit 0 "PAM: backup's first sudo is let in" pam backup sudo
expect_log "the decision names the implicit rule" \
    "allow backup for sudo: implicit grant from rule backup-nightly until"
expect_log "the grant is journaled with its rule and request" \
    "grant g-[0-9a-z]{8} for backup on sudo until .* from rule backup-nightly \(request r-[0-9a-z]{8}\)"
expect_exit 0 "PAM: the next sudo uses the same grant" pam backup sudo
grants=$(grep -c "grant g-[0-9a-z]* for backup .* from rule backup-nightly" "$WORLD/jitd.log")
if [[ $grants -eq 1 ]]; then pass "one grant, not one per check"
else fail "one grant, not one per check" "$grants grants"; fi
expect_exit 0 "PAM: sudo's PAM_RHOST (this host's name) counts as local" pam backup sudo "$(uname -n)"
expect_exit 1 "PAM: not from another host" pam backup sudo 192.0.2.1
sleep 3.2
expect_exit 1 "PAM: once per window: refused after the grant ended" pam backup sudo
expect_output "explain says why" "- implicit +1 implicit grant in this window, at most 1" \
    jitctl explain backup sudo
expect_exit 1 "explain exits 1 like the check" jitctl explain backup sudo

expect_exit 1 "PAM: a source never seen is refused (risk = deny)" pam deploy sshd 10.1.2.3
expect_output "explain names the signal" "- risk +new-source \(risk = deny\)" \
    jitctl explain deploy sshd --from 10.1.2.3
jitctl grant deploy --service sshd --for 1m --source 10.1.2.3 --reason "first contact" >/dev/null
expect_exit 0 "PAM: let in under a manual grant (the use joins the baseline)" pam deploy sshd 10.1.2.3
jitctl revoke --user deploy >/dev/null
expect_exit 0 "PAM: now the known source gets its implicit grant" pam deploy sshd 10.1.2.3
expect_exit 1 "PAM: another source is still refused" pam deploy sshd 10.9.9.9
end_world

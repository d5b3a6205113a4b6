# An implicit grant on a real host: the PAM check of deploy's sudo is the
# event.  deploy holds only an sshd grant; a rule whose schedule window is
# open now lets its first sudo on this host create a short sudo grant, once
# per window (jit-policy(5)).

# implicit_grants: "id state source" of deploy's sudo grants in force, one
# a line.
implicit_grants() {
    in_host jitctl --json list --user deploy |
        jq -r '.grants[] | select(.services == ["sudo"]) | "\(.id) \(.state) \(.source)"'
}

section "8. an implicit sudo grant, once per window"
in_host jitctl revoke --user deploy >/dev/null 2>&1
in_host jitctl grant deploy --service sshd --for 10m --reason "ssh only" >/dev/null
expect_refused "control: without the rule, deploy's sudo is refused" ssh_as deploy sudo -n true

# A window from the host's clock: opened a few minutes ago, open for half an
# hour (past midnight is fine: such a window belongs to the day it starts).
opened=$(in_host date -u -d '-3 min' +%H:%M)
closes=$(in_host date -u -d '+30 min' +%H:%M)
expect_ok "jitd reloaded with the rule deploy-sudo-implicit ($opened-$closes UTC)" \
    put_policy 30-implicit.conf deploy-sudo-implicit sudo <<POLICY
[deploy-sudo-implicit]
accounts = deploy
services = sudo
from     = local
schedule = daily $opened-$closes UTC
implicit = 10m, once per window
POLICY
out=$(in_host jitctl explain deploy sudo)
grants=$(implicit_grants)
if [[ $out == *"a check would answer: allow: implicit grant from rule deploy-sudo-implicit"* && -z $grants ]]; then
    pass "explain: a check would create a grant; none exists yet"
else
    fail "explain: a check would create a grant; none exists yet" "$out${grants:+; grants: $grants}"
fi

start=$(date +%s%3N)
expect_ok "sudo -n true as deploy: the PAM check creates the grant and is allowed" \
    ssh_as deploy sudo -n true
first_ms=$(($(date +%s%3N) - start))
grants=$(implicit_grants)
read -r GRANT state source <<<"$grants"
if [[ $(wc -l <<<"$grants") -eq 1 && $GRANT == g-* && $state == active && $source == local ]]; then
    pass "jitctl list: one implicit grant $GRANT on sudo, active, bound to local"
else
    fail "jitctl list: one implicit grant on sudo, active, bound to local" "$grants"
fi
expect_eq "journal: the grant names its rule (JIT_RULE=deploy-sudo-implicit)" deploy-sudo-implicit \
    "$(journal_json SYSLOG_IDENTIFIER=jitd JIT_EVENT=grant JIT_GRANT_ID="$GRANT" | jq -r .JIT_RULE)"
start=$(date +%s%3N)
expect_ok "the next sudo is let in by the same grant" ssh_as deploy sudo -n true
echo "        (ssh + sudo: ${first_ms} ms creating the grant, $(($(date +%s%3N) - start)) ms under it)"
expect_eq "still one implicit grant, not one per check" "$GRANT" "$(implicit_grants | cut -d' ' -f1 | xargs)"
# jitd(8): JIT_RULE of a decision is the implicit rule when the check
# created the grant, and "grant" when an existing grant allowed it.  The
# PAM checks only: with jit_sudo.so in sudo.conf each sudo also makes a
# command decision (it carries JIT_COMMAND).
expect_eq "journal: the check that created it names the rule, the next one the grant" \
    "deploy-sudo-implicit grant" "$(journal_json SYSLOG_IDENTIFIER=jitd JIT_EVENT=decision \
        JIT_GRANT_ID="$GRANT" JIT_DECISION=allow | jq -r 'select(.JIT_COMMAND == null) | .JIT_RULE' | xargs)"
expect_eq "journal: each sudo under the grant is also a command decision (jit_sudo.so)" "2" \
    "$(journal_json SYSLOG_IDENTIFIER=jitd JIT_EVENT=decision JIT_GRANT_ID="$GRANT" JIT_DECISION=allow |
        jq -r 'select(.JIT_COMMAND != null) | .JIT_COMMAND' | wc -l)"

in_host jitctl revoke "$GRANT" --reason "implicit test" >/dev/null
expect_refused "once per window: after the grant is revoked, the next sudo is refused" \
    ssh_as deploy sudo -n true
out=$(in_host jitctl explain deploy sudo)
if [[ $out == *"1 implicit grant in this window, at most 1"* ]]; then
    pass "explain says why: 1 implicit grant in this window, at most 1"
else
    fail "explain says why: 1 implicit grant in this window, at most 1" "$out"
fi
expect_eq "no second implicit grant was made" "" "$(implicit_grants)"
expect_ok "deploy's ssh is untouched" ssh_as deploy true

in_host jitctl revoke --user deploy >/dev/null
drop_policy 30-implicit.conf deploy-sudo-implicit sudo || fail "jitd reloaded without the rule"

# Requests and approvals on a real host: a person asks for deploy's access
# and waits (jitctl request --wait, as a CI job would), two members of the
# rule's approver group agree, and the grant lets deploy in over ssh and
# through sudo.  Requester and approvers are real local users; jitd knows
# them only from the kernel credentials of their connections.

# as_user USER CMD...: a command of a local user of the host.
as_user() {
    local user=$1
    shift
    in_host runuser -u "$user" -- "$@"
}
request_field() { in_host jitctl --json show "$RID" | jq -r ".$1"; }
# journal_for_request EVENT: the journal entries of RID with that JIT_EVENT.
journal_for_request() { journal_json SYSLOG_IDENTIFIER=jitd JIT_REQUEST_ID="$RID" JIT_EVENT="$1"; }

section "3. a request, two approvals, access"
in_host groupadd jit-approvers
in_host useradd -m -s /bin/bash alice
in_host useradd -m -s /bin/bash -G jit-approvers bob
in_host useradd -m -s /bin/bash -G jit-approvers carol
BOB=$(in_host id -u bob) CAROL=$(in_host id -u carol)
expect_ok "jitd reloaded with the rule deploy-releases" \
    put_policy 10-deploy.conf deploy-releases sshd <<'POLICY'
[deploy-releases]
accounts    = deploy
services    = sshd, sudo
duration    = 1m..2h
reason      = required
approval    = 2 of @jit-approvers
pending_ttl = 10m
POLICY

as_user alice jitctl request deploy --service sshd,sudo --for 2m --reason "release 4.2" \
    --wait --timeout 5m >"$WORK/request.out" 2>&1 &
WAITER=$!
RID=
for _ in $(seq 50); do
    RID=$(grep -o 'r-[0-9a-z]\{8\}' "$WORK/request.out" | head -1)
    [[ -n $RID ]] && break
    sleep 0.1
done
state=$(request_field state)
if [[ -n $RID && $state == pending ]] && kill -0 "$WAITER" 2>/dev/null; then
    pass "alice's request $RID is pending and her jitctl --wait is waiting"
else
    fail "alice's request is pending and her jitctl --wait is waiting" "id '$RID', state '$state'"
fi
expect_refused "no grant yet: ssh deploy@host is refused" ssh_as deploy true

out=$(as_user alice jitctl approve "$RID" 2>&1)
rc=$?
if [[ $rc -eq 4 && $out == *"you made this request; someone else must approve it"* ]]; then
    pass "alice may not approve her own request (exit 4, says why)"
else
    fail "alice may not approve her own request (exit 4, says why)" "exit $rc: $out"
fi
expect_ok "the refusal is journaled (JIT_EVENT=refused)" journal_for_request refused

expect_ok "bob approves" as_user bob jitctl approve "$RID" --comment "looks fine"
out=$(in_host jitctl show "$RID")
if [[ $(request_field state) == pending && $out == *"1 of 2 approvals"* ]] &&
    kill -0 "$WAITER" 2>/dev/null; then
    pass "after one approval: still pending, 1 of 2, still waiting"
else
    fail "after one approval: still pending, 1 of 2, still waiting" "$out"
fi
as_user bob jitctl approve "$RID" >/dev/null 2>&1
expect_eq "bob counts once: a second approval is refused (exit 6)" 6 $?

start=$(date +%s%3N)
expect_ok "carol approves" as_user carol jitctl approve "$RID"
approved_ms=$(($(date +%s%3N) - start))
wait "$WAITER"
rc=$?
waited_ms=$(($(date +%s%3N) - start))
if [[ $rc -eq 0 && $(cat "$WORK/request.out") == *approved* ]]; then
    pass "alice's jitctl --wait exits 0 ${waited_ms} ms after carol's approval (approve took ${approved_ms} ms)"
else
    fail "alice's jitctl --wait exits 0 once approved" "exit $rc: $(cat "$WORK/request.out")"
fi

GRANT=$(request_field grant_id)
listed=$(in_host jitctl --json list --user deploy | jq -r --arg id "$GRANT" \
    '.grants[] | select(.id == $id) | "\(.state) \(.services | join(","))"')
if [[ $GRANT == g-* && $listed == "active sshd,sudo" ]]; then
    pass "the request created grant $GRANT, active, on sshd,sudo"
else
    fail "the request created an active grant on sshd,sudo" "grant '$GRANT', listed '$listed'"
fi
expect_ok "ssh deploy@host works under the approved grant" ssh_as deploy true
expect_ok "sudo -n true as deploy works under the approved grant" ssh_as deploy sudo -n true

expect_eq "journal: the request, with its rule (JIT_EVENT=request)" deploy-releases \
    "$(journal_for_request request | jq -r .JIT_RULE)"
expect_eq "journal: one approval entry, bob's, 1 of 2 (JIT_EVENT=approval, JIT_APPROVERS=$BOB)" "$BOB" \
    "$(journal_for_request approval | jq -r .JIT_APPROVERS | xargs)"
approvers=$(journal_for_request request-approved | jq -r .JIT_APPROVERS)
if [[ $approvers == "$BOB,$CAROL" || $approvers == "$CAROL,$BOB" ]]; then
    pass "journal: request-approved names both approvers (JIT_APPROVERS=$approvers)"
else
    fail "journal: request-approved names both approvers ($BOB, $CAROL)" "JIT_APPROVERS='$approvers'"
fi
expect_eq "journal: grant $GRANT names its rule and request (JIT_RULE, JIT_REQUEST_ID)" \
    "deploy-releases $RID" "$(journal_json SYSLOG_IDENTIFIER=jitd JIT_EVENT=grant JIT_GRANT_ID="$GRANT" |
        jq -r '"\(.JIT_RULE) \(.JIT_REQUEST_ID)"')"

in_host jitctl revoke --user deploy >/dev/null
drop_policy 10-deploy.conf deploy-releases sshd || fail "jitd reloaded without the rule"

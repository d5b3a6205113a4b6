# Every request event in journald carries the request id, requester,
# approvers, rule, reason and ticket; grants from policy carry their rule
# and request.  Real journald, real distinct users (root only).
source tests/integration/policy_lib.sh

section "journald entries for requests and approvals"
if ! ensure_journald; then
    skip "request journal" "no journald socket and cannot start a standalone systemd-journald (needs root)"
elif ! can_make_users; then
    skip "request journal" "needs root, useradd and setpriv to act as several users"
else
    make_test_users || fail "creating the test users and group"
    policy_world
    chmod 0755 "$WORLD"
    sed -i 's/^users = deploy, backup$/users = deploy, backup, jitt-svc/' "$CONF"
    write_policy 10-svc <<'POLICY'
[svc-release]
accounts = jitt-svc
services = sshd
duration = 1m..2h
ticket = CHG-[0-9]+
approval = 2 of @jitt-approvers

[svc-quick]
accounts = jitt-svc
services = su
duration = 1m..1h
ticket = CHG-[0-9]+
approval = 1 of @jitt-approvers
pending_ttl = 1s
POLICY
    start_jitd
    J() { journalctl --no-pager -o json "_PID=$JITD_PID" "$@"; }
    REQ=$(id -u jitt-req) AP1=$(id -u jitt-ap1) AP2=$(id -u jitt-ap2)
    new_request() {  # SERVICE -> prints the id
        jitctl_as jitt-req --json request jitt-svc --service "$1" --for 10m \
            --reason "release 4.2" --ticket CHG-42 | jq -r .id
    }
    A=$(new_request sshd)
    jitctl_as jitt-ap1 approve "$A" >/dev/null
    jitctl_as jitt-ap2 approve "$A" --comment "ship it" >/dev/null
    D=$(new_request sshd)
    jitctl_as jitt-ap1 deny "$D" --comment "freeze" >/dev/null
    C=$(new_request sshd)
    jitctl_as jitt-req cancel "$C" >/dev/null
    E=$(new_request su)
    for _ in $(seq 40); do [[ $(J JIT_EVENT=request-expired | wc -l) -ge 1 ]] && break; sleep 0.1; done

    # entry EVENT ID: the one journal entry of EVENT for request ID, as JSON.
    entry() { J "JIT_EVENT=$1" "JIT_REQUEST_ID=$2" | tail -1; }
    check_entry() {  # NAME EVENT ID APPROVERS
        local e
        e=$(entry "$2" "$3")
        local got
        got=$(jq -r '[.JIT_REQUEST_ID, .JIT_REQUESTER, .JIT_APPROVERS, .JIT_RULE, .JIT_REASON, .JIT_TICKET] | join("|")' <<<"$e" 2>/dev/null)
        local want="$3|$REQ|$4|$5|release 4.2|CHG-42"
        if [[ $got == "$want" ]]; then pass "$1"; else fail "$1" "got '$got', wanted '$want'"; fi
    }
    check_entry "request (pending): id, requester, rule, reason, ticket" request "$A" "" svc-release
    check_entry "approval: the first approver" approval "$A" "$AP1" svc-release
    check_entry "request-approved: both approvers" request-approved "$A" "$AP1,$AP2" svc-release
    check_entry "request-denied" request-denied "$D" "" svc-release
    check_entry "request-cancelled" request-cancelled "$C" "" svc-release
    check_entry "request-expired" request-expired "$E" "" svc-quick
    expect_output "request-approved has its MESSAGE_ID" '"MESSAGE_ID":"8385a20a8488483c96e69722741bcdab"' \
        entry request-approved "$A"
    expect_output "the denial's comment is journaled" '"JIT_COMMENT":"freeze"' entry request-denied "$D"
    g=$(J JIT_EVENT=grant "JIT_REQUEST_ID=$A" | tail -1)
    got=$(jq -r '[.JIT_RULE, .JIT_APPROVERS, .JIT_TICKET, .JIT_USER] | join("|")' <<<"$g" 2>/dev/null)
    if [[ $got == "svc-release|$AP1,$AP2|CHG-42|jitt-svc" ]]; then pass "the grant entry names its rule, request and approvers"
    else fail "the grant entry names its rule, request and approvers" "$got"; fi
    refused=$(J JIT_EVENT=refused | wc -l)
    jitctl_as jitt-out approve "$(new_request sshd)" >/dev/null 2>&1
    for _ in $(seq 20); do [[ $(J JIT_EVENT=refused | wc -l) -gt $refused ]] && break; sleep 0.1; done
    if [[ $(J JIT_EVENT=refused | wc -l) -gt $refused ]]; then pass "a refused approver is journaled"
    else fail "a refused approver is journaled"; fi
    end_world
    remove_test_users
fi

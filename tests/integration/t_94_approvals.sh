# Approvals by real, distinct local users (created for the test and removed
# after it; root only): no self-approval, no approval by the account itself
# or by non-members, each approver once, the threshold, shortening, denial,
# and a waiting requester learning the outcome from its exit status.
source tests/integration/policy_lib.sh

# wait_in_background USER ARGS...: starts `jitctl request ... --wait` as USER;
# sets WAIT_PID and WAIT_ID (the request's id, from its progress line).
wait_in_background() {
    local user=$1
    shift
    jitctl_as "$user" request "$@" --wait >"$WORLD/wait.out" 2>"$WORLD/wait.err" &
    WAIT_PID=$!
    WAIT_ID=
    for _ in $(seq 50); do
        WAIT_ID=$(grep -o 'r-[0-9a-z]\{8\}' "$WORLD/wait.err" | head -1)
        [[ -n $WAIT_ID ]] && return 0
        sleep 0.1
    done
}
expect_wait_exit() {  # CODE NAME
    wait "$WAIT_PID"
    local rc=$?
    if [[ $rc -eq $1 ]]; then pass "$2"
    else fail "$2" "exit $rc: $(cat "$WORLD/wait.out" "$WORLD/wait.err")"; fi
}

section "approvals by distinct real users"
if ! can_make_users; then
    skip "approvals" "needs root, useradd and setpriv to act as several users"
else
    make_test_users || fail "creating the test users and group"
    policy_world
    chmod 0755 "$WORLD"
    sed -i 's/^users = deploy, backup$/users = deploy, backup, jitt-svc/' "$CONF"
    write_pam_service_managing sshd "deploy,backup,jitt-svc"
    write_policy 10-svc <<'POLICY'
[svc-release]
accounts = jitt-svc
services = sshd, sudo
duration = 1m..2h
approval = 2 of @jitt-approvers

[svc-quick]
accounts = jitt-svc
services = su
duration = 1m..1h
reason = optional
approval = 1 of @jitt-approvers
POLICY
    start_jitd

    jitctl_as jitt-req --json request jitt-svc --service sshd,sudo --for 1h --reason "release" \
        >"$WORLD/r.json"
    RID=$(request_id_of "$WORLD/r.json")
    if [[ $(jq -r '.state + " " + (.approvals_required|tostring) + " " + .requester' "$WORLD/r.json") == "pending 2 jitt-req" ]]
    then pass "any local user may request; the requester is the peer uid"
    else fail "any local user may request" "$(cat "$WORLD/r.json")"; fi
    expect_exit 4 "the requester may not approve their own request" jitctl_as jitt-req approve "$RID"
    expect_exit 4 "the account itself may not approve (though in the group)" jitctl_as jitt-svc approve "$RID"
    expect_exit 4 "a non-member may not approve" jitctl_as jitt-out approve "$RID"
    expect_exit 4 "root, not in the group, is no approver either" jitctl approve "$RID"
    expect_exit 4 "a non-member may not deny" jitctl_as jitt-out deny "$RID" --comment no
    expect_log "refused approvals are journaled" "may not decide: you made this request"
    expect_output "the first approver counts: 1 of 2" "pending: 1 of 2 approvals" \
        jitctl_as jitt-ap1 approve "$RID" --comment "looks right"
    expect_exit 1 "PAM: not yet" pam jitt-svc sshd
    expect_exit 6 "each approver counts once" jitctl_as jitt-ap1 approve "$RID"
    expect_exit 6 "an approver may not lengthen it" jitctl_as jitt-ap2 approve "$RID" --for 3h
    expect_output "the second approver completes it, shortened to 5m" \
        "approved: grant g-[0-9a-z]{8} until .* \\(in (5m|4m 5[0-9]s)\\)" \
        jitctl_as jitt-ap2 approve "$RID" --for 5m
    expect_exit 0 "PAM: jitt-svc let in once approved" pam jitt-svc sshd
    jitctl --json show "$RID" >"$WORLD/s.json"
    if [[ $(jq -r '[.duration_seconds, (.approvals|length), .approvals[1].approver] | map(tostring) | join(" ")' "$WORLD/s.json") == "300 2 jitt-ap2" ]]
    then pass "show: the shortened duration and both approvals"
    else fail "show: the shortened duration and both approvals" "$(cat "$WORLD/s.json")"; fi
    expect_exit 6 "a decided request takes no more approvals" jitctl_as jitt-out approve "$RID"

    wait_in_background jitt-req jitt-svc --service su --for 10m
    expect_exit 0 "an approver approves the waiting request" jitctl_as jitt-ap1 approve "$WAIT_ID"
    expect_wait_exit 0 "request --wait: exit 0 when approved"

    wait_in_background jitt-req jitt-svc --service su --for 10m
    expect_exit 0 "an approver denies it" jitctl_as jitt-ap2 deny "$WAIT_ID" --comment "not now"
    expect_wait_exit 1 "request --wait: exit 1 when denied"
    expect_output "show: denied, by whom and why" "decided +.* by jitt-ap2" jitctl show "$WAIT_ID"

    jitctl_as jitt-req --json request jitt-svc --service su --for 10m >"$WORLD/c.json"
    CID=$(request_id_of "$WORLD/c.json")
    expect_exit 4 "another user may not cancel it" jitctl_as jitt-out cancel "$CID"
    expect_exit 0 "the requester may" jitctl_as jitt-req cancel "$CID"
    end_world
    remove_test_users
fi

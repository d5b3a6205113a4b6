# Read access by role: root and admin_group see every grant, request,
# session and explanation; an approver sees what concerns the accounts they
# approve for; anyone else sees only their own requests and the grants those
# created, and no session.  Each read (list, list --requests, show,
# sessions, explain) is tried as each role.  Policy files are read with the
# caller's rights: jitd warns about open ones; closed, only root and
# admin_group may check them.
source tests/integration/policy_lib.sh
source tests/integration/session_lib.sh

section "read access by role"
if ! can_make_users; then
    skip "read access by role" "needs root, useradd and setpriv to act as several users"
else
    make_test_users || fail "creating the test users and group"
    policy_world
    chmod 0755 "$WORLD"
    sed -i 's/^users = deploy, backup$/users = deploy, backup, jitt-svc/' "$CONF"
    sed -i "s/^\[jitd\]$/[jitd]\nadmin_group = users/" "$CONF"
    write_policy 10-roles <<'POLICY'
[deploy-auto]
accounts = deploy
services = sshd
duration = 1m..1h
approval = auto

[svc-approved]
accounts = jitt-svc
services = sshd
duration = 1m..1h
approval = 1 of @jitt-approvers
POLICY
    write_pam_service_managing sshd "deploy,backup,jitt-svc"
    cat >>"$PAMDIR/sshd" <<PAM
session required $PAM_SO socket=$SOCK server_uid=$(id -u) timeout_ms=1000 managed_users=deploy,backup,jitt-svc
session required $PAM_DIR_SYSTEM/pam_permit.so
PAM
    start_jitd
    users_gid=$(getent group users | cut -d: -f3)
    as_admin() { setpriv --reuid=jitt-out --regid=jitt-out --groups="$users_gid" "$JITCTL" --socket "$SOCK" "$@"; }
    grants_of() { jq -r '[.grants[].user] | sort | join(",")'; }
    requests_of() { jq -r '[.requests[].user] | sort | join(",")'; }
    jitctl grant deploy --service sshd --for 10m --reason "by root" >/dev/null
    jitctl grant jitt-svc --service sshd --for 10m --reason "by root" >/dev/null
    jitctl_as jitt-req --json request deploy --service sshd --for 10m --reason mine >"$WORLD/mine.json"
    jitctl_as jitt-req --json request jitt-svc --service sshd --for 10m --reason pending >/dev/null
    mine=$(jq -r .grant_id "$WORLD/mine.json")
    pending=$(jitctl --json list --requests | jq -r '[.requests[] | select(.user == "jitt-svc")][0].id')
    # One closed session each for deploy and jitt-svc.
    pam_session sshd deploy acct_mgmt open_session close_session >/dev/null 2>&1
    pam_session sshd jitt-svc acct_mgmt open_session close_session >/dev/null 2>&1
    sessions_of() { jq -r '[.sessions[].user] | sort | join(",")'; }
    out=$(jitctl --json sessions --all | sessions_of)
    if [[ $out == deploy,jitt-svc ]]; then pass "root sees every session"
    else fail "root sees every session" "$out"; fi
    out=$(as_admin --json sessions --all | sessions_of)
    if [[ $out == deploy,jitt-svc ]]; then pass "admin_group sees every session"
    else fail "admin_group sees every session" "$out"; fi
    out=$(jitctl_as jitt-ap1 --json sessions --all | sessions_of)
    if [[ $out == jitt-svc ]]; then pass "an approver sees the sessions of the accounts they approve for, only"
    else fail "an approver sees the sessions of the accounts they approve for, only" "$out"; fi
    out=$(jitctl_as jitt-req --json sessions --all | sessions_of)
    if [[ -z $out ]]; then pass "a requester sees no session"
    else fail "a requester sees no session" "$out"; fi
    out=$(jitctl_as jitt-out --json sessions --all | sessions_of)
    if [[ -z $out ]]; then pass "anyone else sees no session"
    else fail "anyone else sees no session" "$out"; fi

    expect_output "root sees every grant" "^deploy,deploy,jitt-svc$" \
        bash -c "'$JITCTL' --socket '$SOCK' --json list | jq -r '[.grants[].user] | sort | join(\",\")'"
    out=$(as_admin --json list | grants_of)
    if [[ $out == deploy,deploy,jitt-svc ]]; then pass "admin_group sees every grant"
    else fail "admin_group sees every grant" "$out"; fi
    out=$(as_admin --json list --requests | requests_of)
    if [[ $out == deploy,jitt-svc ]]; then pass "admin_group sees every request"
    else fail "admin_group sees every request" "$out"; fi
    expect_exit 0 "admin_group may explain" as_admin explain deploy sshd

    out=$(jitctl_as jitt-ap1 --json list | grants_of)
    if [[ $out == jitt-svc ]]; then pass "an approver sees the grants of the accounts they approve for, only"
    else fail "an approver sees the grants of the accounts they approve for, only" "$out"; fi
    out=$(jitctl_as jitt-ap1 --json list --requests | requests_of)
    if [[ $out == jitt-svc ]]; then pass "an approver sees the requests they may decide, only"
    else fail "an approver sees the requests they may decide, only" "$out"; fi
    expect_exit 0 "an approver may explain their account" jitctl_as jitt-ap1 explain jitt-svc sshd
    expect_exit 4 "an approver may not explain another account" jitctl_as jitt-ap1 explain deploy sshd

    out=$(jitctl_as jitt-req --json list | jq -r '[.grants[].id] | join(",")')
    if [[ -n $mine && $out == "$mine" ]]; then pass "a requester sees only the grant their request created"
    else fail "a requester sees only the grant their request created" "want $mine, got $out"; fi
    out=$(jitctl_as jitt-req --json list --requests | requests_of)
    if [[ $out == deploy,jitt-svc ]]; then pass "a requester sees their own requests"
    else fail "a requester sees their own requests" "$out"; fi
    expect_exit 4 "a requester may not explain" jitctl_as jitt-req explain deploy sshd

    out=$(jitctl_as jitt-out --json list | grants_of)
    if [[ -z $out ]]; then pass "anyone else sees no grant"
    else fail "anyone else sees no grant" "$out"; fi
    out=$(jitctl_as jitt-out --json list --requests | requests_of)
    if [[ -z $out ]]; then pass "anyone else sees no request"
    else fail "anyone else sees no request" "$out"; fi
    rid=$(jq -r .id "$WORLD/mine.json")
    expect_exit 4 "anyone else may not show a request by id" jitctl_as jitt-out show "$rid"
    expect_exit 0 "the requester may show it" jitctl_as jitt-req show "$rid"
    expect_exit 0 "admin_group may show it" as_admin show "$rid"
    expect_exit 0 "root may show it" jitctl show "$rid"
    expect_exit 4 "an approver may not show a request for an account they do not approve for" \
        jitctl_as jitt-ap1 show "$rid"
    expect_exit 0 "an approver may show a request they may decide" jitctl_as jitt-ap1 show "$pending"
    expect_exit 0 "root may explain" jitctl explain deploy sshd
    expect_exit 4 "anyone else may not explain" jitctl_as jitt-out explain deploy sshd
    expect_log "refused explains are journaled" "refused a request from uid $(id -u jitt-out).*explain deploy"

    # Policy files: this world's are open (0755, 0644), and jitd says so once
    # per path, with its mode; closed (0750, admin_group), only root and
    # admin_group may read them, and jitctl says why to anyone else.
    expect_log "jitd warns that every local user can read the policy directory (path, mode)" \
        "policy $POLICY \(mode 0755\) can be read by every local user"
    expect_log "jitd warns that every local user can read a policy file (path, mode)" \
        "policy $POLICY/10-roles.conf \(mode 0644\) can be read by every local user"
    expect_output "  each once per load (2 paths)" "^2$" grep -c "can be read by every local user" "$WORLD/jitd.log"
    chgrp users "$POLICY" && chmod 0750 "$POLICY"
    expect_exit 0 "a closed policy directory: reloaded" reload_jitd "policy: 2 rule"
    expect_output "  with no warning" "^2$" grep -c "can be read by every local user" "$WORLD/jitd.log"
    expect_output "anyone else's policy check on a 0750 directory is refused, saying why" \
        "^jitctl: you may not read the policy \($POLICY: permission denied\): it is for root and jitd's admin group only" \
        jitctl_as jitt-out policy check "$POLICY"
    expect_exit 4 "  with exit status 4 (not permitted)" jitctl_as jitt-out policy check "$POLICY"
    expect_exit 4 "  an approver outside admin_group too" jitctl_as jitt-ap1 policy check "$POLICY"
    expect_output "root may check it" "^$POLICY: 2 rule\(s\) in 1 file\(s\), valid" \
        "$JITCTL" policy check "$POLICY"
    expect_output "admin_group may check it" "^$POLICY: 2 rule\(s\) in 1 file\(s\), valid" \
        as_admin policy check "$POLICY"
    end_world
    remove_test_users
fi

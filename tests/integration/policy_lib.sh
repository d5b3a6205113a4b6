# Helpers for the policy, request and approval scenarios (t_92..t_97),
# sourced by each of them: a world whose jitd reads a policy directory, and
# real local users and groups to act as requesters and approvers.

# policy_world: new_world, plus $WORLD/policy.d as jitd's policy_dir.
policy_world() {
    new_world
    POLICY=$WORLD/policy.d
    mkdir -m 0755 "$POLICY"
    sed -i "s|^\[jitd\]$|[jitd]\npolicy_dir = $POLICY|" "$CONF"
}

# write_policy NAME: the policy file NAME.conf from standard input.
write_policy() {
    cat >"$POLICY/$1.conf"
    chmod 0644 "$POLICY/$1.conf"
}

# reload_jitd WHAT: SIGHUP, then wait until the log shows WHAT (a regex).
reload_jitd() {
    local before
    before=$(grep -c -E "$1" "$WORLD/jitd.log")
    kill -HUP "$JITD_PID"
    for _ in $(seq 50); do
        [[ $(grep -c -E "$1" "$WORLD/jitd.log") -gt $before ]] && return 0
        sleep 0.1
    done
    return 1
}

# A PAM service whose pam_jit manages the given users.
write_pam_service_managing() {  # SERVICE USERS
    cat >"$PAMDIR/$1" <<PAM
account required $PAM_SO socket=$SOCK server_uid=$(id -u) timeout_ms=1000 managed_users=$2
account required $PAM_DIR_SYSTEM/pam_permit.so
PAM
}

# ---- real users for approvals (root only) ----

TEST_USERS=(jitt-req jitt-ap1 jitt-ap2 jitt-out jitt-svc)
TEST_GROUP=jitt-approvers

can_make_users() {
    [[ $(id -u) -eq 0 ]] && command -v useradd >/dev/null && command -v setpriv >/dev/null
}

remove_test_users() {
    local u
    for u in "${TEST_USERS[@]}"; do userdel "$u" >/dev/null 2>&1; done
    groupdel "$TEST_GROUP" >/dev/null 2>&1
    return 0
}

# Creates the users: jitt-req (a requester), jitt-ap1 and jitt-ap2 (members
# of jitt-approvers), jitt-out (in no group), jitt-svc (the managed account,
# itself a member of jitt-approvers).
make_test_users() {
    remove_test_users
    groupadd --system "$TEST_GROUP" || return 1
    local u
    for u in "${TEST_USERS[@]}"; do
        useradd --system --no-create-home --shell /usr/sbin/nologin "$u" || return 1
    done
    usermod -a -G "$TEST_GROUP" jitt-ap1 && usermod -a -G "$TEST_GROUP" jitt-ap2 &&
        usermod -a -G "$TEST_GROUP" jitt-svc
}

# as USER CMD...: runs CMD with USER's uid, gid and supplementary groups.
as() {
    local user=$1
    shift
    setpriv --reuid="$user" --regid="$user" --init-groups "$@"
}

# jitctl_as USER ARGS...
jitctl_as() {
    local user=$1
    shift
    as "$user" "$JITCTL" --socket "$SOCK" "$@"
}

# request_id_of JSON-OUTPUT-FILE
request_id_of() { jq -r .id "$1"; }

# The fleet layer's world: hosts with a key, a fleet.conf, a jitd and a
# jit-fleet each, on a 3-member etcd (etcd_cluster.sh).  Sourced by
# tests/fleet/run and scripts/fleet-up; expects FLEET, JITD, JITCTL, TOP.
declare -A JITD_PIDS FLEET_PIDS PUB LABELS AUDIT_VKEY
NAMES=()
WITNESSES=${WITNESSES:-}  # hosts whose fleet.conf names the audited hosts' audit_key
UID_ALICE=4201 UID_BOB=4202 UID_CAROL=4203 UID_NOBODY=4299


# host NAME LABELS: key pair now; config later (the trust file needs every key).
new_host() {
    local name=$1 labels=$2 dir=$TOP/$1
    mkdir -p "$dir/state" "$dir/fleet"
    chmod 700 "$dir/state" "$dir/fleet"
    PUB[$name]=$("$FLEET" keygen "$dir/host.key")
    head -c 18 /dev/urandom | base64 >"$dir/etcd.password"  # its etcd user's
    chmod 600 "$dir/etcd.password"
    LABELS[$name]=$labels
    NAMES+=("$name")
}

write_fleet_conf() {
    local name=$1 dir=$TOP/$1 offline=${2:-deny}
    {
        printf '[fleet]\nhost = %s\nlabels = %s\nkey = %s\nendpoints = %s\n' \
            "$name" "${LABELS[$name]}" "$dir/host.key" "$(etcd_endpoints)"
        if [[ $ETCD_TLS == 1 ]]; then
            printf 'user = %s\npassword_file = %s\nca_file = %s\n' "$name" "$dir/etcd.password" "$ETCD_DIR/tls/ca.pem"
        fi
        printf 'max_staleness = %s\noffline = %s\napprovals = 2\n' "${STALENESS:-3s}" "$offline"
        printf 'admin_socket = %s\n\n' "$dir/fleet-admin.sock"
        # People, by uid (no passwd entry needed): jitctl --fleet as them.
        printf '[person alice]\nusers = %s\nmay = request\n\n' "$UID_ALICE"
        printf '[person bob]\nusers = %s\nmay = request, approve, revoke\n\n' "$UID_BOB"
        printf '[person carol]\nusers = %s\nmay = approve, revoke\n\n' "$UID_CAROL"
        printf '[host admin-1]\nkey = %s\nmay = approve, grant, revoke\nfor = *\n\n' "${PUB[admin-1]}"
        local h
        for h in "${NAMES[@]}"; do
            [[ $h == admin-1 ]] && continue
            printf '[host %s]\nkey = %s\nmay = request\nfor = *\n' "$h" "${PUB[$h]}"
            if [[ -n ${AUDIT_VKEY[$h]:-} && " $WITNESSES " == *" $name "* ]]; then
                printf 'audit_key = %s\n' "${AUDIT_VKEY[$h]}"
            fi
            printf '\n'
        done
    } >"$dir/fleet.conf"
}

# etcd users and roles for every host (jit-fleet etcd-roles, from admin-1's
# trust file, which names them all), then etcd auth on.  Only with TLS: a
# password never crosses plain http.
fleet_enable_auth() {
    [[ $ETCD_TLS == 1 ]] || return 0
    "$FLEET" --config "$TOP/admin-1/fleet.conf" etcd-roles >"$TOP/etcd-roles" || return 1
    local h users=()
    for h in "${NAMES[@]}"; do users+=("$h=$TOP/$h/etcd.password"); done
    etcd_enable_auth "$TOP/etcd-roles" "${users[@]}"
}

# audit_host NAME: NAME's jitd keeps an audit log (a checkpoint every 5
# records or 2 s); its verifier key goes to the witnesses' fleet.conf.
audit_host() {
    local name=$1 dir=$TOP/$1
    AUDIT_VKEY[$name]=pending
    jitd_conf "$name"
    "$JITD" --config "$dir/jitd.conf" --state-dir "$dir/state" --audit-init "$dir/audit.key" >/dev/null || return 1
    AUDIT_VKEY[$name]=$(sed -n 's/^checkpoint-key //p' "$dir/audit.key")
}

jitd_conf() {
    local name=$1 dir=$TOP/$1
    printf '[jitd]\nmax_grant = 1d\n' >"$dir/jitd.conf"
    [[ -n ${AUDIT_VKEY[$name]:-} ]] && printf 'checkpoint_every = 5 records / 2s\n' >>"$dir/jitd.conf"
    printf '[managed]\nusers = deploy\n[fleet]\nmax_staleness = %s\n' "${STALENESS:-3s}" >>"$dir/jitd.conf"
}

start_host_jitd() {
    local name=$1 dir=$TOP/$1
    "$JITD" --socket "$dir/jitd.sock" --state-dir "$dir/state" --config "$dir/jitd.conf" >>"$dir/jitd.log" 2>&1 &
    JITD_PIDS[$name]=$!
    local i
    for i in $(seq 100); do "$JITCTL" --socket "$dir/jitd.sock" status >/dev/null 2>&1 && break; sleep 0.05; done
}

stop_host_jitd() {
    kill "${JITD_PIDS[$1]}" 2>/dev/null
    wait "${JITD_PIDS[$1]}" 2>/dev/null
    unset "JITD_PIDS[$1]"
}

start_host() {
    jitd_conf "$1"
    start_host_jitd "$1"
    start_fleet "$1"
}

start_fleet() {
    local name=$1 dir=$TOP/$1
    "$FLEET" --config "$dir/fleet.conf" --state-dir "$dir/fleet" --socket "$dir/jitd.sock" run >>"$dir/fleet.log" 2>&1 &
    FLEET_PIDS[$name]=$!
}

stop_fleet() {
    kill "${FLEET_PIDS[$1]}" 2>/dev/null
    wait "${FLEET_PIDS[$1]}" 2>/dev/null
    unset "FLEET_PIDS[$1]"
}

admin() { "$FLEET" --config "$TOP/admin-1/fleet.conf" --state-dir "$TOP/admin-1/fleet" "$@"; }
# as UID HOST jitctl-args...: jitctl --fleet on HOST's jit-fleet, as that uid.
as_person() {
    local uid=$1 host=$2
    shift 2
    setpriv --reuid="$uid" --regid="$uid" --clear-groups -- \
        "$JITCTL" --fleet-socket "$TOP/$host/fleet-admin.sock" "$@"
}
check() { "$JITCTL" --socket "$TOP/$1/jitd.sock" check deploy sshd >/dev/null 2>&1; }

# wait_state HOST allow|deny TIMEOUT_MS: prints the ms it took, or fails.
wait_state() {
    local host=$1 want=$2 limit=$3 start now
    start=$(now_ms)
    while true; do
        if check "$host"; then [[ $want == allow ]] && break; else [[ $want == deny ]] && break; fi
        now=$(now_ms)
        ((now - start > limit)) && return 1
        sleep 0.01
    done
    echo $(($(now_ms) - start))
}


#!/bin/bash
# A 3-member etcd cluster on 127.0.0.1 for the fleet tests: sourced, it
# defines etcd_start DIR BASEPORT (members on BASEPORT, +10, +20 for clients
# and +1, +11, +21 for peers), etcd_stop_member N, etcd_start_member N,
# etcd_stop_all, etcd_ctl (etcdctl against the cluster, as root once auth is
# on).  Every member is stopped by its pid.
#
# Ports come from free_base_port (tests/helpers/ports.sh, sourced here).
#
# ETCD_TLS=1 (the default): clients and peers speak TLS with certificates
# from a CA made here with openssl (DIR/tls: ca.pem, and other-ca.pem, a CA
# that signed nothing of this cluster); etcd_enable_auth then turns on etcd
# users and roles.
ETCD_PIDS=()
ETCD_DIR=
ETCD_BASE=
ETCD_TLS=${ETCD_TLS:-1}
ETCD_AUTH=0

source tests/helpers/ports.sh

etcd_scheme() { if [[ $ETCD_TLS == 1 ]]; then echo https; else echo http; fi; }

# CA, a server/peer certificate for 127.0.0.1, and an unrelated CA.
etcd_make_tls() {
    local d=$ETCD_DIR/tls
    mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=jit-test-ca \
        -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null || return 1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=jit-other-ca \
        -keyout "$d/other-ca.key" -out "$d/other-ca.pem" 2>/dev/null || return 1
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=etcd \
        -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null || return 1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >"$d/ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
        -extfile "$d/ext" -out "$d/server.pem" 2>/dev/null || return 1
    chmod 600 "$d"/*.key
}

etcd_member_args() {
    local n=$1 cluster="" i s t=$ETCD_DIR/tls
    s=$(etcd_scheme)
    for i in 0 1 2; do
        cluster+="${cluster:+,}m$i=$s://127.0.0.1:$((ETCD_BASE + 10 * i + 1))"
    done
    echo --name "m$n" --data-dir "$ETCD_DIR/m$n" \
        --listen-client-urls "$s://127.0.0.1:$((ETCD_BASE + 10 * n))" \
        --advertise-client-urls "$s://127.0.0.1:$((ETCD_BASE + 10 * n))" \
        --listen-peer-urls "$s://127.0.0.1:$((ETCD_BASE + 10 * n + 1))" \
        --initial-advertise-peer-urls "$s://127.0.0.1:$((ETCD_BASE + 10 * n + 1))" \
        --initial-cluster "$cluster" --initial-cluster-state "${ETCD_STATE:-new}" \
        --initial-cluster-token jit-test --heartbeat-interval 50 --election-timeout 500 \
        --auto-compaction-retention 0 --log-level error --logger zap
    [[ $ETCD_TLS == 1 ]] && echo --cert-file "$t/server.pem" --key-file "$t/server.key" \
        --peer-cert-file "$t/server.pem" --peer-key-file "$t/server.key" \
        --peer-trusted-ca-file "$t/ca.pem" --peer-client-cert-auth
    # Test users' passwords are hashed at a lower cost than production's, so
    # twenty hosts authenticate quickly.
    echo --bcrypt-cost 4
}

etcd_start_member() {
    local n=$1
    # shellcheck disable=SC2046
    etcd $(etcd_member_args "$n") >>"$ETCD_DIR/m$n.log" 2>&1 &
    ETCD_PIDS[$n]=$!
}

etcd_stop_member() {
    local n=$1 pid=${ETCD_PIDS[$1]:-}
    [[ -n $pid ]] || return 0
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    ETCD_PIDS[$n]=
}

etcd_endpoints() {
    local s
    s=$(etcd_scheme)
    echo "$s://127.0.0.1:$ETCD_BASE,$s://127.0.0.1:$((ETCD_BASE + 10)),$s://127.0.0.1:$((ETCD_BASE + 20))"
}

# etcdctl against the cluster: over TLS with the test CA, and as root once
# etcd_enable_auth has run.
etcd_ctl() {
    local args=(--endpoints "$(etcd_endpoints)" --command-timeout=2s)
    [[ $ETCD_TLS == 1 ]] && args+=(--cacert "$ETCD_DIR/tls/ca.pem")
    [[ $ETCD_AUTH == 1 ]] && args+=(--user root --password "$(cat "$ETCD_DIR/root.password")")
    ETCDCTL_API=3 etcdctl "${args[@]}" "$@"
}

# Waits until the cluster has a leader and answers a write.
etcd_wait_ready() {
    local i
    for i in $(seq 1 100); do
        etcd_ctl put /jit-test/ready 1 >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "etcd cluster did not become ready; logs in $ETCD_DIR" >&2
    return 1
}

etcd_start() {
    ETCD_DIR=$1 ETCD_BASE=$2
    mkdir -p "$ETCD_DIR"
    if [[ $ETCD_TLS == 1 ]]; then etcd_make_tls || { echo "etcd: openssl could not make the test CA" >&2; return 1; }; fi
    local n
    for n in 0 1 2; do etcd_start_member "$n"; done
    etcd_wait_ready
}

# etcd_enable_auth ROLES_FILE USER=PASSWORD_FILE...: the root user, one
# user per host (password from its file), the roles (etcdctl arguments, one
# call a line: what jit-fleet etcd-roles prints), then auth enable.
etcd_enable_auth() {
    local roles=$1 pair
    shift
    head -c 18 /dev/urandom | base64 >"$ETCD_DIR/root.password"
    chmod 600 "$ETCD_DIR/root.password"
    etcd_ctl user add root --interactive=false <"$ETCD_DIR/root.password" >/dev/null || return 1
    etcd_ctl user grant-role root root >/dev/null || return 1
    for pair in "$@"; do
        etcd_ctl user add "${pair%%=*}" --interactive=false <"${pair#*=}" >/dev/null || return 1
    done
    local line
    while read -r -a line; do
        etcd_ctl "${line[@]}" >/dev/null || { echo "etcd: etcdctl ${line[*]} failed" >&2; return 1; }
    done <"$roles"
    etcd_ctl auth enable >/dev/null || return 1
    ETCD_AUTH=1
}

etcd_stop_all() {
    local n
    for n in 0 1 2; do etcd_stop_member "$n"; done
}

#!/bin/bash
# A 3-member etcd cluster on 127.0.0.1 for the fleet tests: sourced, it
# defines etcd_start DIR BASEPORT (members on BASEPORT, +10, +20 for clients
# and +1, +11, +21 for peers), etcd_stop_member N, etcd_start_member N,
# etcd_stop_all.  Every member is stopped by its pid.
ETCD_PIDS=()
ETCD_DIR=
ETCD_BASE=

etcd_member_args() {
    local n=$1 cluster="" i
    for i in 0 1 2; do
        cluster+="${cluster:+,}m$i=http://127.0.0.1:$((ETCD_BASE + 10 * i + 1))"
    done
    echo --name "m$n" --data-dir "$ETCD_DIR/m$n" \
        --listen-client-urls "http://127.0.0.1:$((ETCD_BASE + 10 * n))" \
        --advertise-client-urls "http://127.0.0.1:$((ETCD_BASE + 10 * n))" \
        --listen-peer-urls "http://127.0.0.1:$((ETCD_BASE + 10 * n + 1))" \
        --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_BASE + 10 * n + 1))" \
        --initial-cluster "$cluster" --initial-cluster-state "${ETCD_STATE:-new}" \
        --initial-cluster-token jit-test --heartbeat-interval 50 --election-timeout 500 \
        --auto-compaction-retention 0 --log-level error --logger zap
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
    echo "http://127.0.0.1:$ETCD_BASE,http://127.0.0.1:$((ETCD_BASE + 10)),http://127.0.0.1:$((ETCD_BASE + 20))"
}

# Waits until the cluster has a leader and answers a write.
etcd_wait_ready() {
    local i
    for i in $(seq 1 100); do
        ETCDCTL_API=3 etcdctl --endpoints "$(etcd_endpoints)" --command-timeout=1s \
            put /jit-test/ready 1 >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "etcd cluster did not become ready; logs in $ETCD_DIR" >&2
    return 1
}

etcd_start() {
    ETCD_DIR=$1 ETCD_BASE=$2
    mkdir -p "$ETCD_DIR"
    local n
    for n in 0 1 2; do etcd_start_member "$n"; done
    etcd_wait_ready
}

etcd_stop_all() {
    local n
    for n in 0 1 2; do etcd_stop_member "$n"; done
}

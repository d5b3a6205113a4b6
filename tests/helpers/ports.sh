# Loopback TCP ports for the tests' listeners (sshd in a booted host, etcd's
# members), shared by the system and fleet layers; sourced.  They come from
# below the kernel's ephemeral range: a port inside it can be the local end
# of a connection (etcd's members talk to each other on loopback), which a
# listener check does not see and a listener's bind() then refuses.

# Prints "LOW HIGH", the range the ports come from.
test_port_range() {
    local lo hi
    read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
    if ((lo > 20100)); then echo "20000 $((lo - 100))"; else echo "$((hi + 1)) 65000"; fi
}

# True when any TCP socket (listening or connected) has local port $1.
port_in_use() {
    ss -Htan "sport = :$1" | grep -q .
}

free_port() {
    local p lo hi
    read -r lo hi <<<"$(test_port_range)"
    for p in $(shuf -i "$lo-$hi" -n 50); do
        port_in_use "$p" || { echo "$p"; return 0; }
    done
    return 1
}

# A base port for etcd_start (etcd_cluster.sh): BASE, +1, +10, +11, +20 and
# +21 all free.
free_base_port() {
    local base p ok lo hi
    read -r lo hi <<<"$(test_port_range)"
    for base in $(shuf -i "$lo-$((hi - 21))" -n 30); do
        ok=1
        for p in 0 1 10 11 20 21; do port_in_use $((base + p)) && ok=0; done
        [[ $ok == 1 ]] && { echo "$base"; return 0; }
    done
    return 1
}

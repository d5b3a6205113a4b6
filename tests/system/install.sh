# Puts the freshly built jit onto the booted host: the .deb packages when
# `make deb` has produced them, else the build tree's binaries by hand.
# Either way the host ends with jitd.socket listening, a jit-managed group,
# and pam_jit.so in the sshd and sudo account stacks.

install_jit() {
    local debs=("$PWD/$BUILD"/deb/*.deb)
    if [[ -e ${debs[0]} ]]; then
        cp "${debs[@]}" "$WORK/share/"
        in_host_sh 'DEBIAN_FRONTEND=noninteractive dpkg -i /mnt/jit/*.deb' >"$WORK/dpkg.log" 2>&1 ||
            { cat "$WORK/dpkg.log"; return 1; }
        INSTALLED_FROM="packages: $(cd "$WORK/share" && ls *.deb | tr '\n' ' ')"
    else
        install_from_build_tree || return 1
        INSTALLED_FROM="the build tree (no packages in $BUILD/deb)"
    fi
    in_host_sh 'getent group jit-managed >/dev/null || groupadd --system jit-managed'
    in_host_sh 'mkdir -p /etc/jit && cat > /etc/jit/jitd.conf' <<'CONF'
[managed]
groups = jit-managed
CONF
    in_host systemctl daemon-reload
    in_host systemctl enable --now jitd.socket jit-sweep.timer >/dev/null 2>&1
}

install_from_build_tree() {
    local multiarch
    multiarch=$(gcc -print-multiarch)
    cp "$BUILD/jitd" "$BUILD/jitctl" "$BUILD/jit-sweep" "$BUILD/pam_jit.so" systemd/*.socket \
        systemd/*.service systemd/*.timer "$WORK/share/"
    in_host_sh "install -m 0755 /mnt/jit/jitd /mnt/jit/jit-sweep /usr/sbin/ &&
        install -m 0755 /mnt/jit/jitctl /usr/bin/jitctl &&
        install -m 0644 /mnt/jit/pam_jit.so /lib/$multiarch/security/pam_jit.so &&
        install -m 0644 /mnt/jit/*.socket /mnt/jit/*.service /mnt/jit/*.timer /etc/systemd/system/" ||
        return 1
    # The stanzas of conf/pam.d/*.example: account before common-account,
    # session after the common session stack.
    local line='pam_jit.so managed_groups=jit-managed' service session_stack
    for service in sshd sudo; do
        session_stack=common-session
        [[ $service == sudo ]] && session_stack=common-session-noninteractive
        in_host_sh "sed -i '0,/^@include common-account/s//account required $line\n&/' /etc/pam.d/$service &&
            sed -i '0,/^@include $session_stack\$/s//&\nsession required $line/' /etc/pam.d/$service"
        [[ $(in_host grep -c 'pam_jit.so' "/etc/pam.d/$service") -eq 2 ]] ||
            { echo "pam_jit is not in both stacks of /etc/pam.d/$service"; return 1; }
    done
}

# Puts the freshly built jit onto the booted host: the .deb packages
# whenever they can be had fresh (`make deb` is run when they are missing or
# older than the binaries), else the build tree's binaries by hand.  Either
# way the host ends with jitd.socket listening, a jit-managed group, and
# pam_jit.so in the account and session stacks of sshd and sudo.

# The binaries the packages are made of; packages older than any of them
# would test yesterday's code.
BUILT_BINARIES=(jitd jitctl jit-sweep jit-fleet pam_jit.so pam_jit_core.so libnss_jit.so.2)

# Prints why BUILD/deb does not hold packages of the current binaries, or
# nothing when it does.
stale_debs() {
    local debs=() bin deb
    for deb in "$BUILD"/deb/*.deb; do [[ -e $deb && $deb != *-dbgsym_* ]] && debs+=("$deb"); done
    [[ ${#debs[@]} -gt 0 ]] || { echo "no packages in $BUILD/deb"; return; }
    for bin in "${BUILT_BINARIES[@]}"; do
        [[ -e $BUILD/$bin ]] || continue
        for deb in "${debs[@]}"; do
            [[ $deb -nt $BUILD/$bin ]] || { echo "${deb##*/} is older than $BUILD/$bin"; return; }
        done
    done
}

# Before booting: rebuilds the packages when they are stale and this
# machine can build them.  Sets INSTALL_FROM to debs or tree, and WHY.
choose_install() {
    local why
    why=$(stale_debs)
    if [[ -z $why ]]; then
        INSTALL_FROM=debs WHY="the packages are newer than the binaries"
    elif command -v dpkg-buildpackage >/dev/null; then
        echo "building the packages ($why)..."
        if DEB_BUILD_OPTIONS=nocheck make --no-print-directory -s deb BUILD="$BUILD" >/dev/null; then
            INSTALL_FROM=debs WHY="rebuilt by make deb: $why"
        else
            echo "make deb failed"
            return 1
        fi
    else
        INSTALL_FROM=tree WHY="$why, and dpkg-buildpackage is not installed"
    fi
}

install_jit() {
    if [[ $INSTALL_FROM == debs ]]; then
        install_debs || return 1
    else
        install_from_build_tree || return 1
    fi
    in_host systemctl daemon-reload
    in_host systemctl enable --now jitd.socket jitd-root.socket jit-sweep.timer >/dev/null 2>&1
    in_host install -d -m 0755 /etc/jit/policy.d
}

# The packages as an administrator installs them: their jitd.conf (jit-managed
# and the uids 60500-60999), their sysusers groups, their pam-auth-update
# profiles in common-account and common-session*.
install_debs() {
    local deb
    # jit-jwks-refresh is left out: its key set is installed by hand, and the
    # integration layer tests it against real HTTPS servers.  jit-fleet is
    # installed (s_60 runs two hosts on etcd); without /etc/jit/fleet.conf
    # its unit does not start.
    for deb in "$BUILD"/deb/*.deb; do
        [[ $deb == *-dbgsym_* || ${deb##*/} == jit-jwks-refresh_* ]] ||
            cp "$deb" "$WORK/share/"
    done
    in_host_sh 'DEBIAN_FRONTEND=noninteractive dpkg -i /mnt/jit/*.deb' >"$WORK/dpkg.log" 2>&1 ||
        { cat "$WORK/dpkg.log"; return 1; }
    INSTALLED_FROM="packages ($WHY): $(cd "$WORK/share" && echo *.deb)"
    in_host grep -q '^account.*pam_jit.so' /etc/pam.d/common-account ||
        { echo "the package did not put pam_jit.so into common-account"; return 1; }
}

install_from_build_tree() {
    local multiarch
    multiarch=$(gcc -print-multiarch)
    # pam_jit.so loads pam_jit_core.so from its own directory (pam_jit(8)).
    cp "$BUILD/jitd" "$BUILD/jitctl" "$BUILD/jit-sweep" "$BUILD/jit-fleet" "$BUILD/pam_jit.so" \
        "$BUILD/pam_jit_core.so" systemd/*.socket systemd/*.service systemd/*.timer "$WORK/share/"
    in_host_sh "install -m 0755 /mnt/jit/jitd /mnt/jit/jit-sweep /mnt/jit/jit-fleet /usr/sbin/ &&
        install -m 0755 /mnt/jit/jitctl /usr/bin/jitctl &&
        install -m 0644 /mnt/jit/pam_jit.so /lib/$multiarch/security/pam_jit.so &&
        install -m 0644 /mnt/jit/pam_jit_core.so /lib/$multiarch/security/pam_jit_core.so &&
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
    in_host_sh 'getent group jit-managed >/dev/null || groupadd --system jit-managed'
    in_host_sh 'mkdir -p /etc/jit && cat > /etc/jit/jitd.conf' <<'CONF'
[managed]
groups = jit-managed
CONF
    INSTALLED_FROM="the build tree ($WHY)"
}

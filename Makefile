# jit — the front door.  `make` builds, `make check` installs what is missing
# and runs every test layer this machine allows.  Everything lands in $(BUILD).

BUILD ?= build
CXX ?= g++
CC ?= gcc
OPT ?= -O2 -g
SANITIZE ?=
VERSION := 0.1.0

# `make V=1` shows full command lines.
Q := $(if $(V),,@)
say = $(if $(V),,@printf '  %-6s %s\n' $(1) $(2);)

WARNINGS := -Wall -Wextra -Werror
HARDENING := -fstack-protector-strong -fPIC -fvisibility=hidden
ifeq ($(SANITIZE),)
HARDENING += -D_FORTIFY_SOURCE=2
endif
LDHARDEN := -Wl,-z,relro,-z,now -Wl,--as-needed
CPPFLAGS += -I. -Icommon/include -DJIT_VERSION=\"$(VERSION)\"
CXXFLAGS := -std=c++20 $(OPT) $(WARNINGS) $(HARDENING) $(SANITIZE) -MMD -MP
CFLAGS := -std=c11 $(OPT) $(WARNINGS) $(HARDENING) $(SANITIZE) -MMD -MP
# Code that runs inside other processes (the modules and what they link) is
# built without exceptions or RTTI and linked without libstdc++.  Sections
# per function keep the PAM front's imports to what it calls
# (pam_module/front.cc); so do loops left as written in the code it links
# (PAM_FRONT_LOOPS below), which GCC would otherwise turn into strlen calls.
GUEST_CXXFLAGS := $(CXXFLAGS) -fno-exceptions -fno-rtti -ffunction-sections -fdata-sections
DAEMON_LIBS := -lsystemd -lsqlite3 -linih -lcrypto

CORE_SRC := common/wire.cc common/wire_rules.cc common/client.cc common/unique_fd.cc common/escape.cc \
            common/guest_args.cc common/guest_managed.cc common/guest_check.cc \
            common/snapshot.cc common/snapshot_verify.cc common/crc32c.cc
COMMON_SRC := common/messages.cc common/command_messages.cc common/identity_messages.cc common/fleet_messages.cc \
              common/timefmt.cc common/escape_text.cc
PAM_SRC := $(wildcard pam_module/*.cc)
# pam_jit.so is the front: what it needs to tell an account jit does not
# manage, and no more (pam_module/front.cc says why).  The rest is the core.
PAM_FRONT_SRC := pam_module/front.cc pam_module/auth_args.cc pam_module/party.cc pam_module/exchange.cc
PAM_CORE_SRC := $(filter-out pam_module/front.cc,$(PAM_SRC))
PAM_FRONT_LOOPS := $(PAM_FRONT_SRC) common/guest_args.cc common/guest_managed.cc
NSS_SRC := $(wildcard nss_module/*.cc)
SUDO_SRC := $(wildcard sudo_plugin/*.cc)
DAEMON_SRC := $(wildcard daemon/*/*.cc)
JITCTL_SRC := $(wildcard jitctl/*.cc)
FLEET_SRC := $(filter-out fleet/main.cc,$(wildcard fleet/*.cc))
UNIT_SRC := $(wildcard tests/unit/*.cc tests/unit/*/*.cc)
MODULE_TEST_SRC := $(wildcard tests/module/*.c)
NSS_TEST_SRC := $(wildcard tests/nss/*.c)

obj = $(patsubst %.cc,$(BUILD)/obj/%.o,$(patsubst %.c,$(BUILD)/obj/%.o,$(1)))

LIBCORE := $(BUILD)/libjitcore.a
LIBCOMMON := $(BUILD)/libjitcommon.a
LIBJITD := $(BUILD)/libjitd.a
LIBFLEET := $(BUILD)/libjitfleet.a
JIT_FLEET := $(BUILD)/jit-fleet
JWKS_REFRESH_SRC := $(wildcard jwks_refresh/*.cc)
JWKS_REFRESH := $(BUILD)/jit-jwks-refresh
# Its document checks, also replayed on the key-set fuzz corpus by the unit tests.
JWKS_CHECK_SRC := jwks_refresh/key_set.cc
PAM_SO := $(BUILD)/pam_jit.so
PAM_CORE_SO := $(BUILD)/pam_jit_core.so
NSS_SO := $(BUILD)/libnss_jit.so.2
SUDO_SO := $(BUILD)/jit_sudo.so
JITD := $(BUILD)/jitd
JITCTL := $(BUILD)/jitctl
UNIT_TESTS := $(BUILD)/tests/unit_tests
MODULE_TESTS := $(patsubst tests/module/%.c,$(BUILD)/tests/module/%,$(MODULE_TEST_SRC))
JIT_SWEEP := $(BUILD)/jit-sweep
TEST_HELPERS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(wildcard tests/helpers/*.c))
# Mints signed tokens and JWKS files for the identity tests (test tool only).
JWT_MINT := $(BUILD)/tests/jwt-mint
JWT_SIGN_SRC := tests/helpers/jwt_sign.cc

# Test-only fault injection (an LD_PRELOAD shim); never installed or packaged.
FAULT_SHIMS := $(BUILD)/tests/faults/fsync_fault.so
# jitd with crash points (daemon/base/crash_point.h) for the crash test only:
# the files that hold points are rebuilt with -DJIT_CRASH_POINTS and linked
# ahead of libjitd.a, whose own copies are then not pulled in.
CRASH_SRC := daemon/base/crash_point.cc daemon/server/server.cc daemon/server/reply_holds.cc \
             daemon/server/runtime.cc \
             daemon/store/high_water.cc daemon/accounts/nss_publisher.cc daemon/trail/audit_segments.cc \
             daemon/trail/audit_trail.cc
CRASH_OBJ := $(patsubst %.cc,$(BUILD)/crash-obj/%.o,$(CRASH_SRC))
JITD_CRASH := $(BUILD)/tests/jitd-crash

NSS_TESTS := $(patsubst tests/nss/%.c,$(BUILD)/tests/nss/%,$(NSS_TEST_SRC))
MKSNAPSHOT := $(BUILD)/tests/nss/mksnapshot

.PHONY: jwt-mint crash-jitd layers fleet all deps check unit module integration system fuzz fuzz-long fuzz-replay sanitize bench nss-tsan \
        demo demo-local format format-check clean install deb deb-test packaging
all: $(PAM_SO) $(PAM_CORE_SO) $(NSS_SO) $(SUDO_SO) $(JITD) $(JITCTL) $(JIT_SWEEP) $(JIT_FLEET) $(JWKS_REFRESH)

# ---- objects ----
$(call obj,$(PAM_FRONT_LOOPS)): GUEST_CXXFLAGS += -fno-tree-loop-distribute-patterns
$(call obj,$(CORE_SRC)) \
$(call obj,$(NSS_SRC)) \
$(call obj,$(SUDO_SRC)) \
$(call obj,$(PAM_SRC)): $(BUILD)/obj/%.o: %.cc
	@mkdir -p $(dir $@)
	$(call say,CXX,$<)$(CXX) $(CPPFLAGS) $(GUEST_CXXFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.cc
	@mkdir -p $(dir $@)
	$(call say,CXX,$<)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# ---- libraries and programs ----
$(LIBCORE): $(call obj,$(CORE_SRC))
$(LIBCOMMON): $(call obj,$(COMMON_SRC))
$(LIBJITD): $(call obj,$(DAEMON_SRC))
$(LIBFLEET): $(call obj,$(FLEET_SRC))
$(LIBCORE) $(LIBCOMMON) $(LIBJITD) $(LIBFLEET):
	@mkdir -p $(dir $@)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

# One archive per daemon layer (daemon/LAYERS), for jit-fleet,
# jit-jwks-refresh and the audit helper: each links the layers it uses and
# no more, so a tool that reaches past them fails to link.  jitd, the tests
# and the benches link the whole $(LIBJITD).
layer_lib = $(BUILD)/lib/jitd-$(1).a
layer_libs = $(foreach layer,$(1),$(call layer_lib,$(layer)))
.SECONDEXPANSION:
$(BUILD)/lib/jitd-%.a: $$(call obj,$$(wildcard daemon/$$*/*.cc))
	@mkdir -p $(dir $@)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^
# Top layer first: dependencies run downward.
FLEET_LAYERS := config audit time base
JWKS_REFRESH_LAYERS := config base

# Small libraries for jitctl and jit-sweep, named for what they hold and
# listed file by file (docs/architecture.md): the tools link these and not
# the daemon archive, so a tool that starts to need more of jitd fails to link.
TOOLLIB = $(BUILD)/lib/libjit$(1).a
# jitd.conf, the records (model) and the names and sources everything checks.
LIBJITBASE_SRC := daemon/base/ids.cc $(wildcard daemon/config/*.cc) daemon/model/request.cc \
                  daemon/grants/cidr.cc daemon/grants/local_source.cc
# Clock-free time: TZif zones, POSIX TZ rules, schedules.
LIBJITTIME_SRC := $(wildcard daemon/time/*.cc)
# Policy parsing (jitctl policy check) and command scopes; not evaluation.
LIBJITPOLICY_SRC := daemon/policy/policy_load.cc daemon/policy/policy_model.cc \
                    daemon/policy/policy_parse.cc daemon/policy/policy_values.cc daemon/policy/command_scope.cc
# The audit log as pure logic: records, keys, Merkle tree, checkpoints, export, verify.
LIBJITAUDIT_SRC := $(wildcard daemon/audit/*.cc)
# The state in jit.db: the store, its audit trail, and the grants read back into a book.
LIBJITSTATE_SRC := $(wildcard daemon/store/*.cc) daemon/trail/audit_trail.cc daemon/trail/epoch_key.cc \
                   daemon/trail/segment_writer.cc \
                   daemon/grants/grant_book.cc
# The journal, and the notification payloads the audit trail journals.
LIBJITEVENTS_SRC := daemon/events/journal.cc daemon/events/journal_socket.cc daemon/events/notify.cc
# Ending sessions without jitd: the plan, the processes, the terminator.
LIBJITSESSIONEND_SRC := daemon/sessions/proc.cc daemon/sessions/session_plan.cc \
                        daemon/sessions/session_scope.cc daemon/sessions/terminator.cc
$(call TOOLLIB,base): $(call obj,$(LIBJITBASE_SRC))
$(call TOOLLIB,time): $(call obj,$(LIBJITTIME_SRC))
$(call TOOLLIB,policy): $(call obj,$(LIBJITPOLICY_SRC))
$(call TOOLLIB,audit): $(call obj,$(LIBJITAUDIT_SRC))
$(call TOOLLIB,state): $(call obj,$(LIBJITSTATE_SRC))
$(call TOOLLIB,events): $(call obj,$(LIBJITEVENTS_SRC))
$(call TOOLLIB,sessionend): $(call obj,$(LIBJITSESSIONEND_SRC))
$(foreach l,base time policy audit events state sessionend,$(call TOOLLIB,$(l))):
	@mkdir -p $(dir $@)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^
# Top library first: dependencies run downward.
JITCTL_LIBS := $(foreach l,policy audit time base,$(call TOOLLIB,$(l)))
SWEEP_LIBS := $(foreach l,sessionend state events audit base,$(call TOOLLIB,$(l)))

# Linked with the C driver: any libstdc++ symbol is a link error, which is how
# we know the module needs nothing beyond libc and libpam.  The front drops
# every section it does not reach (--gc-sections), so it imports only what
# the unmanaged path and the core's loading call, and has no start files
# (their four weak symbols cost every pam_start a lookup each), and without
# -lpam: it finds libpam's functions itself (front.cc says why).  -z nodelete:
# once loaded it stays, so a process's later pam_starts find it mapped and
# bound instead of loading it again (the core is still unloaded at pam_end).
$(PAM_SO): $(call obj,$(PAM_FRONT_SRC)) $(LIBCORE) pam_module/pam_jit.map
	$(call say,LD,$@)$(CC) -shared -nostartfiles $(SANITIZE) $(LDHARDEN) -Wl,-z,nodelete -Wl,--no-undefined -Wl,--gc-sections \
	    -Wl,--version-script=pam_module/pam_jit.map -o $@ $(call obj,$(PAM_FRONT_SRC)) $(LIBCORE)

$(PAM_CORE_SO): $(call obj,$(PAM_CORE_SRC)) $(LIBCORE) pam_module/pam_jit_core.map
	$(call say,LD,$@)$(CC) -shared $(SANITIZE) $(LDHARDEN) -Wl,--no-undefined -Wl,--version-script=pam_module/pam_jit_core.map \
	    -o $@ $(call obj,$(PAM_CORE_SRC)) $(LIBCORE) -lpam

# The same rules for the NSS module: it needs libc alone.
$(NSS_SO): $(call obj,$(NSS_SRC)) $(LIBCORE) nss_module/nss_jit.map
	$(call say,LD,$@)$(CC) -shared $(SANITIZE) $(LDHARDEN) -Wl,--no-undefined -Wl,-soname,libnss_jit.so.2 \
	    -Wl,--version-script=nss_module/nss_jit.map -o $@ $(call obj,$(NSS_SRC)) $(LIBCORE)

# The sudo approval plugin, a guest in sudo: libc alone, one exported symbol.
$(SUDO_SO): $(call obj,$(SUDO_SRC)) $(LIBCORE) sudo_plugin/jit_sudo.map
	$(call say,LD,$@)$(CC) -shared $(SANITIZE) $(LDHARDEN) -Wl,--no-undefined \
	    -Wl,--version-script=sudo_plugin/jit_sudo.map -o $@ $(call obj,$(SUDO_SRC)) $(LIBCORE)

$(JITD): $(call obj,daemon/main.cc) $(LIBJITD) $(LIBCOMMON) $(LIBCORE)
	$(call say,LD,$@)$(CXX) $(SANITIZE) -pie $(LDHARDEN) -o $@ $^ $(DAEMON_LIBS)

$(JIT_SWEEP): $(call obj,sweep/main.cc) $(SWEEP_LIBS) $(LIBCOMMON) $(LIBCORE)
	$(call say,LD,$@)$(CXX) $(SANITIZE) -pie $(LDHARDEN) -o $@ $^ $(DAEMON_LIBS)

# jit-fleet: the only jit program with network access (etcd through libcurl).
$(JIT_FLEET): $(call obj,fleet/main.cc) $(LIBFLEET) $(call layer_libs,$(FLEET_LAYERS)) $(LIBCOMMON) $(LIBCORE)
	$(call say,LD,$@)$(CXX) $(SANITIZE) -pie $(LDHARDEN) -o $@ $^ -lcurl -lcrypto -lsystemd -linih -lpthread

# jit-jwks-refresh: fetches issuers' key sets over HTTPS (libcurl) for jitd,
# which has no network; it reads identity.d with jitd's own INI reader.
$(JWKS_REFRESH): $(call obj,$(JWKS_REFRESH_SRC)) $(call layer_libs,$(JWKS_REFRESH_LAYERS)) $(LIBCOMMON) $(LIBCORE)
	$(call say,LD,$@)$(CXX) $(SANITIZE) -pie $(LDHARDEN) -o $@ $^ -lcurl -lcrypto -linih

# Test helpers: small C programs the integration layer drives (a PAM session host).
$(BUILD)/tests/helpers/%: $(BUILD)/obj/tests/helpers/%.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(SANITIZE) -pie $(LDHARDEN) -o $@ $^ -lpam

# Writes audit logs with the audit library, for the offline tools' tests and bench.
AUDIT_MKLOG := $(BUILD)/tests/helpers/audit_mklog
$(AUDIT_MKLOG): $(call obj,tests/helpers/audit_mklog.cc) $(call layer_libs,audit) $(LIBCOMMON) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CXX) $(SANITIZE) -pie $(LDHARDEN) -o $@ $^ -lcrypto

$(JWT_MINT): $(call obj,tests/helpers/jwt_mint.cc $(JWT_SIGN_SRC))
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CXX) $(SANITIZE) -pie $(LDHARDEN) -o $@ $^ -lcrypto

# jitctl links the daemon's policy parser (policy check lints without jitd)
# and the audit library (audit verify works offline).
$(JITCTL): $(call obj,$(JITCTL_SRC)) $(JITCTL_LIBS) $(LIBCOMMON) $(LIBCORE)
	$(call say,LD,$@)$(CXX) $(SANITIZE) -pie $(LDHARDEN) -o $@ $^ -linih -lcrypto

# The NSS module's fill code joins the unit tests for the snapshot corpus replay.
$(UNIT_TESTS): $(call obj,$(UNIT_SRC)) $(call obj,nss_module/fill.cc $(JWT_SIGN_SRC) $(JWKS_CHECK_SRC)) $(LIBFLEET) $(LIBJITD) $(LIBCOMMON) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CXX) $(SANITIZE) -pie $(LDHARDEN) -o $@ $^ $(DAEMON_LIBS) -lcurl -lgtest -lgtest_main -lpthread

$(CRASH_OBJ): $(BUILD)/crash-obj/%.o: %.cc
	@mkdir -p $(dir $@)
	$(call say,CXX,$< [crash points])$(CXX) $(CPPFLAGS) -DJIT_CRASH_POINTS $(CXXFLAGS) -c $< -o $@

$(JITD_CRASH): $(call obj,daemon/main.cc) $(CRASH_OBJ) $(LIBJITD) $(LIBCOMMON) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CXX) $(SANITIZE) -pie $(LDHARDEN) -o $@ $^ $(DAEMON_LIBS)

crash-jitd: $(JITD_CRASH)
jwt-mint: $(JWT_MINT)

$(BUILD)/tests/faults/%.so: tests/faults/%.c
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(CPPFLAGS) $(CFLAGS) -shared -o $@ $< -ldl

$(BUILD)/tests/module/%: $(BUILD)/obj/tests/module/%.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(SANITIZE) -pie $(LDHARDEN) $(MODULE_TEST_LDFLAGS) -o $@ $^ -lcmocka -lpam

# tests/module/auth.c has its own free(), which records whether the module
# wiped the token's buffer; exported, it is the one the module calls.
$(BUILD)/tests/module/auth: MODULE_TEST_LDFLAGS := -Wl,--export-dynamic-symbol=free

$(BUILD)/tests/nss/%: $(BUILD)/obj/tests/nss/%.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(SANITIZE) -pie $(LDHARDEN) -o $@ $^ -lcmocka -ldl -lpthread

# Writes snapshots with jitd's own writer, for the NSS module tests and bench.
$(MKSNAPSHOT): $(BUILD)/obj/tests/nss/mksnapshot.o $(LIBJITD) $(LIBCOMMON) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CXX) $(SANITIZE) -pie $(LDHARDEN) -o $@ $^ $(DAEMON_LIBS)

# ---- test layers ----
deps:
	@scripts/install-deps

check: deps
	@scripts/run-checks

layers:
	@scripts/check-layers

unit: $(UNIT_TESTS)
	$(UNIT_TESTS) --gtest_brief=1

# The module layer: pam_jit.so, then libnss_jit.so.2; both run, either failing fails.
module: all $(MODULE_TESTS) $(NSS_TESTS) $(MKSNAPSHOT) nss-tsan
	@pam=0; nss=0; tests/module/run $(BUILD) || pam=$$?; tests/nss/run $(BUILD) || nss=$$?; \
	    [ $$pam -eq 0 ] && [ $$nss -eq 0 ]

# The fleet layer: a real 3-member etcd on loopback and simulated hosts.
fleet: all $(BUILD)/tests/fleet/deny_watch
	@tests/fleet/run $(BUILD); rc=$$?; [ $$rc -eq 77 ] && echo "fleet layer SKIPPED (see above)"; [ $$rc -eq 0 ] || [ $$rc -eq 77 ]

$(BUILD)/tests/fleet/deny_watch: $(BUILD)/obj/tests/fleet/deny_watch.o $(LIBCOMMON) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CXX) $(SANITIZE) -pie $(LDHARDEN) -o $@ $^

integration: all $(TEST_HELPERS) $(AUDIT_MKLOG) $(FAULT_SHIMS) $(JITD_CRASH) $(JWT_MINT)
	@tests/integration/run $(BUILD)

system: all $(JWT_MINT)
	@tests/system/run $(BUILD); rc=$$?; [ $$rc -eq 77 ] && echo "system layer SKIPPED (see above)"; [ $$rc -eq 0 ] || [ $$rc -eq 77 ]

# libnss_jit.so.2 and its thread and fork test under ThreadSanitizer, in
# $(BUILD)/tsan; tests/nss/run runs them when they are there.
nss-tsan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/tsan OPT="-O1 -g" SANITIZE="-fsanitize=thread" \
	    $(BUILD)/tsan/libnss_jit.so.2 $(BUILD)/tsan/tests/nss/threads

sanitize:
	$(MAKE) BUILD=$(BUILD)/asan OPT="-O1 -g" \
	    SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" unit

fuzz:
	@tests/fuzz/run $(BUILD) $${FUZZ_SECONDS:-60}

# The long campaign: every target for FUZZ_SECONDS (default 600) each, the
# corpus kept in $(BUILD)/fuzz-long, coverage per decoder (tests/fuzz/README.md).
fuzz-long:
	@tests/fuzz/long $(BUILD) $${FUZZ_SECONDS:-600}

bench: all $(AUDIT_MKLOG)
	@bench/run $(BUILD)

# The story on a booted Debian container (root); scripts/demo falls back to
# demo-local, which needs no root, when it cannot boot one.  Both install
# what they need and build first.
demo:
	@scripts/demo $(BUILD)

demo-local:
	@scripts/demo-local $(BUILD)

# Tracked files and new ones not yet added (but not ignored ones): a new file
# is formatted and checked before its first commit, not after.
FORMAT_FILES = $(shell git ls-files --cached --others --exclude-standard '*.cc' '*.h' '*.c')
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

# ---- install: the layout of the Debian packages ----
# `make install DESTDIR=... PREFIX=/usr` installs what debian/rules packages.
# The PAM module and the units go where libpam and systemd look for them,
# whatever PREFIX is; the units' ExecStart= paths follow SBINDIR/BINDIR.
# Pieces that exist only in some trees (the NSS module, policy examples,
# more units and man pages) are installed when they are there.
PREFIX ?= /usr
ifeq ($(MULTIARCH),)
MULTIARCH := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || $(CC) -print-multiarch)
endif
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
PAMDIR ?= /lib/$(MULTIARCH)/security
NSSDIR ?= $(PREFIX)/lib/$(MULTIARCH)
# sudo loads jit_sudo.so by the absolute path in sudo.conf; an
# architecture-qualified directory keeps libpam-jit Multi-Arch: same.
SUDOPLUGINDIR ?= $(PREFIX)/lib/$(MULTIARCH)/jit
UNITDIR ?= /lib/systemd/system
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
CATALOGDIR ?= $(PREFIX)/lib/systemd/catalog
PAMCONFIGDIR ?= $(DATADIR)/pam-configs
COMPLETIONDIR ?= $(DATADIR)/bash-completion/completions

INSTALL_SBIN := $(JITD) $(JIT_SWEEP) $(JIT_FLEET) $(JWKS_REFRESH)
INSTALL_BIN := $(JITCTL)
INSTALL_NSS := $(if $(wildcard nss_module/),$(BUILD)/libnss_jit.so.2)
INSTALL_UNITS := $(wildcard systemd/*.service systemd/*.socket systemd/*.timer)
INSTALL_MAN := $(wildcard man/*.[1-8])
INSTALL_POLICY := $(wildcard conf/policy.d/*)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(PAMDIR) $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(CATALOGDIR) \
	    $(DESTDIR)$(PAMCONFIGDIR) $(DESTDIR)$(COMPLETIONDIR) $(DESTDIR)$(SYSCONFDIR)/jit
	@# policy.d starts empty: no rule, so only jitctl grant creates grants.
	install -m 0755 $(INSTALL_SBIN) $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(INSTALL_BIN) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(PAM_SO) $(DESTDIR)$(PAMDIR)/pam_jit.so
	install -m 0644 $(PAM_CORE_SO) $(DESTDIR)$(PAMDIR)/pam_jit_core.so
	install -d $(DESTDIR)$(SUDOPLUGINDIR) $(DESTDIR)$(DATADIR)/libpam-jit
	install -m 0644 $(SUDO_SO) $(DESTDIR)$(SUDOPLUGINDIR)/jit_sudo.so
	install -m 0755 conf/sudo/jit-sudo-conf $(DESTDIR)$(DATADIR)/libpam-jit/jit-sudo-conf
	$(if $(INSTALL_NSS),install -d $(DESTDIR)$(NSSDIR) && install -m 0644 $(INSTALL_NSS) $(DESTDIR)$(NSSDIR)/)
	for unit in $(INSTALL_UNITS); do \
	    sed -e 's|=/usr/sbin/|=$(SBINDIR)/|' -e 's|=/usr/bin/|=$(BINDIR)/|' $$unit \
	        >$(DESTDIR)$(UNITDIR)/$${unit##*/} && chmod 0644 $(DESTDIR)$(UNITDIR)/$${unit##*/} || exit 1; \
	done
	install -m 0644 systemd/tmpfiles.d/jit.conf $(DESTDIR)$(TMPFILESDIR)/jit.conf
	install -m 0644 systemd/sysusers.d/jit.conf $(DESTDIR)$(SYSUSERSDIR)/jit.conf
	install -m 0644 systemd/catalog/jit.catalog $(DESTDIR)$(CATALOGDIR)/jit.catalog
	install -m 0644 $(wildcard conf/pam-configs/*) $(DESTDIR)$(PAMCONFIGDIR)/
	install -m 0644 jitctl/completion.bash $(DESTDIR)$(COMPLETIONDIR)/jitctl
	for page in $(INSTALL_MAN); do \
	    install -D -m 0644 $$page $(DESTDIR)$(MANDIR)/man$${page##*.}/$${page##*/} || exit 1; \
	done
	@# Configuration is never overwritten: a live system keeps its edits.
	test -e $(DESTDIR)$(SYSCONFDIR)/jit/jitd.conf || \
	    install -m 0644 conf/jitd.conf $(DESTDIR)$(SYSCONFDIR)/jit/jitd.conf
	@# Policy says who may get in and when: root and jitd's admin group only
	@# (the package's postinst gives the directory that group).
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/jit/policy.d
	for f in $(INSTALL_POLICY); do \
	    test -e $(DESTDIR)$(SYSCONFDIR)/jit/policy.d/$${f##*/} || \
	        install -m 0644 $$f $(DESTDIR)$(SYSCONFDIR)/jit/policy.d/ || exit 1; \
	done

# ---- Debian packages ----
# Into $(BUILD)/deb from a copy of the tree; see scripts/build-debs.
deb:
	@scripts/build-debs $(BUILD)

# Installs, upgrades, removes and purges them on a booted Debian 12
# container (root; debootstrap once, cached in $(BUILD)/rootfs).
deb-test: deb
	@tests/packaging/boot-test $(BUILD)

# The packaging layer of `make check`: install layout, units, catalog,
# pam-auth-update profile, packages and lintian.
packaging: all
	@tests/packaging/run $(BUILD)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/crash-obj -name '*.d' 2>/dev/null)

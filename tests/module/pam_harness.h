// Runs pam_jit.so inside a real libpam, under pam_wrapper.
//
// pam_wrapper copies PAM_WRAPPER_SERVICE_DIR once, when the process starts, so
// service files cannot be written by a test that is already running.  Each test
// binary therefore declares its PAM stacks in a table; harness_boot writes
// them into a fresh temporary directory and re-executes the binary with
// LD_PRELOAD=libpam_wrapper.so pointing at them.  Every stack names the same
// socket path in that directory; each test starts its own fake server there.
#pragma once

#include <dirent.h>
#include <dlfcn.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <security/pam_appl.h>

#include "fake_server.h"
#include "measure.h"

// How the module sits in the stack.
enum stack_shape {
    // "[success=done ignore=ignore default=die] pam_jit.so" then pam_deny.so:
    // the stack returns the module's own code, except that PAM_IGNORE falls
    // through to pam_deny and comes out as PAM_AUTH_ERR, a code pam_jit never
    // returns.  This makes every result of the module observable.
    STACK_PROBE,
    // "required pam_jit.so" then "required pam_permit.so": a production stack.
    STACK_REQUIRED_THEN_PERMIT,
    // "required pam_jit.so" and nothing else.
    STACK_ALONE,
    // The auth phase: "auth [success=done ignore=ignore default=die]
    // pam_jit.so" then pam_debug.so auth=maxtries: the stack returns the
    // module's own code, and PAM_IGNORE comes out as PAM_MAXTRIES, a code
    // pam_jit never returns.
    STACK_AUTH_PROBE,
    // "account required pam_jit.so" and "session required pam_jit.so": the
    // account check and the session phases of one login.
    STACK_ACCOUNT_AND_SESSION,
};

// One PAM service file.  In args, {sock} {uid} {other_uid} {user} {group}
// {subject_uid} {subject_group} are
// replaced by the socket path, our uid, a uid that is not ours, our user name
// and our primary group's name.
struct service_def {
    const char* name;
    enum stack_shape shape;
    const char* args;
};

#define MANAGED_USER "deploy"   // named by managed_users= in the stacks; need not exist
#define UNMANAGED_USER "alice"  // named by nothing

static struct harness {
    char dir[80];  // short, so every path below fits a sockaddr_un
    char services[96];
    char socket_path[108];
    char aux_path[108];  // a second path in dir for tests that need one
    char module[PATH_MAX];
    uid_t uid, other_uid;
    char user[64], group[64];
    // The account the uid and group rules are tried on.  pam_jit never manages
    // root, so as root the tests use the system account "daemon" instead.
    uid_t subject_uid;
    char subject[64], subject_group[64];
    const struct service_def* defs;
    size_t ndefs;
    // Set before harness_boot to name, for some services, a directory in the
    // test's temporary directory whose pam_jit.so the stack loads instead of
    // the built one (the test puts files there); NULL for the built module.
    const char* (*module_dir_of)(const char* service);
} H;

static inline void harness_die(const char* what) {
    fprintf(stderr, "module test harness: %s: %s\n", what, errno ? strerror(errno) : "");
    exit(1);
}

static inline void harness_identity(void) {
    H.uid = getuid();
    H.other_uid = H.uid == 65534 ? 65533 : 65534;
    struct passwd* pw = getpwuid(H.uid);
    if (!pw) harness_die("cannot look up our own uid");
    snprintf(H.user, sizeof H.user, "%s", pw->pw_name);
    struct group* gr = getgrgid(pw->pw_gid);
    if (!gr) harness_die("cannot look up our primary group");
    snprintf(H.group, sizeof H.group, "%s", gr->gr_name);
    struct passwd* subject = H.uid == 0 ? getpwnam("daemon") : pw;
    if (!subject) harness_die("cannot look up the system account daemon");
    H.subject_uid = subject->pw_uid;
    snprintf(H.subject, sizeof H.subject, "%s", subject->pw_name);
    struct group* sg = getgrgid(subject->pw_gid);
    if (!sg) harness_die("cannot look up the subject's primary group");
    snprintf(H.subject_group, sizeof H.subject_group, "%s", sg->gr_name);
}

// JIT_PAM_MODULE, or BUILD/pam_jit.so derived from BUILD/tests/module/NAME.
static inline void harness_find_module(void) {
    char exe[PATH_MAX], guess[PATH_MAX + 32];
    const char* given = getenv("JIT_PAM_MODULE");
    if (!given) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0) harness_die("cannot read /proc/self/exe");
        exe[n] = '\0';
        *strrchr(exe, '/') = '\0';
        snprintf(guess, sizeof guess, "%s/../../pam_jit.so", exe);
        given = guess;
    }
    if (!realpath(given, H.module)) harness_die("cannot find pam_jit.so (set JIT_PAM_MODULE)");
}

static inline void harness_expand(const char* in, char* out, size_t cap) {
    char uid[16], other[16], subject_uid[16];
    snprintf(uid, sizeof uid, "%u", (unsigned)H.uid);
    snprintf(other, sizeof other, "%u", (unsigned)H.other_uid);
    snprintf(subject_uid, sizeof subject_uid, "%u", (unsigned)H.subject_uid);
    const char* keys[] = {"{sock}",  "{uid}",         "{other_uid}",    "{user}",
                          "{group}", "{subject_uid}", "{subject_group}"};
    const char* values[] = {H.socket_path, uid,         other,          H.user,
                            H.group,       subject_uid, H.subject_group};
    const size_t nkeys = sizeof keys / sizeof keys[0];
    size_t o = 0;
    while (*in && o + 1 < cap) {
        size_t k = 0;
        while (k < nkeys && strncmp(in, keys[k], strlen(keys[k])) != 0) ++k;
        if (k == nkeys) {
            out[o++] = *in++;
            continue;
        }
        o += (size_t)snprintf(out + o, cap - o, "%s", values[k]);
        if (o >= cap) harness_die("service line too long");
        in += strlen(keys[k]);
    }
    out[o] = '\0';
}

static inline void harness_write_service(const struct service_def* d) {
    char args[2048], path[PATH_MAX + 80], module[PATH_MAX];
    harness_expand(d->args, args, sizeof args);
    const char* module_dir = H.module_dir_of ? H.module_dir_of(d->name) : NULL;
    if (module_dir)
        snprintf(module, sizeof module, "%s/%s/pam_jit.so", H.dir, module_dir);
    else
        snprintf(module, sizeof module, "%s", H.module);
    snprintf(path, sizeof path, "%s/%s", H.services, d->name);
    FILE* f = fopen(path, "wx");
    if (!f) harness_die("cannot write a service file (duplicate name?)");
    switch (d->shape) {
        case STACK_PROBE:
            fprintf(f, "account [success=done ignore=ignore default=die] %s %s\n", module, args);
            fprintf(f, "account required pam_deny.so\n");
            break;
        case STACK_REQUIRED_THEN_PERMIT:
            fprintf(f, "account required %s %s\n", module, args);
            fprintf(f, "account required pam_permit.so\n");
            break;
        case STACK_ALONE:
            fprintf(f, "account required %s %s\n", module, args);
            break;
        case STACK_AUTH_PROBE:
            fprintf(f, "auth [success=done ignore=ignore default=die] %s %s\n", module, args);
            fprintf(f, "auth required pam_debug.so auth=maxtries\n");
            break;
        case STACK_ACCOUNT_AND_SESSION:
            fprintf(f, "account required %s %s\n", module, args);
            fprintf(f, "session required %s %s\n", module, args);
            break;
    }
    if (fclose(f) != 0) harness_die("cannot write a service file");
}

// libpam falls back to "other" for a service it cannot find; make that deny.
static inline void harness_write_other(void) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/other", H.services);
    FILE* f = fopen(path, "wx");
    if (!f || fputs("account required pam_deny.so\nauth required pam_deny.so\n", f) < 0 ||
        fclose(f) != 0)
        harness_die("cannot write the other service file");
}

static inline void harness_paths(void) {
    snprintf(H.services, sizeof H.services, "%s/services", H.dir);
    snprintf(H.socket_path, sizeof H.socket_path, "%s/jitd.sock", H.dir);
    snprintf(H.aux_path, sizeof H.aux_path, "%s/aux", H.dir);
}

// First stage: write the stacks, then exec ourselves under pam_wrapper.
static inline void harness_reexec(char** argv) {
    const char* tmp = getenv("TMPDIR");
    int n = snprintf(H.dir, sizeof H.dir, "%s/jit-module-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (n < 0 || (size_t)n >= sizeof H.dir) harness_die("TMPDIR is too long for a socket path");
    if (!mkdtemp(H.dir)) harness_die("mkdtemp");
    harness_paths();
    if (mkdir(H.services, 0700) != 0) harness_die("mkdir services");
    for (size_t i = 0; i < H.ndefs; ++i) harness_write_service(&H.defs[i]);
    harness_write_other();
    char preload[PATH_MAX + 64];
    const char* old = getenv("LD_PRELOAD");
    // ":" between entries: valgrind, when it follows an exec, removes its own
    // entry by colons, and would take a space-joined neighbour with it.
    snprintf(preload, sizeof preload, "%s%slibpam_wrapper.so", old ? old : "", old ? ":" : "");
    if (setenv("LD_PRELOAD", preload, 1) || setenv("PAM_WRAPPER", "1", 1) ||
        setenv("PAM_WRAPPER_SERVICE_DIR", H.services, 1) ||
        setenv("JIT_MODULE_TEST_DIR", H.dir, 1) || setenv("JIT_PAM_MODULE", H.module, 1))
        harness_die("setenv");
    // The binary's own path, not "/proc/self/exe": under valgrind
    // --trace-children=yes that link names valgrind's tool, while readlink
    // (which valgrind answers for the client) names this test.
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) harness_die("cannot read /proc/self/exe");
    self[len] = '\0';
    execv(self, argv);
    harness_die("cannot re-execute under pam_wrapper");
}

// Call first in main.  Returns only in the second stage, under pam_wrapper.
static inline void harness_boot(char** argv, const struct service_def* defs, size_t ndefs) {
    H.defs = defs;
    H.ndefs = ndefs;
    harness_identity();
    harness_find_module();
    const char* dir = getenv("JIT_MODULE_TEST_DIR");
    if (!dir) harness_reexec(argv);
    if ((size_t)snprintf(H.dir, sizeof H.dir, "%s", dir) >= sizeof H.dir)
        harness_die("JIT_MODULE_TEST_DIR is too long");
    harness_paths();
    // Never run these stacks against the real /etc/pam.d.
    if (!dlsym(RTLD_DEFAULT, "pwrap_constructor")) {
        errno = 0;
        harness_die("libpam_wrapper.so is not loaded (is libpam-wrapper installed?)");
    }
}

// Call last in main: removes the temporary directory.
static inline void harness_finish(void) {
    char path[PATH_MAX + 80];
    for (size_t i = 0; i < H.ndefs; ++i) {
        snprintf(path, sizeof path, "%s/%s", H.services, H.defs[i].name);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/other", H.services);
    unlink(path);
    rmdir(H.services);
    unlink(H.socket_path);
    unlink(H.aux_path);
    rmdir(H.dir);
}

// ---- one pam_acct_mgmt through the real stack ----
struct pam_items {
    const char* rhost;
    const char* tty;
    const char* ruser;
};

// Called right around pam_acct_mgmt (inside the fd counting and timing).
struct call_hooks {
    void (*before)(void* ctx);
    void (*after)(void* ctx);
    void* ctx;
};

struct call_result {
    int start_rc;               // pam_start
    int stack_rc;               // pam_acct_mgmt: what the application sees
    int module_rc;              // pam_jit's own code, recovered from a STACK_PROBE; -1 otherwise
    long long elapsed_ms;       // of pam_acct_mgmt alone
    int fds_before, fds_after;  // right around pam_acct_mgmt
};

static inline int no_conversation(int n, const struct pam_message** msg, struct pam_response** resp,
                                  void* data) {
    (void)n, (void)msg, (void)resp, (void)data;
    return PAM_CONV_ERR;
}

static inline enum stack_shape harness_shape(const char* service) {
    for (size_t i = 0; i < H.ndefs; ++i)
        if (strcmp(H.defs[i].name, service) == 0) return H.defs[i].shape;
    fail_msg("service %s is not in this binary's table", service);
    return STACK_ALONE;
}

static inline void set_item(pam_handle_t* pamh, int type, const char* value) {
    if (value && pam_set_item(pamh, type, value) != PAM_SUCCESS) fail_msg("pam_set_item failed");
}

static inline struct call_result account_call(const char* service, const char* user,
                                              const struct pam_items* items,
                                              const struct call_hooks* hooks) {
    struct call_result r = {.module_rc = -1};
    struct pam_conv conv = {no_conversation, NULL};
    pam_handle_t* pamh = NULL;
    enum stack_shape shape = harness_shape(service);
    r.start_rc = pam_start(service, user, &conv, &pamh);
    if (r.start_rc != PAM_SUCCESS) fail_msg("pam_start(%s): %d", service, r.start_rc);
    if (items) {
        set_item(pamh, PAM_RHOST, items->rhost);
        set_item(pamh, PAM_TTY, items->tty);
        set_item(pamh, PAM_RUSER, items->ruser);
    }
    if (hooks && hooks->before) hooks->before(hooks->ctx);
    r.fds_before = count_open_fds();
    long long t0 = now_ms();
    r.stack_rc = pam_acct_mgmt(pamh, 0);
    r.elapsed_ms = now_ms() - t0;
    r.fds_after = count_open_fds();
    if (hooks && hooks->after) hooks->after(hooks->ctx);
    pam_end(pamh, r.stack_rc);
    if (shape == STACK_PROBE) r.module_rc = r.stack_rc == PAM_AUTH_ERR ? PAM_IGNORE : r.stack_rc;
    return r;
}

static inline struct call_result account(const char* service, const char* user) {
    return account_call(service, user, NULL, NULL);
}

static inline const char* pam_code_name(int rc) {
    switch (rc) {
        case PAM_SUCCESS:
            return "PAM_SUCCESS";
        case PAM_IGNORE:
            return "PAM_IGNORE";
        case PAM_PERM_DENIED:
            return "PAM_PERM_DENIED";
        case PAM_SERVICE_ERR:
            return "PAM_SERVICE_ERR";
        case PAM_AUTH_ERR:
            return "PAM_AUTH_ERR";
        case PAM_USER_UNKNOWN:
            return "PAM_USER_UNKNOWN";
        case PAM_SYSTEM_ERR:
            return "PAM_SYSTEM_ERR";
        case PAM_ABORT:
            return "PAM_ABORT";
        case PAM_CONV_ERR:
            return "PAM_CONV_ERR";
        case PAM_AUTHINFO_UNAVAIL:
            return "PAM_AUTHINFO_UNAVAIL";
        case PAM_MAXTRIES:
            return "PAM_MAXTRIES";
        default:
            return "another PAM code";
    }
}

#define assert_pam_rc(expected, actual)                                                    \
    do {                                                                                   \
        int expected_ = (expected), actual_ = (actual);                                    \
        if (expected_ != actual_)                                                          \
            fail_msg("expected %s (%d), got %s (%d)", pam_code_name(expected_), expected_, \
                     pam_code_name(actual_), actual_);                                     \
    } while (0)

// ---- per-test fixture: one fake server at H.socket_path ----
struct fixture {
    struct fake_server server;
};

static inline int fixture_setup(void** state) {
    static struct fixture fx;
    memset(&fx, 0, sizeof fx);
    fx.server.pid = -1;
    fx.server.listen_fd = -1;
    *state = &fx;
    return 0;
}

static inline int fixture_teardown(void** state) {
    struct fixture* fx = (struct fixture*)*state;
    server_stop(&fx->server);
    unlink(H.socket_path);
    unlink(H.aux_path);
    return 0;
}

// Starts the fixture's fake server or fails the test.
static inline struct fake_server* serve(void** state, reply_fn reply) {
    struct fixture* fx = (struct fixture*)*state;
    if (server_start(&fx->server, H.socket_path, reply) != 0) fail_msg("cannot start fake server");
    return &fx->server;
}

#define JIT_TEST(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

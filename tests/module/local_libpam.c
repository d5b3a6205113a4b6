// pam_jit.so's front does not name libpam as a library it needs: it finds
// libpam's functions itself, in the program's global scope the way an import
// would be bound, and otherwise in the libpam already loaded.  This runs it
// the hard way: a program that has no libpam of its own, loads libpam with
// RTLD_LOCAL (as ctypes does) and runs a real stack from a config directory,
// without pam_wrapper.  An unmanaged account is let through (the front read
// PAM_USER through the libpam it found: an unread user goes to the core and
// is denied), a managed one loads the core, is denied (no jitd) and pam_end
// unloads the core again.
//
// Not under pam_harness.h (which preloads pam_wrapper, a libpam in the global
// scope): this binary must not link libpam, and does not (it calls libpam
// only through dlsym; the link uses --as-needed).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <security/pam_appl.h>

typedef int (*StartConfdir)(const char*, const char*, const struct pam_conv*, const char*,
                            pam_handle_t**);
typedef int (*AcctMgmt)(pam_handle_t*, int);
typedef int (*End)(pam_handle_t*, int);

static struct {
    void* libpam;
    StartConfdir start;
    AcctMgmt acct;
    End end;
    char dir[PATH_MAX];
    char core[PATH_MAX];
} T;

static int conv_none(int n, const struct pam_message** msg, struct pam_response** resp,
                     void* data) {
    (void)n, (void)msg, (void)resp, (void)data;
    return PAM_CONV_ERR;
}

static int core_loaded(void) {
    void* h = dlopen(T.core, RTLD_NOW | RTLD_NOLOAD);
    if (h) dlclose(h);
    return h != NULL;
}

static int setup(void** state) {
    (void)state;
    static char module[PATH_MAX];  // absolute: libpam takes a relative name as its own dir's
    const char* given = getenv("JIT_PAM_MODULE");
    if (!given || !realpath(given, module)) {
        fprintf(stderr, "JIT_PAM_MODULE must name the built pam_jit.so\n");
        return -1;
    }
    snprintf(T.core, sizeof T.core, "%s", module);
    char* slash = strrchr(T.core, '/');
    snprintf(slash + 1, sizeof T.core - (size_t)(slash + 1 - T.core), "pam_jit_core.so");

    const char* tmp = getenv("TMPDIR");
    snprintf(T.dir, sizeof T.dir, "%s/jit-local-libpam.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(T.dir)) return -1;
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/probe", T.dir);
    FILE* f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f,
            "account required %s socket=%s/none.sock server_uid=0 managed_users=deploy\n"
            "account required pam_permit.so\n",
            module, T.dir);
    fclose(f);
    snprintf(path, sizeof path, "%s/other", T.dir);
    f = fopen(path, "w");
    if (!f) return -1;
    fputs("account required pam_deny.so\n", f);
    fclose(f);

    T.libpam = dlopen("libpam.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!T.libpam) return -1;
    T.start = (StartConfdir)dlsym(T.libpam, "pam_start_confdir");
    T.acct = (AcctMgmt)dlsym(T.libpam, "pam_acct_mgmt");
    T.end = (End)dlsym(T.libpam, "pam_end");
    return T.acct && T.end ? 0 : -1;
}

static int teardown(void** state) {
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", T.dir);
    return system(cmd) == 0 ? 0 : -1;
}

// The premise: nothing in this program's global scope is a libpam.
static void libpam_is_not_in_the_global_scope(void** state) {
    (void)state;
    assert_null(dlsym(RTLD_DEFAULT, "pam_get_item"));
    assert_null(dlsym(RTLD_DEFAULT, "pam_start"));
}

static int account(const char* user, int* loaded_before_end) {
    if (!T.start) skip();  // Linux-PAM older than 1.4 has no pam_start_confdir
    struct pam_conv conv = {conv_none, NULL};
    pam_handle_t* h = NULL;
    int rc = T.start("probe", user, &conv, T.dir, &h);
    if (rc != PAM_SUCCESS) fail_msg("pam_start_confdir: %d", rc);
    rc = T.acct(h, 0);
    *loaded_before_end = core_loaded();
    T.end(h, rc);
    return rc;
}

static void an_unmanaged_account_is_let_through(void** state) {
    (void)state;
    int loaded = 1;
    assert_int_equal(account("nobody", &loaded), PAM_SUCCESS);
    assert_false(loaded);
    assert_false(core_loaded());
}

static void a_managed_account_loads_the_core_and_is_denied(void** state) {
    (void)state;
    int loaded = 0;
    assert_int_equal(account("deploy", &loaded), PAM_PERM_DENIED);
    assert_true(loaded);          // kept with pam_set_data: the front found it
    assert_false(core_loaded());  // and pam_end ran its cleanup
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(libpam_is_not_in_the_global_scope),
        cmocka_unit_test(an_unmanaged_account_is_let_through),
        cmocka_unit_test(a_managed_account_loads_the_core_and_is_denied),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

// pam_jit.so is a front that loads pam_jit_core.so (from its own directory)
// only for an account jit may manage, and unloads it at pam_end.  This shows:
// an unmanaged account never loads the core; a managed one loads it and
// pam_end unloads it; a core that is missing or is not a jit core (no table)
// denies every phase of a managed account and still ignores an unmanaged
// one; a child forked in the middle of a transaction finishes it; threads
// that run transactions at once each load and unload the core on their own.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <sys/wait.h>

#include "pam_harness.h"

static const struct service_def services[] = {
    {"probe", STACK_PROBE, "socket={sock} server_uid={uid} managed_users=deploy"},
    {"login", STACK_ACCOUNT_AND_SESSION, "socket={sock} server_uid={uid} managed_users=deploy"},
    {"lonely-probe", STACK_PROBE, "socket={sock} server_uid={uid} managed_users=deploy"},
    {"lonely-login", STACK_ACCOUNT_AND_SESSION,
     "socket={sock} server_uid={uid} managed_users=deploy"},
    {"lonely-auth", STACK_AUTH_PROBE, "token socket={sock} server_uid={uid} managed_users=deploy"},
    {"wrong-probe", STACK_PROBE, "socket={sock} server_uid={uid} managed_users=deploy"},
};

// "lonely": the front alone, no core beside it.  "wrong": a core that is a
// shared object but not a jit core (the sudo plugin under the core's name).
static const char* module_dir_of(const char* service) {
    if (strncmp(service, "lonely-", 7) == 0) return "lonely";
    if (strncmp(service, "wrong-", 6) == 0) return "wrong";
    return NULL;
}

static char core_path[PATH_MAX];

// The built core's path: next to the built front.
static void find_core(void) {
    snprintf(core_path, sizeof core_path, "%s", H.module);
    char* slash = strrchr(core_path, '/');
    if (!slash || (size_t)(slash - core_path) + sizeof "/pam_jit_core.so" > sizeof core_path)
        harness_die("module path");
    strcpy(slash, "/pam_jit_core.so");
}

static bool core_loaded(void) {
    void* h = dlopen(core_path, RTLD_NOW | RTLD_NOLOAD);
    if (h) dlclose(h);
    return h != NULL;
}

static void copy_file(const char* from, const char* dir, const char* name) {
    char path[PATH_MAX + 160], cmd[3 * PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", H.dir, dir);
    mkdir(path, 0700);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/%s'", from, path, name);
    if (system(cmd) != 0) harness_die("cannot copy a module for the test");
}

static void remove_dir(const char* dir) {
    char cmd[PATH_MAX + 80];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/%s'", H.dir, dir);
    if (system(cmd) != 0) harness_die("cannot remove a test directory");
}

static void record_core_loaded(void* ctx) {
    *(bool*)ctx = core_loaded();
}

static void unmanaged_account_never_loads_the_core(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    bool loaded = true;
    struct call_hooks hooks = {NULL, record_core_loaded, &loaded};
    struct call_result r = account_call("probe", UNMANAGED_USER, NULL, &hooks);
    assert_pam_rc(PAM_IGNORE, r.module_rc);
    assert_false(loaded);
    assert_int_equal(server_connections(s), 0);
}

static void managed_account_loads_the_core_and_pam_end_unloads_it(void** state) {
    serve(state, reply_allow);
    assert_false(core_loaded());
    bool loaded = false;
    struct call_hooks hooks = {NULL, record_core_loaded, &loaded};
    struct call_result r = account_call("probe", MANAGED_USER, NULL, &hooks);
    assert_pam_rc(PAM_SUCCESS, r.module_rc);
    assert_true(loaded);
    assert_false(core_loaded());
}

// Every phase of a managed account through the given stacks fails closed,
// with the code the phase gives when jitd cannot be reached, and jitd is
// never asked; an unmanaged account is still ignored.
static void phases_fail_closed(struct fake_server* s, const char* probe, const char* login) {
    assert_pam_rc(PAM_PERM_DENIED, account(probe, MANAGED_USER).module_rc);
    assert_pam_rc(PAM_IGNORE, account(probe, UNMANAGED_USER).module_rc);
    if (login) {
        struct pam_conv conv = {no_conversation, NULL};
        pam_handle_t* pamh = NULL;
        assert_pam_rc(PAM_SUCCESS, pam_start(login, MANAGED_USER, &conv, &pamh));
        assert_pam_rc(PAM_PERM_DENIED, pam_open_session(pamh, 0));
        assert_pam_rc(PAM_SESSION_ERR, pam_close_session(pamh, 0));
        pam_end(pamh, PAM_SUCCESS);
    }
    assert_int_equal(server_connections(s), 0);
}

static void a_missing_core_denies_every_phase_of_a_managed_account(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    phases_fail_closed(s, "lonely-probe", "lonely-login");
    struct pam_conv conv = {no_conversation, NULL};
    pam_handle_t* pamh = NULL;
    assert_pam_rc(PAM_SUCCESS, pam_start("lonely-auth", MANAGED_USER, &conv, &pamh));
    assert_pam_rc(PAM_AUTHINFO_UNAVAIL, pam_authenticate(pamh, 0));
    pam_end(pamh, PAM_SUCCESS);
    assert_int_equal(server_connections(s), 0);
}

static void a_core_without_the_table_denies_a_managed_account(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    phases_fail_closed(s, "wrong-probe", NULL);
}

// The core loaded in the parent goes on working in a child forked in the
// middle of the transaction; each ends its own copy of it at pam_end.
static void a_child_forked_mid_transaction_finishes_it(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    struct pam_conv conv = {no_conversation, NULL};
    pam_handle_t* pamh = NULL;
    assert_pam_rc(PAM_SUCCESS, pam_start("login", MANAGED_USER, &conv, &pamh));
    assert_pam_rc(PAM_SUCCESS, pam_acct_mgmt(pamh, 0));
    pid_t child = fork();
    if (child == 0) {
        // The fake server answers a check only; the open is refused (no
        // reply), which is the core's code, reached in the child.
        int rc = pam_open_session(pamh, 0);
        pam_end(pamh, rc);
        _exit(rc == PAM_PERM_DENIED && !core_loaded() ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(core_loaded());
    pam_end(pamh, PAM_SUCCESS);
    assert_false(core_loaded());
    assert_true(server_wait_finished(s, 2, 5000));
}

#define THREADS 4
#define PER_THREAD 50

// Counts, per thread, transactions that came out as they must: a managed
// account allowed, an unmanaged one ignored (pam_deny's PAM_AUTH_ERR in the
// probe stack).  cmocka's asserts stay on the main thread.
static void* transactions(void* arg) {
    int* right = arg;
    for (int i = 0; i < PER_THREAD; ++i) {
        bool managed = i % 2 == 0;
        struct pam_conv conv = {no_conversation, NULL};
        pam_handle_t* pamh = NULL;
        if (pam_start("probe", managed ? MANAGED_USER : UNMANAGED_USER, &conv, &pamh) !=
            PAM_SUCCESS)
            continue;
        int rc = pam_acct_mgmt(pamh, 0);
        pam_end(pamh, rc);
        if (rc == (managed ? PAM_SUCCESS : PAM_AUTH_ERR)) ++*right;
    }
    return NULL;
}

static void threads_load_and_unload_the_core_each_on_their_own(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    pthread_t threads[THREADS];
    int right[THREADS] = {0};
    for (int t = 0; t < THREADS; ++t)
        assert_int_equal(pthread_create(&threads[t], NULL, transactions, &right[t]), 0);
    for (int t = 0; t < THREADS; ++t) assert_int_equal(pthread_join(threads[t], NULL), 0);
    for (int t = 0; t < THREADS; ++t) assert_int_equal(right[t], PER_THREAD);
    assert_false(core_loaded());
    assert_true(server_wait_finished(s, THREADS * PER_THREAD / 2, 5000));
    assert_int_equal(server_requests(s), THREADS * PER_THREAD / 2);
}

int main(int argc, char** argv) {
    (void)argc;
    H.module_dir_of = module_dir_of;
    harness_boot(argv, services, COUNT_OF(services));
    find_core();
    char sudo_plugin[PATH_MAX];
    const char* given = getenv("JIT_SUDO_PLUGIN");
    snprintf(sudo_plugin, sizeof sudo_plugin, "%s", given ? given : "");
    if (!given) {
        snprintf(sudo_plugin, sizeof sudo_plugin, "%s", H.module);
        strcpy(strrchr(sudo_plugin, '/'), "/jit_sudo.so");
    }
    copy_file(H.module, "lonely", "pam_jit.so");
    copy_file(H.module, "wrong", "pam_jit.so");
    copy_file(sudo_plugin, "wrong", "pam_jit_core.so");
    const struct CMUnitTest tests[] = {
        JIT_TEST(unmanaged_account_never_loads_the_core),
        JIT_TEST(managed_account_loads_the_core_and_pam_end_unloads_it),
        JIT_TEST(a_missing_core_denies_every_phase_of_a_managed_account),
        JIT_TEST(a_core_without_the_table_denies_a_managed_account),
        JIT_TEST(a_child_forked_mid_transaction_finishes_it),
        JIT_TEST(threads_load_and_unload_the_core_each_on_their_own),
    };
    int failed = cmocka_run_group_tests_name("pam_jit front and core", tests, NULL, NULL);
    remove_dir("lonely");
    remove_dir("wrong");
    harness_finish();
    return failed;
}

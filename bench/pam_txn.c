/* Runs PAM transactions of one service for one user in one process, for
 * callgrind to count (bench/check_bench.cc drives it):
 *   pam_txn SERVICE USER COUNT [groups-first]
 * groups-first: before anything is counted, the process looks up the user's
 * groups (getgrouplist), as every login process does once (sshd's session
 * initgroups, sudo's group check), so NSS's group sources are already
 * loaded when the first transaction runs.
 * The first transaction of the process inside jit_bench_first (its account
 * step in jit_bench_first_account): libpam, NSS and the modules are loaded
 * for the first time.  Then COUNT transactions, each pam_start +
 * pam_acct_mgmt + pam_end inside jit_bench_transaction, the account step
 * alone inside jit_bench_account.  Exits 1 when any account step does not
 * succeed. */
#define _DEFAULT_SOURCE
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

static int conv_none(int n, const struct pam_message** msg, struct pam_response** resp,
                     void* data) {
    (void)n, (void)msg, (void)resp, (void)data;
    return PAM_CONV_ERR;
}

__attribute__((noinline)) int jit_bench_account(pam_handle_t* h) {
    return pam_acct_mgmt(h, 0);
}

__attribute__((noinline)) int jit_bench_first_account(pam_handle_t* h) {
    return pam_acct_mgmt(h, 0);
}

static inline __attribute__((always_inline)) int transaction(const char* service, const char* user,
                                                             int (*account)(pam_handle_t*)) {
    struct pam_conv conv = {conv_none, NULL};
    pam_handle_t* h = NULL;
    if (pam_start(service, user, &conv, &h) != PAM_SUCCESS) return PAM_SYSTEM_ERR;
    int rc = account(h);
    pam_end(h, rc);
    return rc;
}

__attribute__((noinline)) int jit_bench_first(const char* service, const char* user) {
    return transaction(service, user, jit_bench_first_account);
}

__attribute__((noinline)) int jit_bench_transaction(const char* service, const char* user) {
    return transaction(service, user, jit_bench_account);
}

int main(int argc, char** argv) {
    if (argc != 4 && !(argc == 5 && strcmp(argv[4], "groups-first") == 0)) {
        fprintf(stderr, "usage: pam_txn SERVICE USER COUNT [groups-first]\n");
        return 2;
    }
    int count = atoi(argv[3]);
    if (argc == 5) {
        struct passwd* pw = getpwnam(argv[2]);
        gid_t groups[256];
        int n = 256;
        if (!pw || getgrouplist(argv[2], pw->pw_gid, groups, &n) < 0) {
            fprintf(stderr, "pam_txn: cannot look up the groups of %s\n", argv[2]);
            return 2;
        }
    }
    int failed = jit_bench_first(argv[1], argv[2]) != PAM_SUCCESS;
    for (int i = 0; i < count; ++i)
        failed |= jit_bench_transaction(argv[1], argv[2]) != PAM_SUCCESS;
    if (failed) fprintf(stderr, "pam_txn: an account step of %s for %s failed\n", argv[1], argv[2]);
    return failed;
}

/* The floor under any PAM module: one that imports nothing, needs no library,
 * has no start files and stays loaded once loaded (as pam_jit.so's front
 * does), and ignores every account.  What a stack with it costs over the
 * same stack without it is what libpam and the dynamic loader charge any
 * module: the bench's PAM rows put pam_jit.so beside it. */
#include <security/pam_modules.h>

#define FLOOR_EXPORT __attribute__((visibility("default")))

FLOOR_EXPORT int pam_sm_acct_mgmt(pam_handle_t* pamh, int flags, int argc, const char** argv) {
    (void)pamh, (void)flags, (void)argc, (void)argv;
    return PAM_IGNORE;
}

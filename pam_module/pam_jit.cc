// PAM entry points.  Each one validates, calls one internal function and
// returns its PAM code.  The module is compiled without exceptions, so none
// can cross this C ABI.
#include <security/pam_modules.h>

#include "account.h"
#include "auth.h"
#include "session.h"

#define JIT_EXPORT extern "C" __attribute__((visibility("default")))

JIT_EXPORT int pam_sm_acct_mgmt(pam_handle_t* pamh, int flags, int argc, const char** argv) {
    (void)flags;
    if (!pamh || argc < 0 || (argc > 0 && !argv)) return PAM_SERVICE_ERR;
    return jit::pam::account_phase(pamh, argc, argv);
}

JIT_EXPORT int pam_sm_open_session(pam_handle_t* pamh, int flags, int argc, const char** argv) {
    (void)flags;
    if (!pamh || argc < 0 || (argc > 0 && !argv)) return PAM_SERVICE_ERR;
    return jit::pam::open_session_phase(pamh, argc, argv);
}

JIT_EXPORT int pam_sm_close_session(pam_handle_t* pamh, int flags, int argc, const char** argv) {
    (void)flags;
    if (!pamh || argc < 0 || (argc > 0 && !argv)) return PAM_SERVICE_ERR;
    return jit::pam::close_session_phase(pamh, argc, argv);
}

JIT_EXPORT int pam_sm_authenticate(pam_handle_t* pamh, int flags, int argc, const char** argv) {
    (void)flags;
    if (!pamh || argc < 0 || (argc > 0 && !argv)) return PAM_SERVICE_ERR;
    return jit::pam::auth_phase(pamh, argc, argv);
}

// The auth phase sets no credentials: the grant it led to is jitd's.
JIT_EXPORT int pam_sm_setcred(pam_handle_t* pamh, int flags, int argc, const char** argv) {
    (void)pamh, (void)flags, (void)argc, (void)argv;
    return PAM_SUCCESS;
}

// pam_jit_core.so: the phases, loaded by the front (front.cc, pam_jit.so)
// for an account jit may manage.  It exports one table and nothing else;
// the module is compiled without exceptions, so none can cross this C ABI.
#include "core.h"

#include "account.h"
#include "auth.h"
#include "session.h"

extern "C" __attribute__((visibility("default"))) const jit::pam::CoreTable jit_pam_core_v1 = {
    jit::pam::account_phase,
    jit::pam::auth_phase,
    jit::pam::open_session_phase,
    jit::pam::close_session_phase,
};

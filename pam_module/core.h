// The table through which the front (pam_jit.so) calls the core
// (pam_jit_core.so), which it loads only for an account jit may manage.  The
// symbol's name carries the table's version: a front and a core from
// different versions (half an upgrade) find no table and deny.
#pragma once

#include <security/pam_modules.h>

namespace jit::pam {

// Each phase gets arguments the front already checked (pamh set, argv
// readable) and returns its PAM code.
using Phase = int (*)(pam_handle_t* pamh, int argc, const char** argv);

struct CoreTable {
    Phase account;
    Phase authenticate;
    Phase open_session;
    Phase close_session;
};

inline constexpr const char* kCoreFile = "pam_jit_core.so";
inline constexpr const char* kCoreSymbol = "jit_pam_core_v1";

}  // namespace jit::pam

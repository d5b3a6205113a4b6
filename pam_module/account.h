// The account phase: is this account allowed to use this PAM service now?
#pragma once

#include <security/pam_modules.h>

namespace jit::pam {

// Returns PAM_IGNORE for unmanaged accounts, PAM_SUCCESS only on jitd's
// explicit allow, and a denial for every other outcome of a managed account.
int account_phase(pam_handle_t* pamh, int argc, const char** argv);

}  // namespace jit::pam

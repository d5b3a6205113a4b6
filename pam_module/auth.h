// The auth phase: a workload proves who it is with its OIDC token, read
// through the PAM conversation (SSH keyboard-interactive) and sent to jitd
// (IDENTITY_LOGIN), which verifies it and, when policy allows, creates the
// grant the account phase then finds.
#pragma once

#include <security/pam_modules.h>

namespace jit::pam {

// PAM_IGNORE for unmanaged accounts (decided as the account phase decides),
// PAM_SUCCESS only when jitd answered allow with a grant still in force, a
// failure for every other outcome of a managed account.  The token is wiped
// from memory before this returns and is never logged.
int auth_phase(pam_handle_t* pamh, int argc, const char** argv);

}  // namespace jit::pam

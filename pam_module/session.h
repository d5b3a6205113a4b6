// The session phase: tells jitd that a managed account's session opens or
// closes, so that jitd can end it with its grant.
#pragma once

#include <security/pam_modules.h>

namespace jit::pam {

// PAM_IGNORE when neither PAM_USER nor PAM_RUSER is managed (jitd is not
// asked); PAM_SUCCESS only on jitd's explicit allow; PAM_PERM_DENIED for
// every other outcome of a managed account.
int open_session_phase(pam_handle_t* pamh, int argc, const char** argv);
// PAM_SUCCESS once jitd recorded the close; PAM_SESSION_ERR otherwise.
int close_session_phase(pam_handle_t* pamh, int argc, const char** argv);

}  // namespace jit::pam

// Whose session a session phase is about.  Shared by the front (pam_jit.so),
// which must tell "nobody here is managed" exactly as the session phases do,
// and the session phases themselves.
#pragma once

#include <security/pam_modules.h>

#include "exchange.h"

namespace jit::pam {

struct Who {
    const char* user;   // the managed account among PAM_USER and PAM_RUSER
    const char* ruser;  // PAM_RUSER ("" when unset)
    Managed managed;
};

// sudo opens its session with PAM_USER set to the target account (usually
// root, never managed) and PAM_RUSER to the invoking one: the session belongs
// to whichever of the two jit manages.  A failed lookup counts as managed.
Who managed_party(pam_handle_t* pamh, const ModuleArgs& args);

}  // namespace jit::pam

#include "party.h"

namespace jit::pam {

Who managed_party(pam_handle_t* pamh, const ModuleArgs& args) {
    Who who{item(pamh, PAM_USER), item(pamh, PAM_RUSER), Managed::No};
    if (*who.user) who.managed = classify_user(args, who.user);
    if (who.managed == Managed::No && *who.ruser) {
        Managed m = classify_user(args, who.ruser);
        if (m != Managed::No) {
            who.managed = m;
            who.user = who.ruser;
        }
    }
    return who;
}

}  // namespace jit::pam

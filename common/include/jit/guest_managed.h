// Decides locally, without jitd, whether an account is managed by jit.  This
// is what keeps humans and root out of jit's reach when jitd is down.
#pragma once

#include "jit/guest_args.h"

namespace jit::guest {

enum class Managed {
    No,       // not ours: the module stands aside (PAM_IGNORE, sudo: approve)
    Yes,      // ours: only an explicit allow from jitd lets it in
    Unknown,  // the lookup itself failed: treated as managed (fail closed)
};

Managed classify_user(const ModuleArgs& args, const char* user);

}  // namespace jit::guest

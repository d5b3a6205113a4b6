// The audit keys of jitd.conf's [jitd] section.  config.cc does the INI
// syntax and calls in here; these functions only check and store values.
#pragma once

#include <string_view>

#include "daemon/config/config.h"
#include "daemon/config/config_nss.h"

namespace jit::daemon {

ConfigCheck set_audit(Config& c, std::string_view v);
ConfigCheck set_audit_durability(Config& c, std::string_view v);
ConfigCheck set_audit_failure(Config& c, std::string_view v);
// "N records / M" (M a duration), or one of the two (the other trigger is then off).
ConfigCheck set_checkpoint_every(Config& c, std::string_view v);
// A count of records, at least 100.
ConfigCheck set_audit_segment_records(Config& c, std::string_view v);
// A size: N, NK, NM or NG (powers of 1024); 0 for no bound.
ConfigCheck set_audit_max_disk(Config& c, std::string_view v);

}  // namespace jit::daemon

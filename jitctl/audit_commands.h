// The `jitctl audit` subcommands.  verify, prove and consistency work offline
// on an export (audit_offline.cc); show and export ask jitd.
#pragma once

#include "commands.h"

namespace jit::ctl {

int run_audit_verify(Globals g, int argc, char** argv);
int run_audit_prove(Globals g, int argc, char** argv);
int run_audit_consistency(Globals g, int argc, char** argv);
// cmd_audit_live.cc: read through jitd.
int run_audit_show(Globals g, int argc, char** argv);
int run_audit_export(Globals g, int argc, char** argv);

}  // namespace jit::ctl

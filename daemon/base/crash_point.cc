#include "daemon/base/crash_point.h"

#ifdef JIT_CRASH_POINTS
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <string>

namespace jit::daemon::crash {

namespace {
const char* g_context = "idle";
long g_passes = 0;
}  // namespace

void set_context(const char* operation) {
    g_context = operation;
}

void point(const char* step) {
    const char* at = getenv("JIT_CRASH_AT");
    if (!at || (std::string(g_context) + "." + step) != at) return;
    const char* skip = getenv("JIT_CRASH_SKIP");
    if (g_passes++ < (skip ? atol(skip) : 0)) return;
    raise(SIGKILL);
}

}  // namespace jit::daemon::crash
#endif

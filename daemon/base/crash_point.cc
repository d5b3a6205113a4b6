#include "daemon/base/crash_point.h"

#ifdef JIT_CRASH_POINTS
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

namespace jit::daemon::crash {

namespace {
const char* g_context = "idle";
const pid_t g_jitd = getpid();
// Passes are counted in memory the snapshot writer (a forked child) shares,
// mapped at start before any fork, so JIT_CRASH_SKIP counts its passes with
// jitd's.
long* shared_counter() {
    void* p =
        mmap(nullptr, sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) abort();
    return static_cast<long*>(p);
}
long* const g_passes = shared_counter();
}  // namespace

void set_context(const char* operation) {
    if (operation) g_context = operation;
}

const char* context() {
    return g_context;
}

void point(const char* step) {
    const char* at = getenv("JIT_CRASH_AT");
    if (!at || (std::string(g_context) + "." + step) != at) return;
    const char* skip = getenv("JIT_CRASH_SKIP");
    if (__atomic_fetch_add(g_passes, 1, __ATOMIC_SEQ_CST) < (skip ? atol(skip) : 0)) return;
    if (getpid() != g_jitd) kill(g_jitd, SIGKILL);
    raise(SIGKILL);
}

}  // namespace jit::daemon::crash
#endif

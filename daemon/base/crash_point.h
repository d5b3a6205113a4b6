// Crash points, for the crash test only: compiled in with -DJIT_CRASH_POINTS
// (make crash-jitd builds build/tests/jitd-crash), never in jitd or the
// packages, where JIT_CRASH_POINT is nothing at all.
//
// A point is named "<operation>.<step>": the operation is the request being
// served ("grant", "revoke", ...) or the timer at work ("expire", "nss-edge"),
// set with JIT_CRASH_CONTEXT, or "audit" for the commit of a turn's audit
// records; the step is where in it ("received", "before-commit",
// "committed", "marked", "snapshot-written", "snapshot-published",
// "decided", "keyed" (audit: the key file synced), "replied").  The test binary kills itself
// with SIGKILL at the (JIT_CRASH_SKIP+1)-th pass of the point named by the
// environment variable JIT_CRASH_AT.  A point passed in a child jitd forked
// (the NSS snapshot writer) kills jitd itself first: the crash is jitd's.
#pragma once

namespace jit::daemon::crash {

#ifdef JIT_CRASH_POINTS
void set_context(const char* operation);
const char* context();
void point(const char* step);
#define JIT_CRASH_CONTEXT(op) ::jit::daemon::crash::set_context(op)
#define JIT_CRASH_CURRENT() ::jit::daemon::crash::context()
#define JIT_CRASH_POINT(step) ::jit::daemon::crash::point(step)
#else
#define JIT_CRASH_CONTEXT(op) ((void)0)
#define JIT_CRASH_CURRENT() (static_cast<const char*>(nullptr))
#define JIT_CRASH_POINT(step) ((void)0)
#endif

}  // namespace jit::daemon::crash

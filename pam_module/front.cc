// pam_jit.so, the module PAM stacks name: the front.  It tells by itself, with
// the phases' own code (parse_args, classify_user, managed_party), whether a
// phase has anything to do, and loads the core (pam_jit_core.so, next to this
// file) only when it has.  Why two files: libpam dlopens every module of a
// stack with RTLD_NOW at each pam_start and dlcloses it at pam_end, and the
// dynamic linker binds every symbol a module imports each time (about 900
// instructions apiece under pam_wrapper); the whole module imports 45.  The
// front imports what the unmanaged path calls from libc, plus dlsym; the
// dynamic loader's own functions, needed only to load the core, are looked
// up then (dlsym), and it is linked without the C start files (no
// constructors, nothing to run at load).
//
// Nor does it name libpam as a library it needs: a DT_NEEDED entry for
// libpam costs the first load in a process about 10,000 instructions (the
// loader matches libpam.so.0 and its own dependencies against every loaded
// object and builds a search list for them), more than all the imports
// together.  libpam is always loaded (it is the caller), so the four libpam
// functions the front's code calls are defined here, hidden, and forward to
// libpam's, found once per process (libpam_symbol below).  README, "The PAM
// module: a front ...", has the counts.
//
// The core stays loaded until pam_end (a pam_set_data cleanup dlcloses it).
// What outlives a call: that handle, which belongs to the PAM handle, and
// libpam's function addresses, set once per process and never changed.  The
// front itself, once loaded, stays (it is linked -z nodelete): a process's
// later pam_starts find it mapped and bound.
#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <syslog.h>

#include <atomic>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "auth_args.h"
#include "core.h"
#include "exchange.h"
#include "jit/guest_text.h"
#include "party.h"

#define JIT_EXPORT extern "C" __attribute__((visibility("default")))

namespace jit::pam {

namespace {

constexpr const char* kHandleKey = "pam_jit_core_handle";

// libpam's functions, looked up the way the dynamic linker binds an import:
// dlsym(RTLD_DEFAULT) from this object searches the global scope first, so
// a preloaded wrapper (pam_wrapper) is found as an import would find it, and
// glibc records the object found as one this object depends on, so it stays
// loaded as long as the front does (forever: -z nodelete).  A program that
// loaded libpam itself with RTLD_LOCAL (e.g. through ctypes) has no libpam
// in its global scope: then the libpam already loaded is opened by name
// (RTLD_NOLOAD), and that reference is never dropped, which keeps it loaded
// as a DT_NEEDED entry would.  An address, once found, never changes: each
// is stored once with release order and read with acquire; two threads that
// race find the same address.
using GetItem = int (*)(const pam_handle_t*, int, const void**);
using GetData = int (*)(const pam_handle_t*, const char*, const void**);
using SetData = int (*)(pam_handle_t*, const char*, void*, void (*)(pam_handle_t*, void*, int));
using VSyslog = void (*)(const pam_handle_t*, int, const char*, va_list);

std::atomic<GetItem> g_get_item{nullptr};
std::atomic<GetData> g_get_data{nullptr};
std::atomic<SetData> g_set_data{nullptr};
std::atomic<VSyslog> g_vsyslog{nullptr};

void* libpam_symbol(const char* name) {
    if (void* found = dlsym(RTLD_DEFAULT, name)) return found;
    auto open = reinterpret_cast<decltype(&dlopen)>(dlsym(RTLD_DEFAULT, "dlopen"));
    void* libpam = open ? open("libpam.so.0", RTLD_NOW | RTLD_NOLOAD | RTLD_LOCAL) : nullptr;
    return libpam ? dlsym(libpam, name) : nullptr;
}

template <typename F>
F libpam(std::atomic<F>& slot, const char* name) {
    F f = slot.load(std::memory_order_acquire);
    if (f) return f;
    f = reinterpret_cast<F>(libpam_symbol(name));
    if (f) slot.store(f, std::memory_order_release);
    return f;
}

// libc's loader functions, found when the core is to be loaded.
struct Loader {
    decltype(&dlopen) open;
    decltype(&dlclose) close;
    decltype(&dladdr) addr;
    decltype(&dlerror) error;
};

bool find_loader(Loader* l) {
    l->open = reinterpret_cast<decltype(&dlopen)>(dlsym(RTLD_DEFAULT, "dlopen"));
    l->close = reinterpret_cast<decltype(&dlclose)>(dlsym(RTLD_DEFAULT, "dlclose"));
    l->addr = reinterpret_cast<decltype(&dladdr)>(dlsym(RTLD_DEFAULT, "dladdr"));
    l->error = reinterpret_cast<decltype(&dlerror)>(dlsym(RTLD_DEFAULT, "dlerror"));
    return l->open && l->close && l->addr && l->error;
}

void unload(pam_handle_t*, void* handle, int) {
    auto close = reinterpret_cast<decltype(&dlclose)>(dlsym(RTLD_DEFAULT, "dlclose"));
    if (close) close(handle);
}

// The core's path: this file's directory, which libpam named with an
// absolute path.  Anything else (no slash, too long) fails.
bool core_path(const Loader& l, char* out, size_t size) {
    Dl_info info;
    if (l.addr(reinterpret_cast<void*>(&unload), &info) == 0 || !info.dli_fname ||
        info.dli_fname[0] != '/')
        return false;
    size_t dir = 0, i = 0;
    for (; info.dli_fname[i]; ++i)
        if (info.dli_fname[i] == '/') dir = i + 1;
    size_t name = guest::text::length(kCoreFile);
    if (dir + name + 1 > size) return false;
    for (i = 0; i < dir; ++i) out[i] = info.dli_fname[i];
    for (i = 0; i <= name; ++i) out[dir + i] = kCoreFile[i];
    return true;
}

void* load_core(pam_handle_t* pamh) {
    Loader l;
    char path[PATH_MAX];
    if (!find_loader(&l)) {
        pam_syslog(pamh, LOG_CRIT, "cannot find the dynamic loader's functions; denying");
        return nullptr;
    }
    if (!core_path(l, path, sizeof path)) {
        pam_syslog(pamh, LOG_CRIT, "cannot tell where %s is (no absolute path); denying",
                   kCoreFile);
        return nullptr;
    }
    void* handle = l.open(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* why = l.error();
        pam_syslog(pamh, LOG_CRIT, "cannot load %s: %s; denying", path, why ? why : "no reason");
        return nullptr;
    }
    if (pam_set_data(pamh, kHandleKey, handle, unload) != PAM_SUCCESS) {
        l.close(handle);
        pam_syslog(pamh, LOG_CRIT, "cannot keep %s loaded; denying", path);
        return nullptr;
    }
    return handle;
}

// The core's table for this PAM handle, loading the core on first use.
// nullptr (and a log line) when it cannot be loaded: the caller denies.
const CoreTable* core(pam_handle_t* pamh) {
    const void* held = nullptr;
    if (pam_get_data(pamh, kHandleKey, &held) != PAM_SUCCESS || !held) held = load_core(pamh);
    if (!held) return nullptr;
    auto table = static_cast<const CoreTable*>(dlsym(const_cast<void*>(held), kCoreSymbol));
    if (!table) pam_syslog(pamh, LOG_CRIT, "%s has no %s; denying", kCoreFile, kCoreSymbol);
    return table;
}

// Each test below answers "this phase would return PAM_IGNORE without asking
// anyone", for the arguments and items the phase itself reads.  Any doubt
// (bad arguments, no user yet, debug logging, a failed lookup) goes to the
// core, which decides, logs and, for a managed account, fails closed.
bool account_ignores(pam_handle_t* pamh, int argc, const char** argv) {
    const char* bad_arg = nullptr;
    auto args = parse_args(argc, argv, &bad_arg);
    if (!args || args->debug) return false;
    const char* user = item(pamh, PAM_USER);
    return *user && classify_user(*args, user) == Managed::No;
}

bool auth_ignores(pam_handle_t* pamh, int argc, const char** argv) {
    if (argc > kMaxAuthArgs) return false;
    AuthArgs auth;
    const char* rest[kMaxAuthArgs];
    int nrest = 0;
    const char* bad_arg = nullptr;
    if (!split_args(argc, argv, &auth, rest, &nrest, &bad_arg)) return false;
    auto args = parse_args(nrest, rest, &bad_arg);
    if (!args || args->debug) return false;
    const char* user = item(pamh, PAM_USER);
    return *user && classify_user(*args, user) == Managed::No;
}

bool session_ignores(pam_handle_t* pamh, int argc, const char** argv) {
    const char* bad_arg = nullptr;
    auto args = parse_args(argc, argv, &bad_arg);
    return args && managed_party(pamh, *args).managed == Managed::No;
}

using Ignores = bool (*)(pam_handle_t*, int, const char**);

int run(Phase CoreTable::*phase, Ignores ignores, int denied, pam_handle_t* pamh, int argc,
        const char** argv) {
    if (!pamh || argc < 0 || (argc > 0 && !argv)) return PAM_SERVICE_ERR;
    // Every test reads PAM items: without libpam's pam_get_item no test can
    // tell anything (an unset item would read as ""), so deny.
    if (!libpam(g_get_item, "pam_get_item")) return denied;
    if (ignores(pamh, argc, argv)) return PAM_IGNORE;
    const CoreTable* table = core(pamh);
    if (!table) return denied;
    return (table->*phase)(pamh, argc, argv);
}

}  // namespace

}  // namespace jit::pam

using jit::pam::CoreTable;

// The libpam functions the front's code calls, hidden (this object's own:
// the version script exports pam_sm_* alone), forwarding to libpam's.  Each
// fails as libpam fails when its function cannot be found; pam_get_item is
// found before any phase reads an item (run above).
extern "C" int pam_get_item(const pam_handle_t* pamh, int type, const void** value) {
    auto f = jit::pam::libpam(jit::pam::g_get_item, "pam_get_item");
    return f ? f(pamh, type, value) : PAM_SYSTEM_ERR;
}

extern "C" int pam_get_data(const pam_handle_t* pamh, const char* name, const void** data) {
    auto f = jit::pam::libpam(jit::pam::g_get_data, "pam_get_data");
    return f ? f(pamh, name, data) : PAM_SYSTEM_ERR;
}

extern "C" int pam_set_data(pam_handle_t* pamh, const char* name, void* data,
                            void (*cleanup)(pam_handle_t*, void*, int)) {
    auto f = jit::pam::libpam(jit::pam::g_set_data, "pam_set_data");
    return f ? f(pamh, name, data, cleanup) : PAM_SYSTEM_ERR;
}

extern "C" void pam_syslog(const pam_handle_t* pamh, int priority, const char* format, ...) {
    auto f = jit::pam::libpam(jit::pam::g_vsyslog, "pam_vsyslog");
    if (!f) return;
    va_list ap;
    va_start(ap, format);
    f(pamh, priority, format, ap);
    va_end(ap);
}

// The denial each phase returns when the core cannot be loaded is the one it
// returns when jitd cannot be reached.
JIT_EXPORT int pam_sm_acct_mgmt(pam_handle_t* pamh, int, int argc, const char** argv) {
    return jit::pam::run(&CoreTable::account, jit::pam::account_ignores, PAM_PERM_DENIED, pamh,
                         argc, argv);
}

JIT_EXPORT int pam_sm_authenticate(pam_handle_t* pamh, int, int argc, const char** argv) {
    return jit::pam::run(&CoreTable::authenticate, jit::pam::auth_ignores, PAM_AUTHINFO_UNAVAIL,
                         pamh, argc, argv);
}

// Never PAM_SESSION_ERR on open: sudo takes it for a warning.
JIT_EXPORT int pam_sm_open_session(pam_handle_t* pamh, int, int argc, const char** argv) {
    return jit::pam::run(&CoreTable::open_session, jit::pam::session_ignores, PAM_PERM_DENIED, pamh,
                         argc, argv);
}

JIT_EXPORT int pam_sm_close_session(pam_handle_t* pamh, int, int argc, const char** argv) {
    return jit::pam::run(&CoreTable::close_session, jit::pam::session_ignores, PAM_SESSION_ERR,
                         pamh, argc, argv);
}

// The auth phase sets no credentials: the grant it led to is jitd's.
JIT_EXPORT int pam_sm_setcred(pam_handle_t*, int, int, const char**) {
    return PAM_SUCCESS;
}

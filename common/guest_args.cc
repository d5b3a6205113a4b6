#include "jit/guest_args.h"

#include <errno.h>
#include <time.h>

#include "jit/guest_text.h"

namespace jit::guest {

namespace {

using text::parse_u32;

const char* value_of(const char* arg, const char* key) {
    size_t n = text::length(key);
    return text::starts_with(arg, key, n) ? arg + n : nullptr;
}

// "60000-60999,70000" -> ranges.  Every element must parse.
bool parse_uid_ranges(const char* s, ModuleArgs* args) {
    while (*s) {
        UidRange r;
        const char* p;
        if (!parse_u32(s, &p, &r.first)) return false;
        r.last = r.first;
        if (*p == '-' && !parse_u32(p + 1, &p, &r.last)) return false;
        if (r.last < r.first || args->uid_range_count == kMaxUidRanges) return false;
        args->uid_ranges[args->uid_range_count++] = r;
        if (*p == ',')
            ++p;
        else if (*p != '\0')
            return false;
        s = p;
    }
    return args->uid_range_count > 0;
}

bool valid_list(const char* s) {
    if (*s == '\0' || *s == ',') return false;
    for (; *s; ++s) {
        if (*s == ',' && (s[1] == ',' || s[1] == '\0')) return false;
        if (*s == ' ' || *s == '\t') return false;
    }
    return true;
}

}  // namespace

bool list_contains(const char* list, const char* name) {
    if (!list) return false;
    size_t n = text::length(name);
    for (const char* p = list; *p;) {
        const char* comma = text::find(p, ',');
        size_t len = comma ? size_t(comma - p) : text::length(p);
        if (len == n && text::starts_with(p, name, n)) return true;
        if (!comma) break;
        p = comma + 1;
    }
    return false;
}

ClientOptions client_options(const ModuleArgs& args) {
    ClientOptions options;
    options.socket_path = args.socket_path;
    options.trusted_uids[0] = args.server_uid;
    options.trusted_count = 1;
    options.timeout_ms = args.timeout_ms;
    return options;
}

uint32_t request_id() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint32_t(ts.tv_nsec) ^ uint32_t(ts.tv_sec);
}

Result<ModuleArgs> parse_args(int argc, const char** argv, const char** bad_arg) {
    ModuleArgs args;
    bool seen_socket = false, seen_timeout = false, seen_server = false;
    const Error bad = make_error(EINVAL, "bad module argument");
    for (int i = 0; i < argc; ++i) {
        const char* a = argv[i];
        const char* v;
        *bad_arg = a;
        if (!a) return bad;
        if (text::equal(a, "debug")) {
            args.debug = true;
        } else if ((v = value_of(a, "socket="))) {
            if (seen_socket || v[0] != '/') return bad;
            args.socket_path = v;
            seen_socket = true;
        } else if ((v = value_of(a, "timeout_ms="))) {
            uint32_t ms;
            const char* end;
            if (seen_timeout || !parse_u32(v, &end, &ms) || *end || ms < 10 || ms > 60000)
                return bad;
            args.timeout_ms = int(ms);
            seen_timeout = true;
        } else if ((v = value_of(a, "server_uid="))) {
            uint32_t uid;
            const char* end;
            if (seen_server || !parse_u32(v, &end, &uid) || *end) return bad;
            args.server_uid = uid_t(uid);
            seen_server = true;
        } else if ((v = value_of(a, "managed_users="))) {
            if (args.managed_users || !valid_list(v)) return bad;
            args.managed_users = v;
        } else if ((v = value_of(a, "managed_groups="))) {
            if (args.managed_groups || !valid_list(v)) return bad;
            args.managed_groups = v;
        } else if ((v = value_of(a, "managed_uids="))) {
            if (args.uid_range_count > 0 || !parse_uid_ranges(v, &args)) return bad;
        } else {
            return bad;
        }
    }
    *bad_arg = nullptr;
    if (!args.managed_users && !args.managed_groups && args.uid_range_count == 0)
        return make_error(EINVAL, "no managed_users=, managed_groups= or managed_uids= given");
    return args;
}

}  // namespace jit::guest

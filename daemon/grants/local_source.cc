#include "daemon/grants/local_source.h"

#include <sys/utsname.h>

#include "daemon/grants/cidr.h"

namespace jit::daemon {

namespace {

bool same_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = char(x + 32);
        if (y >= 'A' && y <= 'Z') y = char(y + 32);
        if (x != y) return false;
    }
    return true;
}

}  // namespace

bool is_local_rhost(std::string_view rhost) {
    if (rhost.empty() || same_ignoring_case(rhost, "localhost")) return true;
    static const Cidr v4 = *Cidr::parse("127.0.0.0/8");
    static const Cidr v6 = *Cidr::parse("::1");
    if (v4.contains(rhost) || v6.contains(rhost)) return true;
    struct utsname u;
    return uname(&u) == 0 && u.nodename[0] != '\0' && same_ignoring_case(rhost, u.nodename);
}

}  // namespace jit::daemon

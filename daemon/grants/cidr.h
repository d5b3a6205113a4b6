// Source restrictions: an IPv4 or IPv6 network in CIDR form.
#pragma once

#include <stdint.h>

#include <string>
#include <string_view>

#include "jit/result.h"

namespace jit::daemon {

class Cidr {
public:
    // "10.0.0.0/8", "192.0.2.7" (a /32), "2001:db8::/32", "::1".  Host bits
    // beyond the prefix must be zero.  EINVAL otherwise.
    static Result<Cidr> parse(std::string_view text);

    // Whether a PAM_RHOST value is inside this network.  Only literal
    // addresses match (a hostname never does); an IPv4-mapped IPv6 address
    // (::ffff:10.1.2.3) matches IPv4 networks.
    bool contains(std::string_view address) const;

    // Whether every address of inner is inside this network (same family).
    bool covers(const Cidr& inner) const;

    std::string to_string() const;  // canonical form, always with /prefix

private:
    int family_ = 0;  // AF_INET or AF_INET6
    uint8_t bytes_[16] = {};
    int prefix_ = 0;
};

}  // namespace jit::daemon

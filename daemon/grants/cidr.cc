#include "daemon/grants/cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

namespace jit::daemon {

namespace {

struct Address {
    int family = 0;
    uint8_t bytes[16] = {};
};

// A literal IPv4 or IPv6 address, nothing else: no hostnames, no zone ids,
// no surrounding blanks.  inet_pton needs a C string, so the text is copied
// into a bounded buffer; an embedded NUL must not cut it short.
bool parse_address(std::string_view text, Address* out) {
    char buf[INET6_ADDRSTRLEN];
    if (text.empty() || text.size() >= sizeof buf || memchr(text.data(), '\0', text.size()))
        return false;
    memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    *out = Address{};
    if (inet_pton(AF_INET, buf, out->bytes) == 1) {
        out->family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, buf, out->bytes) == 1) {
        out->family = AF_INET6;
        return true;
    }
    return false;
}

// Prefix lengths are plain decimal: "8", "32", "128".  No sign, no leading
// zeros, at most three digits.
bool parse_prefix(std::string_view text, int* out) {
    if (text.empty() || text.size() > 3 || (text.size() > 1 && text[0] == '0')) return false;
    int n = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + (c - '0');
    }
    *out = n;
    return true;
}

// Whether the first `prefix` bits of a and b agree.
bool same_prefix(const uint8_t* a, const uint8_t* b, int prefix) {
    int whole = prefix / 8;
    if (memcmp(a, b, size_t(whole)) != 0) return false;
    int rest = prefix % 8;
    if (rest == 0) return true;
    uint8_t mask = uint8_t(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

bool host_bits_zero(const uint8_t* bytes, int length, int prefix) {
    for (int bit = prefix; bit < length * 8; ++bit)
        if (bytes[bit / 8] & (0x80 >> (bit % 8))) return false;
    return true;
}

bool is_v4_mapped(const uint8_t* v6) {
    static const uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(v6, kMappedPrefix, sizeof kMappedPrefix) == 0;
}

}  // namespace

Result<Cidr> Cidr::parse(std::string_view text) {
    size_t slash = text.find('/');
    Address addr;
    if (!parse_address(text.substr(0, slash), &addr))
        return make_error(EINVAL, "not an IPv4 or IPv6 address");
    int length = addr.family == AF_INET ? 4 : 16;
    int prefix = length * 8;
    if (slash != std::string_view::npos) {
        if (!parse_prefix(text.substr(slash + 1), &prefix))
            return make_error(EINVAL, "prefix length must be a decimal number");
        if (prefix > length * 8)
            return make_error(EINVAL,
                              "prefix length too large (IPv4 at most 32, IPv6 at most 128)");
    }
    if (!host_bits_zero(addr.bytes, length, prefix))
        return make_error(EINVAL, "address has bits set beyond the prefix length");
    Cidr cidr;
    cidr.family_ = addr.family;
    memcpy(cidr.bytes_, addr.bytes, sizeof cidr.bytes_);
    cidr.prefix_ = prefix;
    return cidr;
}

bool Cidr::contains(std::string_view address) const {
    Address addr;
    if (family_ == 0 || !parse_address(address, &addr)) return false;
    if (addr.family == family_) return same_prefix(addr.bytes, bytes_, prefix_);
    // A dual-stack listener may report an IPv4 peer as ::ffff:a.b.c.d; it is
    // the same peer, so it is judged by IPv4 networks.  The reverse (a plain
    // IPv4 address against an IPv6 network) never matches: "::/0" means any
    // IPv6 peer, and widening it to every IPv4 peer would surprise.
    if (family_ == AF_INET && addr.family == AF_INET6 && is_v4_mapped(addr.bytes))
        return same_prefix(addr.bytes + 12, bytes_, prefix_);
    return false;
}

bool Cidr::covers(const Cidr& inner) const {
    return family_ != 0 && family_ == inner.family_ && inner.prefix_ >= prefix_ &&
           same_prefix(inner.bytes_, bytes_, prefix_);
}

std::string Cidr::to_string() const {
    char buf[INET6_ADDRSTRLEN];
    if (family_ == 0 || !inet_ntop(family_, bytes_, buf, sizeof buf)) return "";
    return std::string(buf) + "/" + std::to_string(prefix_);
}

}  // namespace jit::daemon

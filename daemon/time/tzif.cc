#include "daemon/time/tzif.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "jit/unique_fd.h"

namespace jit::daemon {

namespace {

constexpr size_t kHeaderBytes = 44;
constexpr size_t kMaxFileBytes = 256 * 1024;  // real files are a few KiB
constexpr uint32_t kMaxTransitions = 8192;
constexpr size_t kMaxNameBytes = 128;
// RFC 8536: offsets outside this range are not meaningful.
constexpr int32_t kMinOffset = -89999, kMaxOffset = 93599;
// Real files start at -2**59 ("the big bang"); anything wider is garbage and
// would overflow the arithmetic around it.
constexpr int64_t kTimeBound = int64_t(1) << 60;

struct Counts {
    uint32_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;
};

uint32_t be32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
int64_t be64(const uint8_t* p) {
    return int64_t(uint64_t(be32(p)) << 32 | be32(p + 4));
}

bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '+' || c == '-';
}

}  // namespace

struct TimeZone::Reader {
    const uint8_t* p;
    size_t left;
    std::string error;

    bool fail(std::string message) {
        if (error.empty()) error = std::move(message);
        return false;
    }
    bool take(size_t n, const uint8_t** out) {
        if (n > left) return fail("TZif data truncated");
        *out = p;
        p += n;
        left -= n;
        return true;
    }

    bool header(char* version, Counts* c) {
        const uint8_t* h;
        if (!take(kHeaderBytes, &h)) return false;
        if (memcmp(h, "TZif", 4) != 0) return fail("not a TZif file (bad magic)");
        *version = char(h[4]);
        if (*version != 0 && (*version < '2' || *version > '4'))
            return fail("unsupported TZif version");
        c->isut = be32(h + 20);
        c->isstd = be32(h + 24);
        c->leap = be32(h + 28);
        c->time = be32(h + 32);
        c->type = be32(h + 36);
        c->chars = be32(h + 40);
        if (c->type == 0 || c->type > 256) return fail("TZif type count must be 1..256");
        if (c->chars == 0) return fail("TZif designation table is empty");
        if (c->isstd != 0 && c->isstd != c->type) return fail("TZif isstd count mismatch");
        if (c->isut != 0 && c->isut != c->type) return fail("TZif isut count mismatch");
        if (c->time > kMaxTransitions) return fail("TZif file has too many transitions");
        if (c->leap != 0) return fail("leap-second TZif files (right/...) are not supported");
        return true;
    }

    // Reads one data block into z; time_size is 4 (version 1) or 8.
    bool block(const Counts& c, size_t time_size, TimeZone* z) {
        const uint8_t *times, *idx, *types, *chars, *isstd, *isut, *leap;
        if (!take(size_t(c.time) * time_size, &times) || !take(c.time, &idx) ||
            !take(size_t(c.type) * 6, &types) || !take(c.chars, &chars) ||
            !take(size_t(c.leap) * (time_size + 4), &leap) || !take(c.isstd, &isstd) ||
            !take(c.isut, &isut))
            return false;
        z->times_.clear();
        z->index_.assign(idx, idx + c.time);
        z->types_.clear();
        for (uint32_t i = 0; i < c.time; ++i) {
            int64_t t =
                time_size == 4 ? int64_t(int32_t(be32(times + 4 * i))) : be64(times + 8 * i);
            if (t < -kTimeBound || t > kTimeBound) return fail("TZif transition time out of range");
            if (!z->times_.empty() && t <= z->times_.back())
                return fail("TZif transition times are not ascending");
            if (idx[i] >= c.type) return fail("TZif transition names an unknown type");
            z->times_.push_back(t);
        }
        for (uint32_t i = 0; i < c.type; ++i) {
            const uint8_t* t = types + 6 * i;
            auto offset = int32_t(be32(t));
            if (offset < kMinOffset || offset > kMaxOffset) return fail("TZif offset out of range");
            if (t[4] > 1) return fail("TZif isdst is not 0 or 1");
            if (t[5] >= c.chars) return fail("TZif designation index out of range");
            z->types_.push_back(Type{offset, t[4] == 1});
        }
        for (uint32_t i = 0; i < c.isstd; ++i)
            if (isstd[i] > 1) return fail("TZif isstd is not 0 or 1");
        for (uint32_t i = 0; i < c.isut; ++i)
            if (isut[i] > 1 || (isut[i] == 1 && (c.isstd == 0 || isstd[i] == 0)))
                return fail("TZif isut is inconsistent");
        return true;
    }

    // "\n" TZ-string "\n", and nothing after it.
    bool footer(TimeZone* z) {
        if (left < 2 || p[0] != '\n' || p[left - 1] != '\n') return fail("TZif footer malformed");
        std::string_view rule(reinterpret_cast<const char*>(p + 1), left - 2);
        if (rule.find('\n') != std::string_view::npos || rule.find('\0') != std::string_view::npos)
            return fail("TZif footer malformed");
        left = 0;
        if (rule.empty()) return true;
        auto parsed = TzRule::parse(rule);
        if (!parsed) return fail("TZif footer: " + parsed.error());
        z->rule_ = *parsed;
        return true;
    }
};

Result<TimeZone, std::string> TimeZone::parse(const uint8_t* data, size_t len, std::string name) {
    if (len > kMaxFileBytes) return std::string("TZif file larger than 256 KiB");
    TimeZone z;
    z.name_ = std::move(name);
    Reader r{data, len, {}};
    char version;
    Counts v1;
    if (!r.header(&version, &v1) || !r.block(v1, 4, &z)) return r.error;
    if (version == 0) {
        if (r.left != 0) return std::string("trailing bytes after TZif data");
        return z;
    }
    char version2;
    Counts v2;
    if (!r.header(&version2, &v2)) return r.error;
    if (version2 != version) return std::string("TZif headers disagree about the version");
    if (!r.block(v2, 8, &z) || !r.footer(&z)) return r.error;
    return z;
}

TimeZone TimeZone::utc() {
    TimeZone z;
    z.name_ = "UTC";
    z.types_.push_back(Type{0, false});
    return z;
}

bool TimeZone::valid_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxNameBytes) return false;
    size_t start = 0;
    while (start <= name.size()) {
        size_t slash = name.find('/', start);
        if (slash == std::string_view::npos) slash = name.size();
        std::string_view part = name.substr(start, slash - start);
        if (part.empty() || part == "." || part == ".." || part[0] == '-') return false;
        for (char c : part)
            if (!name_char(c)) return false;
        start = slash + 1;
    }
    return true;
}

Result<TimeZone, std::string> TimeZone::load(std::string_view name,
                                             const std::string& zoneinfo_dir) {
    std::string shown(name.substr(0, kMaxNameBytes));
    if (!valid_name(name)) return "invalid time zone name '" + shown + "'";
    std::string path = zoneinfo_dir + "/" + std::string(name);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid()) {
        if (errno == ENOENT && name == "UTC") return utc();
        if (errno == ENOENT) return "unknown time zone '" + shown + "' (no " + path + ")";
        return "cannot open " + path + ": " + strerror(errno);
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        return "time zone " + shown + ": " + path + " is not a regular file";
    if (st.st_size > off_t(kMaxFileBytes)) return "time zone " + shown + ": file too large";
    std::vector<uint8_t> bytes(size_t(st.st_size) + 1);
    size_t got = 0;
    for (;;) {
        ssize_t n = ::read(fd.get(), bytes.data() + got, bytes.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return "cannot read " + path + ": " + strerror(errno);
        if (n == 0) break;
        got += size_t(n);
        if (got == bytes.size()) return "time zone " + shown + ": file grew while read";
    }
    auto zone = parse(bytes.data(), got, shown);
    if (!zone) return "time zone " + shown + ": " + zone.error();
    return zone;
}

int32_t TimeZone::offset_at(int64_t utc) const {
    if (times_.empty() || utc >= times_.back()) {
        if (rule_) return rule_->offset_at(utc);
        if (times_.empty()) return types_[0].offset;
    }
    if (utc < times_.front()) return types_[0].offset;
    auto it = std::upper_bound(times_.begin(), times_.end(), utc);
    return types_[index_[size_t(it - times_.begin()) - 1]].offset;
}

std::optional<int64_t> TimeZone::next_transition(int64_t utc) const {
    for (auto it = std::upper_bound(times_.begin(), times_.end(), utc); it != times_.end(); ++it)
        if (offset_at(*it - 1) != offset_at(*it)) return *it;
    if (!rule_) return std::nullopt;
    int64_t from = times_.empty() ? utc : std::max(utc, times_.back());
    for (int i = 0; i < 4; ++i) {
        auto next = rule_->next_transition(from);
        if (!next) return std::nullopt;
        if (offset_at(*next - 1) != offset_at(*next)) return next;
        from = *next;
    }
    return std::nullopt;
}

std::optional<int64_t> TimeZone::prev_transition(int64_t utc) const {
    if (rule_ && (times_.empty() || utc > times_.back())) {
        int64_t from = utc;
        for (int i = 0; i < 4; ++i) {
            auto prev = rule_->prev_transition(from);
            if (!prev || (!times_.empty() && *prev <= times_.back())) break;
            if (offset_at(*prev - 1) != offset_at(*prev)) return prev;
            from = *prev - 1;
        }
    }
    auto it = std::upper_bound(times_.begin(), times_.end(), utc);
    while (it != times_.begin()) {
        --it;
        if (offset_at(*it - 1) != offset_at(*it)) return *it;
    }
    return std::nullopt;
}

}  // namespace jit::daemon

#include "jit/timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include <charconv>

namespace jit {

namespace {

constexpr uint64_t kMaxDuration = 366ull * 86400;

int64_t unit_seconds(char c) {
    switch (c) {
        case 's':
            return 1;
        case 'm':
            return 60;
        case 'h':
            return 3600;
        case 'd':
            return 86400;
        case 'w':
            return 7 * 86400;
    }
    return 0;
}

bool parse_digits(std::string_view s, size_t* pos, size_t max_digits, uint64_t* out) {
    size_t start = *pos;
    uint64_t v = 0;
    while (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9' && *pos - start < max_digits)
        v = v * 10 + uint64_t(s[(*pos)++] - '0');
    *out = v;
    return *pos > start;
}

}  // namespace

Result<uint64_t> parse_duration(std::string_view s) {
    if (s.empty()) return make_error(EINVAL, "empty duration");
    uint64_t total = 0;
    size_t pos = 0;
    while (pos < s.size()) {
        uint64_t n;
        if (!parse_digits(s, &pos, 9, &n))
            return make_error(EINVAL, "duration must look like 90s, 15m, 2h or 1d");
        if (pos >= s.size() || unit_seconds(s[pos]) == 0)
            return make_error(EINVAL, "duration needs a unit (s, m, h, d, w) after each number");
        total += n * uint64_t(unit_seconds(s[pos++]));
        if (total > kMaxDuration) return make_error(EINVAL, "duration longer than 366 days");
    }
    if (total == 0) return make_error(EINVAL, "duration must be positive");
    return total;
}

void append_duration(std::string* out, int64_t signed_seconds) {
    // In unsigned arithmetic: -INT64_MIN does not fit in an int64_t.
    uint64_t seconds = signed_seconds < 0 ? 0 - uint64_t(signed_seconds) : uint64_t(signed_seconds);
    static const struct {
        uint64_t size;
        char unit;
    } units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    // Two parts of at most 20 digits, a unit and a space each: no allocation
    // but the caller's append.
    char buf[48];
    char* at = buf;
    int parts = 0;
    for (const auto& u : units) {
        if (parts == 2) break;
        uint64_t n = seconds / u.size;
        if (n == 0 && parts == 0) continue;
        if (n == 0) break;  // "2h" rather than "2h 0m"
        if (parts) *at++ = ' ';
        at = std::to_chars(at, buf + sizeof buf, n).ptr;
        *at++ = u.unit;
        seconds -= n * u.size;
        ++parts;
    }
    if (parts == 0) *at++ = '0', *at++ = 's';
    out->append(buf, size_t(at - buf));
}

std::string format_duration(int64_t seconds) {
    std::string out;
    append_duration(&out, seconds);
    return out;
}

namespace {

// The distance between two times as an unsigned count, which cannot overflow.
int64_t distance(int64_t later, int64_t earlier) {
    uint64_t d = uint64_t(later) - uint64_t(earlier);
    return d > uint64_t(INT64_MAX) ? INT64_MAX : int64_t(d);
}

}  // namespace

void append_relative(std::string* out, int64_t when, int64_t now) {
    if (when == now) {
        out->append("now");
    } else if (when > now) {
        out->append("in ");
        append_duration(out, distance(when, now));
    } else {
        append_duration(out, distance(now, when));
        out->append(" ago");
    }
}

std::string format_relative(int64_t when, int64_t now) {
    std::string out;
    append_relative(&out, when, now);
    return out;
}

static std::string strftime_utc(int64_t when, const char* fmt) {
    time_t t = time_t(when);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) return "?";
    char buf[64];
    size_t n = strftime(buf, sizeof buf, fmt, &tm);
    return std::string(buf, n);
}

std::string format_utc(int64_t when) {
    return strftime_utc(when, "%Y-%m-%d %H:%M:%S UTC");
}
std::string format_iso8601(int64_t when) {
    return strftime_utc(when, "%Y-%m-%dT%H:%M:%SZ");
}

Result<int64_t> parse_timestamp(std::string_view s) {
    const Error bad = make_error(EINVAL, "time must look like 2026-11-29T18:15:00Z or @EPOCH");
    if (!s.empty() && s[0] == '@') {
        uint64_t v;
        size_t pos = 1;
        if (!parse_digits(s, &pos, 12, &v) || pos != s.size()) return bad;
        return int64_t(v);
    }
    uint64_t f[6];
    const char seps[] = {'-', '-', 'T', ':', ':'};
    const size_t widths[] = {4, 2, 2, 2, 2, 2};
    size_t pos = 0;
    for (int i = 0; i < 6; ++i) {
        size_t start = pos;
        if (!parse_digits(s, &pos, widths[i], &f[i]) || pos - start != widths[i]) return bad;
        if (i < 5) {
            if (pos >= s.size()) return bad;
            char c = s[pos++];
            if (c != seps[i] && !(i == 2 && c == ' ')) return bad;
        }
    }
    if (pos < s.size() && s[pos] == 'Z') ++pos;
    if (pos != s.size()) return bad;
    struct tm tm {};
    tm.tm_year = int(f[0]) - 1900;
    tm.tm_mon = int(f[1]) - 1;
    tm.tm_mday = int(f[2]);
    tm.tm_hour = int(f[3]);
    tm.tm_min = int(f[4]);
    tm.tm_sec = int(f[5]);
    // No leap seconds: the kernel's UTC clock never shows :60 either.
    if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 59)
        return bad;
    time_t t = timegm(&tm);
    if (tm.tm_mday != int(f[2])) return bad;  // timegm normalised 31 Feb and friends
    return int64_t(t);
}

}  // namespace jit

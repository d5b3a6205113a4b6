#include "daemon/time/tz_rule.h"

#include <algorithm>
#include <vector>

#include "daemon/time/civil_time.h"

namespace jit::daemon {

namespace {

constexpr size_t kMaxRuleText = 256;
// Times far outside any calendar anyone schedules in are clamped, so the
// year arithmetic below can never overflow.
constexpr int64_t kTimeLimit = int64_t(1) << 50;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int64_t clamp_time(int64_t t) {
    return std::clamp(t, -kTimeLimit, kTimeLimit);
}

}  // namespace

struct TzRule::Parser {
    std::string_view s;
    size_t pos = 0;
    std::string error;

    bool at_end() const { return pos >= s.size(); }
    char peek() const { return at_end() ? '\0' : s[pos]; }
    bool fail(std::string message) {
        if (error.empty()) error = std::move(message);
        return false;
    }

    bool name() {
        size_t start = pos;
        if (peek() == '<') {
            ++pos;
            while (!at_end() &&
                   (is_alpha(peek()) || is_digit(peek()) || peek() == '+' || peek() == '-'))
                ++pos;
            if (peek() != '>') return fail("unterminated <name> in TZ rule");
            if (pos - start - 1 < 3) return fail("zone abbreviation shorter than 3 characters");
            ++pos;
            return true;
        }
        while (!at_end() && is_alpha(peek())) ++pos;
        if (pos - start < 3) return fail("zone abbreviation shorter than 3 characters");
        return true;
    }

    bool number(int max_value, int* out) {
        size_t start = pos;
        int v = 0;
        while (!at_end() && is_digit(peek()) && pos - start < 3) v = v * 10 + (s[pos++] - '0');
        if (pos == start) return fail("number expected in TZ rule");
        if (v > max_value) return fail("number out of range in TZ rule");
        *out = v;
        return true;
    }

    // [+-]hh[:mm[:ss]] in seconds, hours at most max_hours.
    bool hms(int max_hours, int32_t* out) {
        int sign = 1;
        if (peek() == '+' || peek() == '-') sign = s[pos++] == '-' ? -1 : 1;
        int h = 0, m = 0, sec = 0;
        if (!number(max_hours, &h)) return false;
        if (peek() == ':') {
            ++pos;
            if (!number(59, &m)) return false;
            if (peek() == ':') {
                ++pos;
                if (!number(59, &sec)) return false;
            }
        }
        *out = sign * (h * 3600 + m * 60 + sec);
        return true;
    }

    bool date(RuleDate* d) {
        if (peek() == 'J') {
            ++pos;
            d->kind = RuleDate::kJulian1;
            if (!number(365, &d->n)) return false;
            if (d->n < 1) return fail("Jn day must be 1..365");
        } else if (peek() == 'M') {
            ++pos;
            d->kind = RuleDate::kMonthWeekDay;
            if (!number(12, &d->month) || d->month < 1) return fail("month must be 1..12");
            if (peek() != '.') return fail("Mm.w.d expected");
            ++pos;
            if (!number(5, &d->week) || d->week < 1) return fail("week must be 1..5");
            if (peek() != '.') return fail("Mm.w.d expected");
            ++pos;
            if (!number(6, &d->weekday)) return fail("weekday must be 0..6");
        } else {
            d->kind = RuleDate::kJulian0;
            if (!number(365, &d->n)) return false;
        }
        d->time = 7200;
        if (peek() == '/') {
            ++pos;
            if (!hms(167, &d->time)) return false;
        }
        return true;
    }
};

Result<TzRule, std::string> TzRule::parse(std::string_view text) {
    if (text.empty()) return std::string("empty TZ rule");
    if (text.size() > kMaxRuleText) return std::string("TZ rule too long");
    Parser p{text, 0, {}};
    TzRule r;
    int32_t west = 0;
    if (!p.name() || !p.hms(24, &west)) return p.error;
    r.std_offset_ = -west;
    if (p.at_end()) return r;
    if (!p.name()) return p.error;
    r.has_dst_ = true;
    r.dst_offset_ = r.std_offset_ + 3600;
    if (!p.at_end() && p.peek() != ',') {
        if (!p.hms(24, &west)) return p.error;
        r.dst_offset_ = -west;
    }
    if (p.at_end()) {
        // No rule given: POSIX leaves it to the implementation; glibc and
        // the tz code use the United States rule.
        r.start_ = RuleDate{RuleDate::kMonthWeekDay, 0, 3, 2, 0, 7200};
        r.end_ = RuleDate{RuleDate::kMonthWeekDay, 0, 11, 1, 0, 7200};
        return r;
    }
    if (p.peek() != ',') return std::string("unexpected text in TZ rule");
    ++p.pos;
    if (!p.date(&r.start_)) return p.error;
    if (p.peek() != ',') return std::string("TZ rule needs a start and an end date");
    ++p.pos;
    if (!p.date(&r.end_)) return p.error;
    if (!p.at_end()) return std::string("unexpected text after the TZ rule");
    return r;
}

int64_t TzRule::day_of(const RuleDate& d, int64_t year) {
    const int64_t jan1 = days_from_civil(year, 1, 1);
    switch (d.kind) {
        case RuleDate::kJulian1:  // 1..365, February 29 never counted
            return jan1 + d.n - 1 + (is_leap_year(year) && d.n >= 60 ? 1 : 0);
        case RuleDate::kJulian0:  // 0..365, February 29 counted
            return jan1 + d.n;
        case RuleDate::kMonthWeekDay:
            break;
    }
    const int64_t first = days_from_civil(year, d.month, 1);
    int day = 1 + int(floor_mod(d.weekday - weekday_from_days(first), 7)) + 7 * (d.week - 1);
    while (day > days_in_month(year, d.month)) day -= 7;
    return first + day - 1;
}

// DST starts at a local standard time and ends at a local daylight time.
int64_t TzRule::start_utc(int64_t year) const {
    return day_of(start_, year) * 86400 + start_.time - std_offset_;
}
int64_t TzRule::end_utc(int64_t year) const {
    return day_of(end_, year) * 86400 + end_.time - dst_offset_;
}

int32_t TzRule::offset_at(int64_t utc) const {
    if (!has_dst_) return std_offset_;
    const int64_t t = clamp_time(utc);
    const int64_t year = civil_from_seconds(t + std_offset_).year;
    // Look at the neighbouring years too: a rule time may run past the end
    // of its year (up to 167 hours), and southern rules wrap the new year.
    for (int64_t y = year - 1; y <= year + 1; ++y) {
        const int64_t s = start_utc(y), e = end_utc(y);
        if (s < e && s <= t && t < e) return dst_offset_;
        if (e < s && s <= t && t < end_utc(y + 1)) return dst_offset_;
    }
    return std_offset_;
}

std::optional<int64_t> TzRule::next_transition(int64_t utc) const {
    if (!has_dst_) return std::nullopt;
    const int64_t t = clamp_time(utc);
    const int64_t year = civil_from_seconds(t + std_offset_).year;
    std::vector<int64_t> candidates;
    for (int64_t y = year - 1; y <= year + 2; ++y) {
        candidates.push_back(start_utc(y));
        candidates.push_back(end_utc(y));
    }
    std::sort(candidates.begin(), candidates.end());
    for (int64_t c : candidates)
        if (c > t && offset_at(c - 1) != offset_at(c)) return c;
    return std::nullopt;
}

std::optional<int64_t> TzRule::prev_transition(int64_t utc) const {
    if (!has_dst_) return std::nullopt;
    const int64_t t = clamp_time(utc);
    const int64_t year = civil_from_seconds(t + std_offset_).year;
    std::vector<int64_t> candidates;
    for (int64_t y = year - 2; y <= year + 1; ++y) {
        candidates.push_back(start_utc(y));
        candidates.push_back(end_utc(y));
    }
    std::sort(candidates.begin(), candidates.end(), std::greater<>());
    for (int64_t c : candidates)
        if (c <= t && offset_at(c - 1) != offset_at(c)) return c;
    return std::nullopt;
}

}  // namespace jit::daemon

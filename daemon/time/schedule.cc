#include "daemon/time/schedule.h"

#include <stdio.h>

#include <algorithm>

#include "daemon/time/civil_time.h"

namespace jit::daemon {

namespace {

constexpr size_t kMaxWindows = 16;
constexpr int kMaxSteps = 4096;  // edges walked in one question; far above any real schedule
const char* const kDayNames[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

using Parsed = Result<Schedule::Window, std::string>;

std::vector<std::string_view> tokens(std::string_view s) {
    std::vector<std::string_view> out;
    size_t pos = 0;
    while (pos < s.size()) {
        while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
        size_t end = pos;
        while (end < s.size() && s[end] != ' ' && s[end] != '\t') ++end;
        if (end > pos) out.push_back(s.substr(pos, end - pos));
        pos = end;
    }
    return out;
}

int day_index(std::string_view s) {
    if (s.size() != 3) return -1;
    for (int i = 0; i < 7; ++i) {
        bool same = true;
        for (int k = 0; k < 3; ++k)
            same = same && (s[size_t(k)] | 0x20) == (kDayNames[i][k] | 0x20);
        if (same) return i;
    }
    return -1;
}

bool parse_days(std::string_view s, uint8_t* days) {
    if (s == "daily") {
        *days = 0x7f;
        return true;
    }
    size_t dash = s.find('-');
    int first = day_index(s.substr(0, dash));
    int last = dash == std::string_view::npos ? first : day_index(s.substr(dash + 1));
    if (first < 0 || last < 0) return false;
    *days = 0;
    for (int d = first;; d = (d + 1) % 7) {
        *days |= uint8_t(1 << d);
        if (d == last) break;
    }
    return true;
}

// "HH:MM", 00:00..24:00, in minutes.
bool parse_clock(std::string_view s, int* minutes) {
    if (s.size() != 5 || s[2] != ':') return false;
    for (size_t i : {0, 1, 3, 4})
        if (s[i] < '0' || s[i] > '9') return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0)) return false;
    *minutes = h * 60 + m;
    return true;
}

bool is_range(std::string_view s) {
    return s.size() == 11 && s[5] == '-';
}

Parsed parse_range(std::string_view s, Schedule::Window w) {
    if (!is_range(s) || !parse_clock(s.substr(0, 5), &w.start) || !parse_clock(s.substr(6), &w.end))
        return "'" + std::string(s) + "' is not a time range HH:MM-HH:MM (00:00 to 24:00)";
    if (w.start == 1440) return std::string("a window cannot start at 24:00");
    if (w.end == 0) w.end = 1440;
    if (w.start == w.end) return "window " + std::string(s) + " is empty";
    return w;
}

// One "[DAYS] HH:MM-HH:MM" item; *zone receives a trailing zone name when
// allowed (the last item).
Parsed parse_window(std::string_view item, bool last, std::string_view* zone) {
    auto t = tokens(item);
    if (t.empty()) return std::string("empty entry in schedule");
    Schedule::Window w;
    size_t i = 0;
    if (!is_range(t[0])) {
        if (!parse_days(t[0], &w.days))
            return "'" + std::string(t[0]) + "' is not a day (Mon..Sun), a day range or daily";
        ++i;
    }
    if (i >= t.size()) return "'" + std::string(item) + "' has no time range HH:MM-HH:MM";
    auto range = parse_range(t[i++], w);
    if (!range) return range;
    if (i < t.size() && last) *zone = t[i++];
    if (i < t.size())
        return "unexpected '" + std::string(t[i]) + "' (separate windows with commas)";
    return range;
}

std::string clock_text(int minutes) {
    char buf[16];
    snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60 % 100, minutes % 60);
    return buf;
}

std::string days_text(uint8_t days) {
    if (days == 0x7f) return "daily";
    // A single run of days (possibly wrapping the week) is shown as a range.
    for (int first = 0; first < 7; ++first) {
        if (!(days & (1 << first)) || (days & (1 << ((first + 6) % 7)))) continue;
        int last = first;
        while (days & (1 << ((last + 1) % 7)) && (last + 1) % 7 != first) last = (last + 1) % 7;
        uint8_t run = 0;
        for (int d = first;; d = (d + 1) % 7) {
            run |= uint8_t(1 << d);
            if (d == last) break;
        }
        if (run != days) break;
        return first == last ? kDayNames[first]
                             : std::string(kDayNames[first]) + "-" + kDayNames[last];
    }
    return "?";
}

}  // namespace

Result<Schedule, std::string> Schedule::parse(std::string_view text, const ZoneResolver& zones) {
    Schedule s;
    std::string_view zone_name = "UTC";
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t comma = text.find(',', pos);
        bool last = comma == std::string_view::npos;
        std::string_view item = text.substr(pos, last ? std::string_view::npos : comma - pos);
        auto w = parse_window(item, last, &zone_name);
        if (!w) return w.error();
        s.windows_.push_back(*w);
        if (s.windows_.size() > kMaxWindows) return std::string("more than 16 windows");
        if (last) break;
        pos = comma + 1;
    }
    auto zone = zones(zone_name);
    if (!zone) return zone.error();
    s.zone_ = *zone;
    s.boundaries_.push_back(0);
    for (const auto& w : s.windows_) {
        s.boundaries_.push_back(w.start * 60);
        s.boundaries_.push_back(w.end % 1440 * 60);
    }
    std::sort(s.boundaries_.begin(), s.boundaries_.end());
    s.boundaries_.erase(std::unique(s.boundaries_.begin(), s.boundaries_.end()),
                        s.boundaries_.end());
    return s;
}

bool Schedule::local_contains(int64_t local) const {
    const int64_t day = floor_div(local, 86400);
    const int sod = int(local - day * 86400);
    const int wd = weekday_from_days(day);
    const int yesterday = (wd + 6) % 7;
    for (const auto& w : windows_) {
        if (w.start < w.end) {
            if ((w.days & (1 << wd)) && sod >= w.start * 60 && sod < w.end * 60) return true;
        } else {
            if ((w.days & (1 << wd)) && sod >= w.start * 60) return true;
            if ((w.days & (1 << yesterday)) && sod < w.end * 60) return true;
        }
    }
    return false;
}

bool Schedule::contains(int64_t utc) const {
    return local_contains(utc + zone_->offset_at(utc));
}

// Membership can change only where the local clock crosses a window bound or
// midnight, or where the zone's offset changes: the edges.
int64_t Schedule::next_edge(int64_t utc) const {
    const int64_t local = utc + zone_->offset_at(utc);
    const int sod = int(local - floor_div(local, 86400) * 86400);
    auto b = std::upper_bound(boundaries_.begin(), boundaries_.end(), sod);
    int64_t edge = utc + ((b == boundaries_.end() ? 86400 : *b) - sod);
    if (auto t = zone_->next_transition(utc); t && *t < edge) edge = *t;
    return edge;
}

// The last edge strictly before utc.
int64_t Schedule::prev_edge(int64_t utc) const {
    const int64_t before = utc - 1;
    const int64_t local = before + zone_->offset_at(before);
    const int sod = int(local - floor_div(local, 86400) * 86400);
    auto b = std::upper_bound(boundaries_.begin(), boundaries_.end(), sod);
    int64_t edge = before - (sod - *(b - 1));  // boundaries_ starts with 0 <= sod
    if (auto t = zone_->prev_transition(before); t && *t > edge) edge = *t;
    return edge;
}

std::optional<int64_t> Schedule::window_end(int64_t utc) const {
    if (!contains(utc)) return std::nullopt;
    int64_t t = utc;
    for (int i = 0; i < kMaxSteps && t - utc <= kHorizon; ++i) {
        t = next_edge(t);
        if (!contains(t)) return t;
    }
    return std::nullopt;
}

std::optional<int64_t> Schedule::window_start(int64_t utc) const {
    if (!contains(utc)) return std::nullopt;
    int64_t s = utc;
    for (int i = 0; i < kMaxSteps && utc - s <= kHorizon; ++i) {
        int64_t e = prev_edge(s);
        if (!contains(e)) return s;
        s = e;
    }
    return std::nullopt;
}

std::optional<int64_t> Schedule::next_start(int64_t utc) const {
    int64_t t = utc;
    for (int i = 0; i < kMaxSteps && t - utc <= kHorizon; ++i) {
        if (contains(t)) return t;
        t = next_edge(t);
    }
    return std::nullopt;
}

std::string Schedule::describe() const {
    std::string out;
    for (const auto& w : windows_) {
        if (!out.empty()) out += ", ";
        out += days_text(w.days) + " " + clock_text(w.start) + "-" + clock_text(w.end);
    }
    return out + " " + zone_->name();
}

}  // namespace jit::daemon

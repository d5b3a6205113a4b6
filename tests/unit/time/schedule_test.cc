// Schedules: wall-clock windows in named zones, at their edges and across
// daylight saving changes in Europe/Berlin and America/New_York, and the
// window bounds checked against a brute-force walk minute by minute.
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "daemon/time/civil_time.h"
#include "daemon/time/schedule.h"

namespace jit::daemon {
namespace {

int64_t utc(int64_t y, int m, int d, int h, int mi = 0, int s = 0) {
    return days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s;
}

ZoneResolver system_zones() {
    return [](std::string_view name) -> Result<std::shared_ptr<const TimeZone>, std::string> {
        auto z = TimeZone::load(name, kDefaultZoneinfoDir);
        if (!z) return z.error();
        return std::make_shared<const TimeZone>(std::move(*z));
    };
}

Schedule parse(const std::string& text) {
    auto s = Schedule::parse(text, system_zones());
    EXPECT_TRUE(s.ok()) << text << ": " << (s.ok() ? "" : s.error());
    return s.ok() ? *s : *Schedule::parse("00:00-24:00", system_zones());
}

struct Case {
    const char* name;
    const char* schedule;
    int64_t at;
    bool inside;
    std::optional<int64_t> start, end;  // of the window `at` is in
};

std::ostream& operator<<(std::ostream& os, const Case& c) {
    return os << c.name;
}

class ScheduleCase : public ::testing::TestWithParam<Case> {};

TEST_P(ScheduleCase, ContainsAndBounds) {
    const Case& c = GetParam();
    Schedule s = parse(c.schedule);
    EXPECT_EQ(s.contains(c.at), c.inside);
    if (!c.inside) {
        EXPECT_EQ(s.window_start(c.at), std::nullopt);
        EXPECT_EQ(s.window_end(c.at), std::nullopt);
        return;
    }
    EXPECT_EQ(s.window_start(c.at), c.start);
    EXPECT_EQ(s.window_end(c.at), c.end);
}

const char* const kBerlinWeek = "Mon-Fri 08:00-20:00 Europe/Berlin";
// 2026-03-29 and 2026-10-25 are Berlin's change days; 2026-03-08 and
// 2026-11-01 New York's.
const Case kCases[] = {
    {"BerlinFridayBeforeOpening", kBerlinWeek, utc(2026, 3, 27, 6, 59, 59), false, {}, {}},
    {"BerlinFridayOpensAt0800Cet", kBerlinWeek, utc(2026, 3, 27, 7), true, utc(2026, 3, 27, 7),
     utc(2026, 3, 27, 19)},
    {"BerlinFridayLastSecond", kBerlinWeek, utc(2026, 3, 27, 18, 59, 59), true, utc(2026, 3, 27, 7),
     utc(2026, 3, 27, 19)},
    {"BerlinFridayClosesAt2000Cet", kBerlinWeek, utc(2026, 3, 27, 19), false, {}, {}},
    {"BerlinSaturdayClosed", kBerlinWeek, utc(2026, 3, 28, 10), false, {}, {}},
    {"BerlinMondayAfterChangeOpensAt0600Z", kBerlinWeek, utc(2026, 3, 30, 6), true,
     utc(2026, 3, 30, 6), utc(2026, 3, 30, 18)},
    {"BerlinMondayAfterChangeNotAt0559Z", kBerlinWeek, utc(2026, 3, 30, 5, 59, 59), false, {}, {}},
    {"BerlinSpringHourThatDoesNotExist",
     "02:00-03:00 Europe/Berlin",
     utc(2026, 3, 29, 0, 59, 59),
     false,
     {},
     {}},
    {"BerlinSpringAfterTheJump", "02:00-03:00 Europe/Berlin", utc(2026, 3, 29, 1), false, {}, {}},
    {"BerlinSpringWindowStartsAtTheJump", "02:30-04:00 Europe/Berlin", utc(2026, 3, 29, 1, 30),
     true, utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)},
    {"BerlinFallHourHappensTwiceFirst", "02:00-03:00 Europe/Berlin", utc(2026, 10, 25, 0, 10), true,
     utc(2026, 10, 25, 0), utc(2026, 10, 25, 2)},
    {"BerlinFallHourHappensTwiceSecond", "02:00-03:00 Europe/Berlin", utc(2026, 10, 25, 1, 30),
     true, utc(2026, 10, 25, 0), utc(2026, 10, 25, 2)},
    {"BerlinFallAfterTheRepeat", "02:00-03:00 Europe/Berlin", utc(2026, 10, 25, 2), false, {}, {}},
    {"BerlinBeyondListedTransitions", "Sun 02:00-03:00 Europe/Berlin", utc(2040, 10, 28, 0, 30),
     true, utc(2040, 10, 28, 0), utc(2040, 10, 28, 2)},
    {"NewYorkSpringWindowCutShort", "Sun 01:30-02:30 America/New_York", utc(2026, 3, 8, 6, 45),
     true, utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7)},
    {"NewYorkSpringGone", "Sun 01:30-02:30 America/New_York", utc(2026, 3, 8, 7), false, {}, {}},
    {"NewYorkFallHourTwice", "Sun 01:00-02:00 America/New_York", utc(2026, 11, 1, 6, 30), true,
     utc(2026, 11, 1, 5), utc(2026, 11, 1, 7)},
    {"NewYorkWeekdayEst", "Mon-Fri 09:00-17:00 America/New_York", utc(2026, 1, 5, 14), true,
     utc(2026, 1, 5, 14), utc(2026, 1, 5, 22)},
    {"NewYorkWeekdayEdt", "Mon-Fri 09:00-17:00 America/New_York", utc(2026, 7, 6, 13), true,
     utc(2026, 7, 6, 13), utc(2026, 7, 6, 21)},
    {"PastMidnightBelongsToStartDay", "Fri 22:00-02:00", utc(2026, 3, 28, 1, 59, 59), true,
     utc(2026, 3, 27, 22), utc(2026, 3, 28, 2)},
    {"PastMidnightEnds", "Fri 22:00-02:00", utc(2026, 3, 28, 2), false, {}, {}},
    {"PastMidnightNotFromThursday", "Fri 22:00-02:00", utc(2026, 3, 27, 1), false, {}, {}},
    {"DayRangeWrapsTheWeek", "Fri-Mon 09:00-17:00", utc(2026, 3, 29, 12), true, utc(2026, 3, 29, 9),
     utc(2026, 3, 29, 17)},
    {"DayRangeWrapsNotTuesday", "Fri-Mon 09:00-17:00", utc(2026, 3, 31, 12), false, {}, {}},
    {"AdjacentWindowsMerge", "Mon-Fri 08:00-12:00, Mon-Fri 12:00-18:00", utc(2026, 3, 30, 9), true,
     utc(2026, 3, 30, 8), utc(2026, 3, 30, 18)},
    {"UntilMidnight", "daily 23:00-24:00", utc(2026, 3, 30, 23, 30), true, utc(2026, 3, 30, 23),
     utc(2026, 3, 31, 0)},
    {"AlwaysHasNoEndWithinTheHorizon", "daily 00:00-24:00", utc(2026, 3, 30, 9), true, {}, {}},
};

INSTANTIATE_TEST_SUITE_P(Windows, ScheduleCase, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Schedule, NextStartSkipsToTheNextOpening) {
    Schedule week = parse(kBerlinWeek);
    EXPECT_EQ(week.next_start(utc(2026, 3, 28, 10)), utc(2026, 3, 30, 6));
    EXPECT_EQ(week.next_start(utc(2026, 3, 30, 7)), utc(2026, 3, 30, 7));  // already open
    Schedule spring = parse("02:00-03:00 Europe/Berlin");
    // The night of the change has no 02:00; the next one is the night after.
    EXPECT_EQ(spring.next_start(utc(2026, 3, 28, 23)), utc(2026, 3, 30, 0));
}

TEST(Schedule, DescribesItselfCanonically) {
    EXPECT_EQ(parse("mon-fri 08:00-20:00 Europe/Berlin").describe(),
              "Mon-Fri 08:00-20:00 Europe/Berlin");
    EXPECT_EQ(parse("Sat 10:00-12:00,  Sun 22:00-02:00").describe(),
              "Sat 10:00-12:00, Sun 22:00-02:00 UTC");
    EXPECT_EQ(parse("02:00-03:00").describe(), "daily 02:00-03:00 UTC");
    EXPECT_EQ(parse("Fri-Mon 09:00-00:00").describe(), "Fri-Mon 09:00-24:00 UTC");
}

TEST(Schedule, RefusesWhatItCannotRead) {
    const std::pair<const char*, const char*> cases[] = {
        {"", "empty entry in schedule"},
        {"08:00-09:00,", "empty entry in schedule"},
        {"Mon-Fri 8:00-20:00", "'8:00-20:00' is not a time range HH:MM-HH:MM (00:00 to 24:00)"},
        {"Xyz 08:00-20:00", "'Xyz' is not a day (Mon..Sun), a day range or daily"},
        {"Mon-Fri", "'Mon-Fri' has no time range HH:MM-HH:MM"},
        // Found by the policy fuzzer: a short token after a day name.
        {"daily 02:00", "'02:00' is not a time range HH:MM-HH:MM (00:00 to 24:00)"},
        {"Mon 08:00-9", "'08:00-9' is not a time range HH:MM-HH:MM (00:00 to 24:00)"},
        {"08:00-08:00", "window 08:00-08:00 is empty"},
        {"24:00-01:00", "a window cannot start at 24:00"},
        {"08:00-24:01", "'08:00-24:01' is not a time range HH:MM-HH:MM (00:00 to 24:00)"},
        {"08:60-09:00", "'08:60-09:00' is not a time range HH:MM-HH:MM (00:00 to 24:00)"},
        {"08:00-20:00 Europe/Berlin, 09:00-10:00",
         "unexpected 'Europe/Berlin' (separate windows with commas)"},
        {"08:00-20:00 Mars/Base",
         "unknown time zone 'Mars/Base' (no /usr/share/zoneinfo/Mars/Base)"},
        {"08:00-20:00 ../../etc/passwd", "invalid time zone name '../../etc/passwd'"},
        {"08:00-20:00 UTC extra", "unexpected 'extra' (separate windows with commas)"},
    };
    for (const auto& [text, message] : cases) {
        auto s = Schedule::parse(text, system_zones());
        ASSERT_FALSE(s.ok()) << text;
        EXPECT_EQ(s.error(), message) << text;
    }
    std::string many;
    for (int i = 0; i < 17; ++i) many += std::string(many.empty() ? "" : ", ") + "Mon 08:00-09:00";
    EXPECT_FALSE(Schedule::parse(many, system_zones()).ok());
}

// Window bounds by brute force: the zones here change offset only on whole
// minutes, so walking minute by minute finds every edge.
std::optional<int64_t> brute_end(const Schedule& s, int64_t t) {
    if (!s.contains(t)) return std::nullopt;
    int64_t m = t - floor_mod(t, 60) + 60;
    for (; m - t <= Schedule::kHorizon; m += 60)
        if (!s.contains(m)) return m;
    return std::nullopt;
}
std::optional<int64_t> brute_start(const Schedule& s, int64_t t) {
    if (!s.contains(t)) return std::nullopt;
    int64_t m = t - floor_mod(t, 60);
    for (; t - m <= Schedule::kHorizon; m -= 60)
        if (!s.contains(m - 1)) return m;
    return std::nullopt;
}

TEST(Schedule, BoundsAgreeWithAMinuteByMinuteWalk) {
    const char* schedules[] = {
        kBerlinWeek,
        "02:00-03:00 Europe/Berlin",
        "Sun 01:00-03:30, Sat 22:00-02:30 America/New_York",
        "Mon-Fri 09:00-17:00, Sat 01:30-02:30 America/New_York",
        "daily 00:30-02:30 Europe/Berlin",
        "Fri-Mon 22:00-06:00 Australia/Sydney",
    };
    std::mt19937_64 rng(3);
    // 2026 whole, with extra weight on the days the clocks change.
    std::uniform_int_distribution<int64_t> year(utc(2026, 1, 1, 0), utc(2027, 1, 1, 0));
    std::uniform_int_distribution<int64_t> day(0, 86400 * 2);
    const int64_t change_days[] = {utc(2026, 3, 28, 12), utc(2026, 10, 24, 12),
                                   utc(2026, 3, 7, 12),  utc(2026, 10, 31, 12),
                                   utc(2026, 4, 4, 6),   utc(2026, 10, 3, 6)};
    for (const char* text : schedules) {
        Schedule s = parse(text);
        for (int i = 0; i < 400; ++i) {
            int64_t t = i % 2 ? year(rng) : change_days[size_t(i / 2) % 6] + day(rng);
            ASSERT_EQ(s.window_end(t), brute_end(s, t)) << text << " at " << t;
            ASSERT_EQ(s.window_start(t), brute_start(s, t)) << text << " at " << t;
            if (!s.contains(t)) {
                auto next = s.next_start(t);
                ASSERT_TRUE(next.has_value()) << text << " at " << t;
                ASSERT_TRUE(s.contains(*next));
                ASSERT_FALSE(s.contains(*next - 1)) << text << " at " << t;
            }
        }
    }
}

}  // namespace
}  // namespace jit::daemon

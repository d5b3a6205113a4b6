// The time zone reader: POSIX TZ rules and TZif files, checked at the exact
// seconds of daylight saving changes and against glibc's own reading of the
// same zones over many instants (past, present and beyond the listed
// transitions, where the footer rule takes over).  Malformed files are
// refused, and no prefix of a real file is ever accepted.
#include <stdlib.h>
#include <time.h>

#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/time/civil_time.h"
#include "daemon/time/tz_rule.h"
#include "daemon/time/tzif.h"

namespace jit::daemon {
namespace {

// Berlin and New York, 2026 and 2040 (beyond 2037 the footer rule decides).
constexpr int64_t kBerlinSpring2026 = 1774746000;   // 2026-03-29 01:00:00Z
constexpr int64_t kBerlinFall2026 = 1792890000;     // 2026-10-25 01:00:00Z
constexpr int64_t kNewYorkSpring2026 = 1772953200;  // 2026-03-08 07:00:00Z
constexpr int64_t kNewYorkFall2026 = 1793512800;    // 2026-11-01 06:00:00Z
constexpr int64_t kBerlinSpring2040 = 2216250000;   // 2040-03-25 01:00:00Z
constexpr int64_t kBerlinFall2040 = 2234998800;     // 2040-10-28 01:00:00Z

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
}

TimeZone zone(const char* name) {
    auto z = TimeZone::load(name, kDefaultZoneinfoDir);
    EXPECT_TRUE(z.ok()) << (z.ok() ? "" : z.error());
    return z.ok() ? *z : TimeZone::utc();
}

// glibc's offset for a TZ value at t.  Tests are single-threaded; TZ is put
// back afterwards.
class GlibcZone {
public:
    explicit GlibcZone(const std::string& tz) {
        const char* old = getenv("TZ");
        had_ = old != nullptr;
        if (had_) old_ = old;
        setenv("TZ", tz.c_str(), 1);
        tzset();
    }
    ~GlibcZone() {
        if (had_)
            setenv("TZ", old_.c_str(), 1);
        else
            unsetenv("TZ");
        tzset();
    }
    long offset(int64_t t) const {
        time_t tt = time_t(t);
        struct tm tm;
        localtime_r(&tt, &tm);
        return tm.tm_gmtoff;
    }

private:
    bool had_ = false;
    std::string old_;
};

TEST(CivilTime, RoundTripsDaysAndWeekdays) {
    for (int64_t z = -800000; z <= 800000; z += 97) {
        int64_t y;
        int m, d;
        civil_from_days(z, &y, &m, &d);
        ASSERT_EQ(days_from_civil(y, m, d), z);
    }
    EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
    EXPECT_EQ(weekday_from_days(0), 4);                           // Thursday
    EXPECT_EQ(civil_from_seconds(kBerlinSpring2026).weekday, 0);  // a Sunday
    CivilTime c = civil_from_seconds(-1);
    EXPECT_EQ(c.year, 1969);
    EXPECT_EQ(c.hour, 23);
    EXPECT_EQ(c.second, 59);
}

struct RuleCase {
    const char* text;
    bool ok;
};

TEST(TzRule, ParsesWhatPosixAllowsAndNothingElse) {
    const RuleCase cases[] = {
        {"CET-1CEST,M3.5.0,M10.5.0/3", true},
        {"EST5EDT,M3.2.0,M11.1.0", true},
        {"<-03>3", true},
        {"<+0330>-3:30", true},
        {"IST-2IDT,M3.4.4/26,M10.5.0", true},
        {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", true},
        {"EST5EDT,0/0,J365/25", true},
        {"EST5EDT", true},
        {"UTC0", true},
        {"", false},
        {"CE-1", false},                       // abbreviation too short
        {"CET", false},                        // no offset
        {"CET-25", false},                     // offset hours above 24
        {"CET-1CEST,M13.5.0,M10.5.0", false},  // month 13
        {"CET-1CEST,M3.6.0,M10.5.0", false},   // week 6
        {"CET-1CEST,M3.5.7,M10.5.0", false},   // weekday 7
        {"CET-1CEST,M3.5.0", false},           // no end
        {"CET-1CEST,M3.5.0,M10.5.0/168", false},
        {"CET-1CEST,J0,J365", false},  // J0 does not exist
        {"CET-1CEST,M3.5.0,M10.5.0x", false},
        {"<CET-1", false},
        {"CET-1:60", false},
    };
    for (const auto& c : cases) {
        auto r = TzRule::parse(c.text);
        EXPECT_EQ(r.ok(), c.ok) << c.text << (r.ok() ? "" : ": " + r.error());
    }
    EXPECT_FALSE(TzRule::parse(std::string(300, 'A')).ok());
}

TEST(TzRule, AgreesWithGlibcOnRuleStrings) {
    const char* rules[] = {
        "CET-1CEST,M3.5.0,M10.5.0/3",
        "EST5EDT,M3.2.0,M11.1.0",
        "AEST-10AEDT,M10.1.0,M4.1.0/3",
        "NZST-12NZDT,M9.5.0,M4.1.0/3",
        "IST-2IDT,M3.4.4/26,M10.5.0",
        "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
        "<+0330>-3:30",
        "WET0WEST,M3.5.0/1,M10.5.0",
        "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
        "EST5EDT,J60/2,J300/2",
        "EST5EDT,59/2,299/2",
    };
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int64_t> when(0, int64_t(4102444800));  // 1970..2100
    for (const char* text : rules) {
        auto rule = TzRule::parse(text);
        ASSERT_TRUE(rule.ok()) << text;
        GlibcZone glibc(text);
        for (int i = 0; i < 3000; ++i) {
            int64_t t = when(rng);
            ASSERT_EQ(rule->offset_at(t), glibc.offset(t)) << text << " at " << t;
        }
        // Around every transition of a few years, to the second.
        int64_t t = 1700000000;
        for (int n = 0; n < 8; ++n) {
            auto next = rule->next_transition(t);
            if (!next) break;
            ASSERT_EQ(rule->offset_at(*next), glibc.offset(*next)) << text;
            ASSERT_EQ(rule->offset_at(*next - 1), glibc.offset(*next - 1)) << text;
            ASSERT_NE(rule->offset_at(*next), rule->offset_at(*next - 1)) << text;
            EXPECT_EQ(rule->prev_transition(*next), next) << text;
            EXPECT_EQ(rule->prev_transition(*next + 3600), next) << text;
            t = *next;
        }
    }
}

TEST(TimeZone, BerlinAndNewYorkChangeAtTheExactSecond) {
    TimeZone berlin = zone("Europe/Berlin");
    EXPECT_EQ(berlin.offset_at(kBerlinSpring2026 - 1), 3600);
    EXPECT_EQ(berlin.offset_at(kBerlinSpring2026), 7200);
    EXPECT_EQ(berlin.offset_at(kBerlinFall2026 - 1), 7200);
    EXPECT_EQ(berlin.offset_at(kBerlinFall2026), 3600);
    EXPECT_EQ(berlin.offset_at(kBerlinSpring2040 - 1), 3600);
    EXPECT_EQ(berlin.offset_at(kBerlinSpring2040), 7200);
    EXPECT_EQ(berlin.offset_at(kBerlinFall2040 - 1), 7200);
    EXPECT_EQ(berlin.offset_at(kBerlinFall2040), 3600);
    EXPECT_EQ(berlin.next_transition(kBerlinSpring2026 - 100), kBerlinSpring2026);
    EXPECT_EQ(berlin.next_transition(kBerlinSpring2026), kBerlinFall2026);
    EXPECT_EQ(berlin.prev_transition(kBerlinFall2026 - 1), kBerlinSpring2026);
    EXPECT_EQ(berlin.prev_transition(kBerlinFall2026), kBerlinFall2026);
    EXPECT_EQ(berlin.next_transition(kBerlinFall2040 - 5), kBerlinFall2040);
    EXPECT_EQ(berlin.prev_transition(kBerlinFall2040 + 5), kBerlinFall2040);

    TimeZone ny = zone("America/New_York");
    EXPECT_EQ(ny.offset_at(kNewYorkSpring2026 - 1), -18000);
    EXPECT_EQ(ny.offset_at(kNewYorkSpring2026), -14400);
    EXPECT_EQ(ny.offset_at(kNewYorkFall2026 - 1), -14400);
    EXPECT_EQ(ny.offset_at(kNewYorkFall2026), -18000);
    EXPECT_EQ(ny.next_transition(kNewYorkFall2026 - 1), kNewYorkFall2026);
    CivilTime c = ny.local_time(kNewYorkSpring2026);
    EXPECT_EQ(c.hour, 3);  // 01:59:59 EST is followed by 03:00:00 EDT
    EXPECT_EQ(ny.local_time(kNewYorkSpring2026 - 1).hour, 1);
}

TEST(TimeZone, AgreesWithGlibcOverCenturies) {
    const char* names[] = {"Europe/Berlin",     "America/New_York",  "Australia/Sydney",
                           "Asia/Kolkata",      "America/Sao_Paulo", "Pacific/Chatham",
                           "Africa/Casablanca", "Europe/Dublin",     "UTC"};
    std::mt19937_64 rng(11);
    std::uniform_int_distribution<int64_t> when(int64_t(-2208988800), int64_t(4102444800));
    for (const char* name : names) {
        TimeZone z = zone(name);
        GlibcZone glibc(std::string(":") + name);
        for (int i = 0; i < 4000; ++i) {
            int64_t t = when(rng);
            ASSERT_EQ(z.offset_at(t), glibc.offset(t)) << name << " at " << t;
        }
        int64_t t = 1500000000;
        for (int n = 0; n < 40; ++n) {
            auto next = z.next_transition(t);
            if (!next) break;
            ASSERT_EQ(z.offset_at(*next), glibc.offset(*next)) << name << " " << *next;
            ASSERT_EQ(z.offset_at(*next - 1), glibc.offset(*next - 1)) << name << " " << *next;
            ASSERT_EQ(z.prev_transition(*next), next) << name;
            t = *next;
        }
    }
}

TEST(TimeZone, NamesAreCheckedBeforeAnyFileIsOpened) {
    for (const char* bad :
         {"", "../etc/passwd", "Europe/../UTC", "/etc/localtime", "Europe//Berlin",
          "Europe/Berlin/", "Europe/Ber lin", "-x", "Europe/.", "a\nb"})
        EXPECT_FALSE(TimeZone::valid_name(bad)) << bad;
    for (const char* good : {"UTC", "Europe/Berlin", "Etc/GMT-5", "America/Port-au-Prince"})
        EXPECT_TRUE(TimeZone::valid_name(good)) << good;
    auto missing = TimeZone::load("Mars/Olympus_Mons", kDefaultZoneinfoDir);
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().find("unknown time zone 'Mars/Olympus_Mons'"), std::string::npos);
    EXPECT_FALSE(TimeZone::load("../../etc/passwd", kDefaultZoneinfoDir).ok());
    auto builtin = TimeZone::load("UTC", "/nonexistent");
    ASSERT_TRUE(builtin.ok());
    EXPECT_EQ(builtin->offset_at(kBerlinSpring2026), 0);
}

class TzifMalformed : public ::testing::Test {
protected:
    void SetUp() override {
        bytes_ = read_bytes(std::string(kDefaultZoneinfoDir) + "/Europe/Berlin");
        ASSERT_GT(bytes_.size(), 100u);
        ASSERT_TRUE(TimeZone::parse(bytes_.data(), bytes_.size()).ok());
    }
    std::string error_of(const std::vector<uint8_t>& b) {
        auto z = TimeZone::parse(b.data(), b.size());
        return z.ok() ? "accepted" : z.error();
    }
    static void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
        for (int i = 0; i < 4; ++i) b[at + size_t(i)] = uint8_t(v >> (24 - 8 * i));
    }
    std::vector<uint8_t> bytes_;
};

TEST_F(TzifMalformed, EveryStrictPrefixIsRefused) {
    for (size_t n = 0; n < bytes_.size(); ++n)
        ASSERT_NE(error_of(std::vector<uint8_t>(bytes_.begin(), bytes_.begin() + long(n))),
                  "accepted")
            << "prefix of " << n << " bytes";
}

TEST_F(TzifMalformed, HeaderFaults) {
    auto b = bytes_;
    b[0] = 'X';
    EXPECT_EQ(error_of(b), "not a TZif file (bad magic)");
    b = bytes_;
    b[4] = '9';
    EXPECT_EQ(error_of(b), "unsupported TZif version");
    b = bytes_;
    put32(b, 28, 1);  // leapcnt in the version 1 header
    EXPECT_EQ(error_of(b), "leap-second TZif files (right/...) are not supported");
    b = bytes_;
    put32(b, 36, 0);  // typecnt
    EXPECT_EQ(error_of(b), "TZif type count must be 1..256");
    b = bytes_;
    put32(b, 24, 3);  // isstdcnt neither 0 nor typecnt
    EXPECT_EQ(error_of(b), "TZif isstd count mismatch");
    b = bytes_;
    b.push_back('x');
    EXPECT_EQ(error_of(b), "TZif footer malformed");
    b = bytes_;
    b.insert(b.end() - 1, {'\n', 'X'});
    EXPECT_EQ(error_of(b), "TZif footer malformed");
}

TEST_F(TzifMalformed, BodyFaults) {
    // Offsets of the version 2 block: after the v1 header and block.
    auto count = [&](size_t at) {
        return uint32_t(bytes_[at]) << 24 | uint32_t(bytes_[at + 1]) << 16 |
               uint32_t(bytes_[at + 2]) << 8 | bytes_[at + 3];
    };
    uint32_t isut = count(20), isstd = count(24), timecnt = count(32), typecnt = count(36),
             chars = count(40);
    size_t v2 = 44 + timecnt * 5 + typecnt * 6 + chars + isstd + isut;
    uint32_t timecnt2 = count(v2 + 32);
    ASSERT_GT(timecnt2, 3u);
    size_t times = v2 + 44, idx = times + 8 * timecnt2, types = idx + timecnt2;

    auto b = bytes_;
    std::swap_ranges(b.begin() + long(times), b.begin() + long(times + 8),
                     b.begin() + long(times + 8));  // two transitions out of order
    EXPECT_EQ(error_of(b), "TZif transition times are not ascending");
    b = bytes_;
    b[idx + 2] = uint8_t(count(v2 + 36));  // one past the last type
    EXPECT_EQ(error_of(b), "TZif transition names an unknown type");
    b = bytes_;
    put32(b, types, 0x7fffffff);
    EXPECT_EQ(error_of(b), "TZif offset out of range");
    b = bytes_;
    b[types + 4] = 2;
    EXPECT_EQ(error_of(b), "TZif isdst is not 0 or 1");
    b = bytes_;
    b[types + 5] = 0xff;
    EXPECT_EQ(error_of(b), "TZif designation index out of range");
    b = bytes_;
    std::string bad_rule = "\nCET-1CEST,M3.5.0\n";
    size_t footer = b.size();
    while (b[footer - 2] != '\n') --footer;
    b.resize(footer - 2);  // drop the old footer, its leading newline included
    b.insert(b.end(), bad_rule.begin(), bad_rule.end());
    EXPECT_EQ(error_of(b), "TZif footer: TZ rule needs a start and an end date");
}

}  // namespace
}  // namespace jit::daemon

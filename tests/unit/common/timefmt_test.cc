// Durations and timestamps as administrators type and read them.  Expected
// epoch values were computed independently (calendar.timegm / date -u).
#include "jit/timefmt.h"

#include <errno.h>
#include <gtest/gtest.h>

#include <string>

namespace jit {
namespace {

void expect_duration(const char* text, uint64_t seconds) {
    auto r = parse_duration(text);
    ASSERT_TRUE(r.ok()) << text << ": " << r.error().what;
    EXPECT_EQ(*r, seconds) << text;
}

void expect_bad_duration(const std::string& text) {
    auto r = parse_duration(text);
    ASSERT_FALSE(r.ok()) << "\"" << text << "\" was accepted as " << *r << "s";
    EXPECT_EQ(r.error().code, EINVAL) << text;
}

TEST(ParseDuration, EachUnitAndACombination) {
    expect_duration("90s", 90);
    expect_duration("15m", 15 * 60);
    expect_duration("2h", 2 * 3600);
    expect_duration("1d", 86400);
    expect_duration("1h30m", 3600 + 30 * 60);
    expect_duration("1d2h3m4s", 86400 + 2 * 3600 + 3 * 60 + 4);
    expect_duration("007m", 7 * 60);
    expect_duration("0h5m", 5 * 60);  // a zero part is fine while the total is positive
}

TEST(ParseDuration, UpperBoundIs366Days) {
    expect_duration("366d", 366 * 86400);
    expect_duration("8784h", 366 * 86400);
    expect_duration("365d23h59m60s", 366 * 86400);
    expect_bad_duration("366d1s");
    expect_bad_duration("367d");
    expect_bad_duration("527041m");  // 366 days and one minute
}

TEST(ParseDuration, RejectsMalformedText) {
    for (const char* text : {"", "15", "m", "0s", "0d0h", "-5m", "+5m", "5 m", " 5m", "5m ", "5M",
                             "1.5h", "5x", "h5", "1h30", "1h-30m", "1hm", "5mm"}) {
        SCOPED_TRACE(text);
        expect_bad_duration(text);
    }
    using namespace std::string_literals;
    expect_bad_duration("5m\0"s);
}

TEST(ParseDuration, HugeNumbersDoNotWrapAround) {
    // 2^64 seconds wraps to 0 and 2^64+90 to 90 in careless arithmetic.
    for (const char* text :
         {"18446744073709551616s", "18446744073709551706s", "99999999999999999999d", "999999999d",
          "213503982334601w", "300d300d", "999999999s"}) {
        SCOPED_TRACE(text);
        expect_bad_duration(text);
    }
}

TEST(FormatDuration, TwoMostSignificantUnits) {
    EXPECT_EQ(format_duration(0), "0s");
    EXPECT_EQ(format_duration(45), "45s");
    EXPECT_EQ(format_duration(60), "1m");
    EXPECT_EQ(format_duration(90), "1m 30s");
    EXPECT_EQ(format_duration(14 * 60 + 59), "14m 59s");
    EXPECT_EQ(format_duration(3600), "1h");
    EXPECT_EQ(format_duration(7200), "2h");  // not "2h 0m"
    EXPECT_EQ(format_duration(3600 + 5 * 60), "1h 5m");
    EXPECT_EQ(format_duration(3600 + 5 * 60 + 7), "1h 5m");  // seconds dropped
    EXPECT_EQ(format_duration(2 * 86400 + 3 * 3600 + 59), "2d 3h");
    EXPECT_EQ(format_duration(366 * 86400), "366d");
    EXPECT_EQ(format_duration(-90), "1m 30s");  // magnitude only; direction is format_relative's
}

TEST(FormatDuration, ReadsBackWhatParseDurationAccepts) {
    for (const char* text : {"90s", "15m", "2h", "1d", "1h30m", "2d3h"}) {
        auto seconds = parse_duration(text);
        ASSERT_TRUE(seconds.ok()) << text;
        std::string shown = format_duration(int64_t(*seconds));
        std::string compact;
        for (char c : shown)
            if (c != ' ') compact += c;
        auto again = parse_duration(compact);
        ASSERT_TRUE(again.ok()) << shown;
        EXPECT_EQ(*again, *seconds) << text << " shown as " << shown;
    }
}

TEST(FormatRelative, FutureNowAndPast) {
    EXPECT_EQ(format_relative(1000, 1000), "now");
    EXPECT_EQ(format_relative(1000 + 14 * 60, 1000), "in 14m");
    EXPECT_EQ(format_relative(1000, 1000 + 3 * 60), "3m ago");
    EXPECT_EQ(format_relative(1000 + 3600 + 60, 1000), "in 1h 1m");
    EXPECT_EQ(format_relative(-10, 50), "1m ago");
}

TEST(FormatRelative, ExtremesDoNotOverflow) {
    EXPECT_EQ(format_duration(INT64_MIN), "106751991167300d 15h");
    EXPECT_EQ(format_relative(INT64_MAX, INT64_MIN), "in 106751991167300d 15h");
    EXPECT_EQ(format_relative(INT64_MIN, INT64_MAX), "106751991167300d 15h ago");
}

TEST(AppendRelative, AppendsWhatFormatRelativeReturns) {
    for (int64_t when : {int64_t(1000), int64_t(1059), int64_t(1000 + 90061), int64_t(-5)}) {
        std::string reason = "grant g-1 ends ";
        append_relative(&reason, when, 1000);
        EXPECT_EQ(reason, "grant g-1 ends " + format_relative(when, 1000));
        std::string duration = "for ";
        append_duration(&duration, when);
        EXPECT_EQ(duration, "for " + format_duration(when));
    }
}

TEST(FormatUtc, KnownInstants) {
    EXPECT_EQ(format_utc(0), "1970-01-01 00:00:00 UTC");
    EXPECT_EQ(format_utc(1764440100), "2025-11-29 18:15:00 UTC");
    EXPECT_EQ(format_utc(951782400), "2000-02-29 00:00:00 UTC");
    EXPECT_EQ(format_utc(-1), "1969-12-31 23:59:59 UTC");
    EXPECT_EQ(format_utc(2147483648), "2038-01-19 03:14:08 UTC");  // past the 32-bit limit
}

TEST(FormatIso8601, KnownInstants) {
    EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(format_iso8601(1764440100), "2025-11-29T18:15:00Z");
    EXPECT_EQ(format_iso8601(1709210096), "2024-02-29T12:34:56Z");
    EXPECT_EQ(format_iso8601(946684799), "1999-12-31T23:59:59Z");
}

void expect_timestamp(const char* text, int64_t when) {
    auto r = parse_timestamp(text);
    ASSERT_TRUE(r.ok()) << text << ": " << r.error().what;
    EXPECT_EQ(*r, when) << text;
}

TEST(ParseTimestamp, AcceptedForms) {
    expect_timestamp("2025-11-29T18:15:00Z", 1764440100);
    expect_timestamp("2025-11-29 18:15:00", 1764440100);
    expect_timestamp("2024-02-29T12:34:56Z", 1709210096);  // leap day
    expect_timestamp("2000-02-29T00:00:00Z", 951782400);   // leap century
    expect_timestamp("2038-01-19T03:14:08Z", 2147483648);
    expect_timestamp("@1764440100", 1764440100);
    expect_timestamp("@0", 0);
}

TEST(ParseTimestamp, RejectsInvalidDates) {
    for (const char* text : {"2025-02-31T00:00:00Z", "2025-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
                             "2025-04-31T00:00:00Z", "2025-13-01T00:00:00Z", "2025-00-10T00:00:00Z",
                             "2025-01-00T00:00:00Z", "2025-01-32T00:00:00Z", "2025-01-01T24:00:00Z",
                             "2025-01-01T23:60:00Z", "2025-01-01T23:59:61Z", "2025-06-15T12:00:60Z",
                             "2016-12-31T23:59:60Z"}) {
        SCOPED_TRACE(text);
        auto r = parse_timestamp(text);
        ASSERT_FALSE(r.ok()) << "accepted as " << *r;
        EXPECT_EQ(r.error().code, EINVAL);
    }
}

TEST(ParseTimestamp, RejectsMalformedText) {
    for (const char* text :
         {"", "@", "@-1", "@12x", "@ 5", "@1.5", "@9999999999999", "2025-1-01T00:00:00Z",
          "2025-11-29", "2025-11-29T18:15Z", "2025-11-29T18:15:00+01:00", "2025-11-29T18:15:00ZZ",
          "2025-11-29T18:15:00z", "2025/11/29 18:15:00", "25-11-29T18:15:00Z",
          " 2025-11-29T18:15:00Z", "2025-11-29T18:15:00Z ", "2025-11-29_18:15:00Z", "tomorrow"}) {
        SCOPED_TRACE(text);
        auto r = parse_timestamp(text);
        ASSERT_FALSE(r.ok()) << "accepted as " << *r;
        EXPECT_EQ(r.error().code, EINVAL);
    }
}

TEST(ParseTimestamp, ReadsBackWhatIsFormatted) {
    for (int64_t t : {int64_t(0), int64_t(1), int64_t(951782400), int64_t(1764440100),
                      int64_t(4102444799) /* 2099-12-31 23:59:59 */}) {
        auto iso = parse_timestamp(format_iso8601(t));
        ASSERT_TRUE(iso.ok()) << format_iso8601(t);
        EXPECT_EQ(*iso, t);
        auto epoch = parse_timestamp("@" + std::to_string(t));
        ASSERT_TRUE(epoch.ok());
        EXPECT_EQ(*epoch, t);
    }
}

}  // namespace
}  // namespace jit

namespace {

TEST(TimeFormat, ExtremeValuesDoNotOverflow) {
    EXPECT_EQ(jit::format_duration(INT64_MIN), jit::format_duration(INT64_MAX));
    EXPECT_EQ(jit::format_relative(INT64_MAX, INT64_MIN).rfind("in ", 0), 0u);
    EXPECT_NE(jit::format_relative(INT64_MIN, INT64_MAX).find(" ago"), std::string::npos);
}

}  // namespace

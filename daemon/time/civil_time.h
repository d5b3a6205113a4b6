// Proleptic Gregorian calendar arithmetic on plain integers (Howard Hinnant's
// days_from_civil / civil_from_days), for the time zone code.  No libc time
// functions: they consult the process's TZ, which the policy must not.
#pragma once

#include <stdint.h>

namespace jit::daemon {

struct CivilTime {
    int64_t year = 1970;
    int month = 1;    // 1..12
    int day = 1;      // 1..31
    int hour = 0;     // 0..23
    int minute = 0;   // 0..59
    int second = 0;   // 0..59
    int weekday = 4;  // 0 = Sunday .. 6 = Saturday
};

inline int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

inline int64_t floor_mod(int64_t a, int64_t b) {
    return a - floor_div(a, b) * b;
}

inline bool is_leap_year(int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

inline int days_in_month(int64_t y, int m) {
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap_year(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of y-m-d.
inline int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    const int64_t era = floor_div(y, 400);
    const int64_t yoe = y - era * 400;                                    // [0, 399]
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
    return era * 146097 + doe - 719468;
}

inline void civil_from_days(int64_t z, int64_t* y, int* m, int* d) {
    z += 719468;
    const int64_t era = floor_div(z, 146097);
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = int(doy - (153 * mp + 2) / 5 + 1);
    *m = int(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

// 0 = Sunday; 1970-01-01 was a Thursday.
inline int weekday_from_days(int64_t z) {
    return int(floor_mod(z + 4, 7));
}

inline CivilTime civil_from_seconds(int64_t t) {
    CivilTime c;
    const int64_t days = floor_div(t, 86400);
    const int64_t sod = t - days * 86400;
    civil_from_days(days, &c.year, &c.month, &c.day);
    c.hour = int(sod / 3600);
    c.minute = int(sod / 60 % 60);
    c.second = int(sod % 60);
    c.weekday = weekday_from_days(days);
    return c;
}

}  // namespace jit::daemon

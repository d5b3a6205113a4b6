// What the module tests measure about themselves: elapsed time and this
// process's open descriptors (shared by the PAM and sudo plugin harnesses).
#pragma once

#include <dirent.h>
#include <time.h>

static inline long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Open descriptors of this process (the directory's own fd is counted each
// time, so differences are exact).
static inline int count_open_fds(void) {
    DIR* d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    for (struct dirent* e; (e = readdir(d));)
        if (e->d_name[0] != '.') ++n;
    closedir(d);
    return n;
}

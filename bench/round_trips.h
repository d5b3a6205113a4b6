// Round trips measured from the client's side, and what they cost each
// process on the shared cores: CPU time by schedstat, latency percentiles,
// closed-loop and open-loop runs.
#pragma once

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"

namespace bench {

// Nanoseconds a process has run on a CPU (schedstat): what a request costs
// the server, whatever else the shared cores are doing.
inline double cpu_ns(pid_t pid) {
    FILE* f = fopen(("/proc/" + std::to_string(pid) + "/schedstat").c_str(), "r");
    double ns = 0;
    if (f && fscanf(f, "%lf", &ns) != 1) ns = 0;
    if (f) fclose(f);
    return ns;
}

// The journald of this mount namespace (the one whose socket this process
// sees): bench/run starts one where none runs.  -1 if there is none.
inline pid_t journald_pid() {
    char own_ns[64] = {};
    if (readlink("/proc/self/ns/mnt", own_ns, sizeof own_ns - 1) <= 0) return -1;
    DIR* proc = opendir("/proc");
    if (!proc) return -1;
    pid_t found = -1;
    while (dirent* e = readdir(proc)) {
        const pid_t pid = pid_t(atoi(e->d_name));
        if (pid <= 0) continue;
        const std::string dir = std::string("/proc/") + e->d_name;
        char comm[32] = {}, ns[64] = {};
        FILE* f = fopen((dir + "/comm").c_str(), "r");
        if (!f) continue;
        const bool read = fgets(comm, sizeof comm, f) != nullptr;
        fclose(f);
        if (!read || strcmp(comm, "systemd-journal\n") != 0) continue;
        if (readlink((dir + "/ns/mnt").c_str(), ns, sizeof ns - 1) > 0 && strcmp(ns, own_ns) == 0)
            found = pid;
    }
    closedir(proc);
    return found;
}

struct Latency {
    double median = 0, p99 = 0;
};

inline Latency percentiles(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    if (v.empty()) return {};
    return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 99 / 100)]};
}

// Round trips a second from `clients` threads asking one after another
// for `seconds`; once() is one round trip, false when it failed.
template <class Once>
double closed_loop(Once once, int clients, double seconds, double* round_trips = nullptr) {
    std::atomic<bool> go{true};
    std::atomic<long> done{0}, failed{0};
    std::vector<std::thread> threads;
    double t0 = now_us();
    for (int i = 0; i < clients; ++i)
        threads.emplace_back([&] {
            while (go) (once() ? done : failed)++;
        });
    usleep(useconds_t(seconds * 1e6));
    go = false;
    for (auto& t : threads) t.join();
    double elapsed = (now_us() - t0) / 1e6;
    if (failed) fprintf(stderr, "  %ld round trips failed\n", long(failed));
    if (round_trips) *round_trips = double(done);
    return double(done) / elapsed;
}

// What a closed-loop round trip costs each party on the two cores: the
// server, journald and the clients (this process's threads), in us.
struct CpuSplit {
    double server = 0, journald = 0, clients = 0;
    double total() const { return server + journald + clients; }
    std::string text() const {
        return fmt("%.0f", server) + " + " + fmt("%.0f", journald) + " + " + fmt("%.0f", clients) +
               " = " + fmt("%.0f us", total());
    }
};

inline double own_cpu_ns() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e9 +
           double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e3;
}

inline double split_closed_loop(bool (*once)(), int clients, pid_t server, CpuSplit* split,
                                double* round_trips) {
    const pid_t journald = journald_pid();
    const double s0 = cpu_ns(server), j0 = journald > 0 ? cpu_ns(journald) : 0, c0 = own_cpu_ns();
    const double rate = closed_loop(once, clients, 3, round_trips);
    const double n = std::max(*round_trips, 1.0);
    split->server = (cpu_ns(server) - s0) / 1000 / n;
    split->journald = journald > 0 ? (cpu_ns(journald) - j0) / 1000 / n : 0;
    split->clients = (own_cpu_ns() - c0) / 1000 / n;
    return rate;
}

// Requests offered at rate/s on a fixed schedule by enough threads that one
// slow reply does not hold back the next; latency from the scheduled time.
inline Latency open_loop(bool (*once)(), double rate, double seconds) {
    const int threads_n = 32;
    const long total = long(rate * seconds);
    std::vector<std::vector<double>> lat(threads_n);
    std::vector<std::thread> threads;
    const double t0 = now_us() + 10000, step = 1e6 / rate;
    for (int k = 0; k < threads_n; ++k)
        threads.emplace_back([&, k] {
            for (long i = k; i < total; i += threads_n) {
                double at = t0 + double(i) * step, wait = at - now_us();
                if (wait > 0) usleep(useconds_t(wait));
                if (!once()) die("open loop round trip");
                lat[size_t(k)].push_back(now_us() - at);
            }
        });
    for (auto& t : threads) t.join();
    std::vector<double> all;
    for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
    return percentiles(all);
}

}  // namespace bench

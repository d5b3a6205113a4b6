// What the benches that drive a jitd of their own share: dying on a setup
// failure, their directory arguments, the clock, the result rows, the load
// line, running a tool quietly, starting and stopping a server and filling
// jit.db directly.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

namespace bench {

inline void die(const char* what) {
    perror(what);
    exit(1);
}

// A directory argument as an absolute path (the benches chdir nowhere, but
// jitd gets these paths in its configuration).
inline std::string absolute_dir(const char* arg, const char* what) {
    char* path = realpath(arg, nullptr);
    if (!path) die(what);
    std::string out = path;
    free(path);
    return out;
}

inline double now_us() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
}

inline std::string fmt(const char* f, double v) {
    char buf[64];
    snprintf(buf, sizeof buf, f, v);
    return buf;
}

// One row of the figure | jit | peer | ratio | goal | met table.
inline void row(const std::string& figure, const std::string& jit, const std::string& peer,
                const std::string& ratio, const std::string& goal, const char* met) {
    printf("| %s | %s | %s | %s | %s | %s |\n", figure.c_str(), jit.c_str(), peer.c_str(),
           ratio.c_str(), goal.c_str(), met);
    fflush(stdout);
}

inline void row(const std::string& figure, const std::string& jit, const std::string& peer,
                const std::string& ratio, const std::string& goal, bool met) {
    row(figure, jit, peer, ratio, goal, met ? "yes" : "no");
}

inline const char* load() {
    static char buf[64];
    FILE* f = fopen("/proc/loadavg", "r");
    if (!f) return "?";
    const bool read = fgets(buf, sizeof buf, f) != nullptr;
    fclose(f);
    if (!read) return "?";
    buf[strcspn(buf, "\n")] = 0;
    return buf;
}

// Runs a tool (jitd --audit-init, ...) with its output thrown away; true
// when it exits 0.
inline bool run_quietly(const std::vector<std::string>& argv) {
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// The servers (jitd, an echo server) a bench started and has not stopped.
inline std::vector<pid_t>& running_servers() {
    static std::vector<pid_t> pids;
    return pids;
}

inline void stop(pid_t pid) {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    auto& running = running_servers();
    running.erase(std::remove(running.begin(), running.end(), pid), running.end());
}

// Run at exit, die() included, so a bench that fails leaves no server behind;
// a forked child that exits stops nothing of its parent's.
inline pid_t& servers_owner() {
    static pid_t owner = -1;
    return owner;
}
inline void stop_running_servers() {
    if (getpid() != servers_owner()) return;
    while (!running_servers().empty()) stop(running_servers().back());
}

// Notes a server just forked; returns its pid.
inline pid_t started(pid_t pid) {
    if (servers_owner() != getpid()) {
        servers_owner() = getpid();
        running_servers();  // built before the handler is registered, so destroyed after it runs
        atexit(stop_running_servers);
    }
    if (pid > 0) running_servers().push_back(pid);
    return pid;
}

inline void exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        fprintf(stderr, "sqlite: %s\n", err ? err : "?");
        exit(1);
    }
}

}  // namespace bench

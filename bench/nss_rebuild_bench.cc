// Does rewriting the NSS snapshot stall jitd?  A real jitd serves N NSS
// accounts (N = 10,000 and 100,000, written into jit.db with SQLite before it
// starts); one client runs CHECKs back to back while another asks for grants
// of NSS accounts, each of which makes jitd rewrite the whole snapshot.
// Printed as figure | jit | peer | ratio | goal | met:
//   CHECK p50 / p99 / max while a snapshot is rebuilt: the CHECKs that
//       started between a grant's send and its reply; the peer is the same
//       client's CHECKs with no grant in flight, in the same run
//   grant round trip: what the grant's caller waits (its reply follows the
//       snapshot's publication)
// The snapshot goes to a directory on /dev/shm when there is one (tmpfs, as
// /run is on a real host), else under WORK_DIR.
// Usage: nss_rebuild_bench BUILD_DIR WORK_DIR
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "jit/client.h"
#include "bench/bench_util.h"
#include "jit/messages.h"

namespace {

using bench::die;
using bench::exec;
using bench::fmt;
using bench::load;
using bench::now_us;
using bench::row;
using bench::stop;

std::string g_build, g_dir, g_snapdir;

std::string socket_path() {
    return g_dir + "/jitd.sock";
}

jit::ClientOptions options() {
    static std::string path = socket_path();
    jit::ClientOptions o;
    o.socket_path = path.c_str();
    o.trusted_uids[0] = geteuid();
    o.timeout_ms = 30000;
    return o;
}

pid_t start_jitd(const std::string& state) {
    std::string conf = g_dir + "/jitd.conf";
    FILE* f = fopen(conf.c_str(), "w");
    if (!f) die("jitd.conf");
    fprintf(f,
            "[managed]\nusers = daemon\n[nss]\nsnapshot = %s/nss.snapshot\n"
            "uid_range = 2000000-3999999\ngid_range = 2000000-3999999\n",
            g_snapdir.c_str());
    fclose(f);
    unlink(socket_path().c_str());
    pid_t pid = fork();
    if (pid > 0) bench::started(pid);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        std::string jitd = g_build + "/jitd", sock = socket_path();
        execl(jitd.c_str(), "jitd", "--socket", sock.c_str(), "--state-dir", state.c_str(),
              "--config", conf.c_str(), nullptr);
        _exit(127);
    }
    auto frame = jit::msg::encode_status_request(1);
    uint8_t reply[jit::proto::kMaxFrame];
    for (int i = 0; i < 120000; ++i) {
        auto o = options();
        o.timeout_ms = 100;
        if (jit::roundtrip(o, frame->data(), frame->size(), reply, sizeof reply)) return pid;
        usleep(1000);
    }
    die("jitd did not start");
    return -1;
}

// N accounts visible while granted, uid = gid from 2,000,000.
void fill_accounts(const std::string& state, size_t n) {
    sqlite3* db = nullptr;
    if (sqlite3_open((state + "/jit.db").c_str(), &db) != SQLITE_OK) die("jit.db");
    exec(db, "PRAGMA synchronous=OFF; BEGIN");
    sqlite3_stmt *a = nullptr, *id = nullptr;
    sqlite3_prepare_v2(db,
                       "INSERT INTO nss_accounts (name, uid, gid, gecos, home, shell, visibility, "
                       "origin, created) VALUES (?1, ?2, ?2, 'bench', '/nonexistent', "
                       "'/usr/sbin/nologin', 2, 2, 0)",
                       -1, &a, nullptr);
    sqlite3_prepare_v2(db, "INSERT INTO nss_ids (kind, id, name, allocated) VALUES (?1, ?2, ?3, 0)",
                       -1, &id, nullptr);
    for (size_t i = 0; i < n; ++i) {
        char name[32];
        snprintf(name, sizeof name, "u%07zu", i);
        const int64_t uid = 2000000 + int64_t(i);
        sqlite3_bind_text(a, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(a, 2, uid);
        if (sqlite3_step(a) != SQLITE_DONE) die("insert account");
        sqlite3_reset(a);
        for (int kind : {1, 2}) {
            sqlite3_bind_int(id, 1, kind);
            sqlite3_bind_int64(id, 2, uid);
            sqlite3_bind_text(id, 3, name, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(id) != SQLITE_DONE) die("insert id");
            sqlite3_reset(id);
        }
    }
    sqlite3_finalize(a);
    sqlite3_finalize(id);
    exec(db, "COMMIT");
    sqlite3_close(db);
}

bool grant(const std::string& user) {
    jit::msg::GrantRequest r;
    r.user = user;
    r.services = {"sshd"};
    r.reason = "benchmark";
    r.duration = 3600;
    auto frame = jit::msg::encode(r, 1);
    uint8_t reply[jit::proto::kMaxFrame];
    auto got = jit::roundtrip(options(), frame->data(), frame->size(), reply, sizeof reply);
    return got && got->header.type == jit::proto::MsgType::GrantReply;
}

bool check_once() {
    static const auto frame =
        *jit::msg::encode(jit::msg::CheckRequest{"daemon", "sshd", "192.0.2.1", "ssh", ""}, 7);
    uint8_t reply[4096];
    auto got = jit::roundtrip(options(), frame.data(), frame.size(), reply, sizeof reply);
    return got && jit::msg::decode_check_reply(*got).decision == jit::proto::Decision::Allow;
}

struct Stats {
    double p50 = 0, p99 = 0, max = 0;
    size_t n = 0;
};

Stats stats(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    if (v.empty()) return {};
    return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 99 / 100)], v.back(), v.size()};
}

struct Sample {
    double start, us;
};

void measure(size_t n, int grants) {
    std::string state = g_dir + "/state-" + std::to_string(n);
    pid_t jitd = start_jitd(state);  // writes jit.db's schema
    stop(jitd);
    fill_accounts(state, n);
    double t0 = now_us();
    jitd = start_jitd(state);
    const double start_ms = (now_us() - t0) / 1000;
    if (!grant("daemon")) die("grant daemon");

    std::atomic<bool> go{true};
    std::vector<Sample> checks;
    std::thread checker([&] {
        while (go) {
            double s = now_us();
            if (!check_once()) die("check was not allowed");
            checks.push_back({s, now_us() - s});
        }
    });
    std::vector<std::pair<double, double>> windows;  // [send, reply] of each grant
    std::vector<double> grant_us;
    usleep(300000);
    for (int i = 0; i < grants; ++i) {
        char user[32];
        snprintf(user, sizeof user, "u%07zu", (size_t(i) * 7919) % n);
        double s = now_us();
        if (!grant(user)) die("grant");
        double e = now_us();
        windows.push_back({s, e});
        grant_us.push_back(e - s);
        usleep(300000);  // CHECKs with no rebuild in flight, for the peer
    }
    go = false;
    checker.join();
    std::vector<double> during, quiet;
    for (const auto& c : checks) {
        bool in = false;
        for (const auto& w : windows)
            if (c.start + c.us >= w.first && c.start <= w.second) in = true;
        (in ? during : quiet).push_back(c.us);
    }
    Stats d = stats(during), q = stats(quiet), g = stats(grant_us);
    const std::string size = std::to_string(n) + " NSS accounts";
    char count[64];
    snprintf(count, sizeof count, " (%zu CHECKs during %d rebuilds)", d.n, grants);
    row("CHECK p50 while the snapshot is rebuilt, " + size, fmt("%.0f us", d.p50),
        fmt("no rebuild %.0f us", q.p50), fmt("%.1fx", d.p50 / q.p50), "-", "-");
    row("CHECK p99 while the snapshot is rebuilt, " + size + count, fmt("%.0f us", d.p99),
        fmt("no rebuild %.0f us", q.p99), fmt("%.1fx", d.p99 / q.p99), "< 5 ms",
        d.n > 0 && d.p99 < 5000 ? "yes" : "no");
    row("CHECK max while the snapshot is rebuilt, " + size, fmt("%.0f us", d.max),
        fmt("no rebuild %.0f us", q.max), fmt("%.1fx", d.max / q.max), "-", "-");
    row("grant round trip (reply after the snapshot is published), " + size,
        fmt("%.0f ms", g.p50 / 1000) + fmt(" (max %.0f)", g.max / 1000), "-", "-", "-", "-");
    row("jitd start, " + size, fmt("%.0f ms", start_ms), "-", "-", "-", "-");
    stop(jitd);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: nss_rebuild_bench BUILD_DIR WORK_DIR\n");
        return 2;
    }
    g_build = bench::absolute_dir(argv[1], "BUILD_DIR");
    g_dir = bench::absolute_dir(argv[2], "WORK_DIR");
    char shm[] = "/dev/shm/jit-bench.XXXXXX";
    struct stat st;
    g_snapdir = stat("/dev/shm", &st) == 0 && mkdtemp(shm) ? shm : g_dir + "/snap";
    mkdir(g_snapdir.c_str(), 0755);
    printf("load before: %s; snapshot in %s\n\n", load(), g_snapdir.c_str());
    printf("| figure | jit | peer | ratio | goal | met |\n|---|---|---|---|---|---|\n");
    for (size_t n : {size_t(10000), size_t(100000)}) measure(n, 10);
    printf("\nload after: %s\n", load());
    std::string rm = "rm -rf '" + g_snapdir + "'";
    if (g_snapdir.rfind("/dev/shm/", 0) == 0 && system(rm.c_str()) != 0) return 1;
    return 0;
}

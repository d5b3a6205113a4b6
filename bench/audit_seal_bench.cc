// Does sealing an audit segment stall jitd?  A real jitd with the audit log
// on (audit_durability = batched, so a CHECK's own time is small and a stall
// stands out; checkpoint_every = 1000 records) is filled by four clients to
// 5,000 records under audit_segment_records (100,000 by default);
// one client runs CHECKs back to back, alone, for 2 s at the start (the
// peer) and again from there on past the threshold, until the segment file
// of the first audit_segment_records records is in place and its rows have
// left jit.db, and 1 s more.
// Printed as figure | jit | peer | ratio | goal | met:
//   CHECK p50 / p99 / max during the seal: the CHECKs that overlapped the
//       time from the segment's temporary file appearing to its last row
//       gone from jit.db (polled read-only); the peer is the same client's
//       CHECKs in its first 2 s, alone, far from the threshold
//   seal time: temporary file seen to sealed file seen, then to its rows gone
// jitd runs in a mount namespace of its own without journald's socket (its
// entries to stderr: /dev/null, or the file AUDIT_SEAL_BENCH_LOG names).
// Usage: audit_seal_bench BUILD_DIR WORK_DIR [SEGMENT_RECORDS]
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "jit/client.h"
#include "jit/messages.h"

namespace {

using bench::die;
using bench::fmt;
using bench::load;
using bench::now_us;
using bench::row;
using bench::stop;

std::string g_build, g_dir;
pid_t g_jitd = -1;  // stopped on every way out, die() included

void stop_jitd() {
    if (g_jitd > 0) stop(g_jitd);
    g_jitd = -1;
}

std::string socket_path() {
    return g_dir + "/jitd.sock";
}

jit::ClientOptions options() {
    static std::string path = socket_path();
    jit::ClientOptions o;
    o.socket_path = path.c_str();
    o.trusted_uids[0] = geteuid();
    o.timeout_ms = 60000;
    return o;
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

void start_jitd(const std::string& state, uint64_t segment_records) {
    const std::string conf = g_dir + "/jitd.conf", jitd = g_build + "/jitd";
    FILE* f = fopen(conf.c_str(), "w");
    if (!f) die("jitd.conf");
    fprintf(f,
            "[jitd]\naudit_durability = batched\ncheckpoint_every = 1000 records\n"
            "audit_segment_records = %llu\n[managed]\nusers = daemon\n",
            (unsigned long long)segment_records);
    fclose(f);
    if (!bench::run_quietly(
            {jitd, "--config", conf, "--state-dir", state, "--audit-init", g_dir + "/audit.key"}))
        die("jitd --audit-init");
    unlink(socket_path().c_str());
    pid_t pid = fork();
    if (pid == 0) {
        // Its 100,000 decisions stay out of the host's journald (shared with
        // other tests): a private mount namespace without journald's socket,
        // so jitd writes its entries to stderr, /dev/null here.
        if (unshare(CLONE_NEWNS) == 0 &&
            mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0)
            mount("jit-bench", "/run/systemd/journal", "tmpfs", 0, "mode=0755");
        const char* log = getenv("AUDIT_SEAL_BENCH_LOG");
        int null = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(null, 2);
        const std::string sock = socket_path();
        execl(jitd.c_str(), "jitd", "--socket", sock.c_str(), "--state-dir", state.c_str(),
              "--config", conf.c_str(), nullptr);
        _exit(127);
    }
    g_jitd = pid;
    for (int i = 0; i < 5000; ++i) {
        if (grant("daemon")) return;
        usleep(2000);
    }
    die("jitd did not start or grant");
}

std::atomic<long> g_unanswered{0};

// One CHECK, asked again when jitd did not answer (counted and printed: a
// connection refused past max_connections_per_uid while jitd stalls); a
// denial ends the bench.
bool check_once() {
    static const auto frame =
        *jit::msg::encode(jit::msg::CheckRequest{"daemon", "sshd", "192.0.2.1", "ssh", ""}, 7);
    uint8_t reply[4096];
    for (;;) {
        auto got = jit::roundtrip(options(), frame.data(), frame.size(), reply, sizeof reply);
        if (got) return jit::msg::decode_check_reply(*got).decision == jit::proto::Decision::Allow;
        ++g_unanswered;
    }
}

// What the segment directory holds now: a temporary file, a sealed one.
struct Seen {
    bool tmp = false, sealed = false;
    std::string name;
};

Seen look(const std::string& dir) {
    Seen s;
    DIR* d = opendir(dir.c_str());
    if (!d) return s;
    while (dirent* e = readdir(d)) {
        const std::string n = e->d_name;
        if (n.rfind(".audit-", 0) == 0) s.tmp = true;
        if (n.rfind("audit-", 0) == 0 && n.size() > 6 && n.substr(n.size() - 6) == ".jsonl") {
            s.sealed = true;
            s.name = n;
        }
    }
    closedir(d);
    return s;
}

// The oldest record jit.db still holds (read-only, beside jitd).
uint64_t first_row(const std::string& state) {
    sqlite3* db = nullptr;
    uint64_t seq = 0;
    if (sqlite3_open_v2((state + "/jit.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
        SQLITE_OK) {
        sqlite3_busy_timeout(db, 1000);
        sqlite3_stmt* q = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT coalesce(min(seq), 0) FROM audit_records", -1, &q,
                               nullptr) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW)
            seq = uint64_t(sqlite3_column_int64(q, 0));
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return seq;
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

// The probing client: CHECKs back to back, each one's start and time, until
// told to stop.
class Probe {
public:
    void start() {
        go_ = true;
        thread_ = std::thread([this] {
            while (go_) {
                const double s = now_us();
                if (!check_once()) die("a check was not allowed");
                checks_.push_back({s, now_us() - s});
            }
        });
    }
    void stop() {
        go_ = false;
        thread_.join();
    }
    const std::vector<Sample>& checks() const { return checks_; }

private:
    std::atomic<bool> go_{false};
    std::thread thread_;
    std::vector<Sample> checks_;
};

// Four clients make CHECKs (one audit record each) until `made` reaches
// `target`; returns the seconds it took.
double fill_to(std::atomic<long>& made, long target) {
    std::vector<std::thread> fillers;
    const double t0 = now_us();
    for (int i = 0; i < 4; ++i)
        fillers.emplace_back([&] {
            while (made < target) {
                if (!check_once()) die("a check was not allowed");
                ++made;
            }
        });
    for (auto& t : fillers) t.join();
    return (now_us() - t0) / 1e6;
}

// When the segment's temporary file was seen, then the sealed file, then
// the last of its rows gone from jit.db.
struct SealTimes {
    double tmp_at = 0, sealed_at = 0, pruned_at = 0;
    std::string file;
};

SealTimes watch_seal(const std::string& state, const std::string& segments) {
    SealTimes t;
    for (double deadline = now_us() + 300e6; now_us() < deadline;) {
        Seen s = look(segments);
        if (s.tmp && !t.tmp_at) t.tmp_at = now_us();
        if (s.sealed) {
            t.sealed_at = now_us();
            t.file = s.name;
            if (!t.tmp_at) t.tmp_at = t.sealed_at;  // written between two looks
            break;
        }
        usleep(1000);
    }
    if (!t.sealed_at) die("no segment sealed within 300 s");
    // Its rows leave jit.db: all at once in the transaction that lists the
    // file, or a slice at a time after it.
    const uint64_t end = strtoull(t.file.c_str() + t.file.rfind('-') + 1, nullptr, 10);
    for (double deadline = now_us() + 300e6; now_us() < deadline && !t.pruned_at;) {
        if (first_row(state) >= end) t.pruned_at = now_us();
        usleep(5000);
    }
    if (!t.pruned_at) die("the sealed rows did not leave jit.db within 300 s");
    return t;
}

void report(const std::vector<Sample>& checks, double quiet_from, double quiet_to,
            const SealTimes& t, uint64_t n, off_t file_size) {
    std::vector<double> during, quiet;
    for (const auto& c : checks) {
        if (c.start + c.us >= t.tmp_at && c.start <= t.pruned_at) during.push_back(c.us);
        if (c.start >= quiet_from && c.start + c.us <= quiet_to) quiet.push_back(c.us);
    }
    Stats d = stats(during), q = stats(quiet);
    char what[160];
    snprintf(what, sizeof what, "%llu records, %.1f MB", (unsigned long long)n,
             double(file_size) / 1e6);
    printf("| figure | jit | peer | ratio | goal | met |\n|---|---|---|---|---|---|\n");
    row(std::string("CHECK p50 while a segment is sealed (") + what + ")", fmt("%.0f us", d.p50),
        fmt("no seal %.0f us", q.p50), fmt("%.1fx", d.p50 / q.p50), "-", "-");
    row("CHECK p99 while a segment is sealed (" + std::to_string(d.n) + " CHECKs)",
        fmt("%.0f us", d.p99), fmt("no seal %.0f us", q.p99), fmt("%.1fx", d.p99 / q.p99), "-",
        "-");
    row("CHECK max while a segment is sealed", fmt("%.0f us", d.max), fmt("no seal %.0f us", q.max),
        fmt("%.1fx", d.max / q.max), "-", "-");
    row("seal: temporary file seen to sealed file seen",
        fmt("%.0f ms", (t.sealed_at - t.tmp_at) / 1e3), "-", "-", "-", "-");
    row("seal: sealed file seen to its rows gone from jit.db",
        fmt("%.0f ms", (t.pruned_at - t.sealed_at) / 1e3), "-", "-", "-", "-");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: audit_seal_bench BUILD_DIR WORK_DIR [SEGMENT_RECORDS]\n");
        return 2;
    }
    g_build = bench::absolute_dir(argv[1], "BUILD_DIR");
    g_dir = bench::absolute_dir(argv[2], "WORK_DIR");
    const uint64_t n = argc > 3 ? strtoull(argv[3], nullptr, 10) : 100000;
    const std::string state = g_dir + "/state", segments = state + "/audit-segments";
    printf("load before: %s\n\n", load());
    atexit(stop_jitd);
    start_jitd(state, n);

    // The peer: the probing client alone for 2 s, far from the threshold.
    Probe probe;
    const double quiet_from = now_us();
    probe.start();
    usleep(2000000);
    probe.stop();
    const double quiet_to = now_us();
    // Four clients to 5,000 records short of the threshold.
    std::atomic<long> made{long(probe.checks().size())};
    const double fill_s = fill_to(made, long(n) > 5000 ? long(n) - 5000 : 0);
    if (!look(segments).name.empty()) die("sealed before the probe: raise SEGMENT_RECORDS");
    // The probe alone again, on past the threshold, until the rows are gone
    // and 1 s more.
    probe.start();
    const SealTimes t = watch_seal(state, segments);
    usleep(1000000);
    probe.stop();
    struct stat st {};
    stat((segments + "/" + t.file).c_str(), &st);

    printf("filled %ld records in %.1f s (4 clients)\n\n", long(made), fill_s);
    report(probe.checks(), quiet_from, quiet_to, t, n, st.st_size);
    printf("\n%ld CHECKs were not answered and asked again\nload after: %s\n", long(g_unanswered),
           load());
    stop_jitd();
    return 0;
}

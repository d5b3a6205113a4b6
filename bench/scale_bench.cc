// How jitd's costs grow, each figure against its peer measured in the same
// run, printed as: figure | jit | peer | ratio | goal | met.
//   check at N grants   CHECK round trips (median, p99) with N active grants
//                       of other accounts in the book, against a bare
//                       connect + 64-byte round trip to an echo server
//   start, RSS          jitd's start (to a live socket) and its RSS with N
//                       active grants, or with N ended grants of history;
//                       and (part start) with 100,000 active grants and with
//                       1,000,000 ended grants and their requests, three
//                       starts each against SQLite's own SELECT of every
//                       grant row with its services in the same database
//   throughput          64 closed-loop clients for 3 s, against the echo
//                       server under the same 64 clients; the CPU each
//                       CHECK costs jitd, journald and the clients; the
//                       decisions jitd spilled to stderr (journald's queue
//                       full)
//   floor               the same latency, throughput and open-loop figures
//                       of the floor server (floor_server.h): jitd's system
//                       calls and a decision-sized journal entry with no
//                       decision, the bound no decision code can beat here
//   open loop           CHECKs offered at 10,000/s on a fixed schedule,
//                       latency counted from the scheduled time ("open"
//                       runs these rows alone)
//   processes           jitd's CPU per CHECK when each comes from a process
//                       of its own, as logins do (each allowed CHECK is
//                       remembered for that process's session open, up to
//                       4,096): the second 4,000 of 8,000, against the first
//   durable grants      1, 8 and 64 clients asking for grants, each acked
//                       after the commit that holds it is on disk, against
//                       the bare SQLite peer on the same disk: one row per
//                       WAL commit (synchronous=FULL), one thread; and
//                       jitd's time on a CPU per acked grant
// Grants and history are written into jit.db with SQLite before jitd starts
// (jitd itself would take minutes to create 100,000 grants one by one).
// Usage: scale_bench BUILD_DIR WORK_DIR
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

#include "jit/client.h"
#include "bench/bench_util.h"
#include "bench/floor_server.h"
#include "bench/round_trips.h"
#include "jit/messages.h"

namespace {

using bench::closed_loop;
using bench::cpu_ns;
using bench::CpuSplit;
using bench::die;
using bench::exec;
using bench::fmt;
using bench::Latency;
using bench::load;
using bench::now_us;
using bench::open_loop;
using bench::percentiles;
using bench::row;
using bench::split_closed_loop;
using bench::stop;

std::string g_build, g_dir;
pid_t g_echo = -1;

std::string jitd_socket() {
    return g_dir + "/jitd.sock";
}
std::string echo_socket() {
    return g_dir + "/echo.sock";
}
std::string floor_socket() {
    return g_dir + "/floor.sock";
}
std::string jitd_stderr() {
    return g_dir + "/jitd.stderr";
}

// ---- the echo server: the floor of any Unix-socket request/reply ----------

pid_t start_echo() {
    unlink(echo_socket().c_str());
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", echo_socket().c_str());
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 128) != 0)
        die("echo server");
    pid_t pid = fork();
    if (pid != 0) {
        bench::started(pid);
        close(fd);
        return pid;
    }
    char buf[64] = {};
    for (;;) {
        int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        if (read(c, buf, sizeof buf) > 0 && write(c, buf, sizeof buf) < 0) {
        }
        close(c);
    }
}

bool echo_once() {
    static sockaddr_un addr = [] {
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        snprintf(a.sun_path, sizeof a.sun_path, "%s", echo_socket().c_str());
        return a;
    }();
    char buf[64] = {1};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
              send(fd, buf, sizeof buf, MSG_NOSIGNAL) == sizeof buf &&
              read(fd, buf, sizeof buf) > 0;
    close(fd);
    return ok;
}

// ---- jitd -------------------------------------------------------------------

jit::ClientOptions options() {
    static std::string path = jitd_socket();
    jit::ClientOptions o;
    o.socket_path = path.c_str();
    o.trusted_uids[0] = geteuid();
    o.timeout_ms = 5000;
    return o;
}

struct Jitd {
    pid_t pid = -1;
    double start_ms = 0;
};

Jitd start_jitd(const std::string& state) {
    std::string conf = g_dir + "/jitd.conf";
    FILE* f = fopen(conf.c_str(), "w");
    if (!f) die("jitd.conf");
    fprintf(f, "[managed]\nusers = daemon\n");
    fclose(f);
    unlink(jitd_socket().c_str());
    Jitd j;
    double t0 = now_us();
    j.pid = fork();
    if (j.pid > 0) bench::started(j.pid);
    if (j.pid == 0) {
        // As under systemd, stderr is "the journal" (JOURNAL_STREAM names it),
        // so jitd does not also write each entry there as it does in a
        // terminal (a write(2) per decision that production does not make).
        // A file, so that the entries jitd spills there can be counted.
        int err = open(jitd_stderr().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        struct stat ns;
        if (err < 0 || dup2(err, 2) < 0 || fstat(2, &ns) != 0) _exit(127);
        std::string stream = std::to_string(ns.st_dev) + ":" + std::to_string(ns.st_ino);
        setenv("JOURNAL_STREAM", stream.c_str(), 1);
        std::string jitd = g_build + "/jitd", sock = jitd_socket();
        execl(jitd.c_str(), "jitd", "--socket", sock.c_str(), "--state-dir", state.c_str(),
              "--config", conf.c_str(), nullptr);
        _exit(127);
    }
    auto frame = jit::msg::encode_status_request(1);
    uint8_t reply[jit::proto::kMaxFrame];
    for (int i = 0; i < 60000; ++i) {
        auto o = options();
        o.timeout_ms = 100;
        if (jit::roundtrip(o, frame->data(), frame->size(), reply, sizeof reply)) {
            j.start_ms = (now_us() - t0) / 1000;
            return j;
        }
        usleep(1000);
    }
    die("jitd did not start");
    return j;
}

long rss_kb(pid_t pid, const char* key) {
    FILE* f = fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    size_t n = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0) kb = atol(line + n);
    fclose(f);
    return kb;
}

bool grant_daemon() {
    jit::msg::GrantRequest r;
    r.user = "daemon";
    r.services = {"sshd"};
    r.reason = "benchmark";
    r.duration = 3600;
    auto frame = jit::msg::encode(r, 1);
    uint8_t reply[jit::proto::kMaxFrame];
    auto got = jit::roundtrip(options(), frame->data(), frame->size(), reply, sizeof reply);
    return got && got->header.type == jit::proto::MsgType::GrantReply;
}

bool check_at(const jit::ClientOptions& o) {
    static const auto frame =
        *jit::msg::encode(jit::msg::CheckRequest{"daemon", "sshd", "192.0.2.1", "ssh", ""}, 7);
    uint8_t reply[4096];
    auto got = jit::roundtrip(o, frame.data(), frame.size(), reply, sizeof reply);
    return got && jit::msg::decode_check_reply(*got).decision == jit::proto::Decision::Allow;
}

bool check_once() {
    return check_at(options());
}

// The same CHECK, asked of the floor server.
bool floor_once() {
    static const std::string path = floor_socket();
    jit::ClientOptions o = options();
    o.socket_path = path.c_str();
    return check_at(o);
}

// The entries jitd has written to stderr because journald's queue was full.
long spilled_entries() {
    FILE* f = fopen(jitd_stderr().c_str(), "r");
    if (!f) return 0;
    char line[4096];
    long n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, "journald did not take this entry in time")) ++n;
    fclose(f);
    return n;
}

// ---- jit.db filled directly -------------------------------------------------

// N grants of other accounts: active ones end in an hour or more, history
// ended a day ago.
void fill(const std::string& state, size_t n, bool active) {
    sqlite3* db = nullptr;
    if (sqlite3_open((state + "/jit.db").c_str(), &db) != SQLITE_OK) die("jit.db");
    exec(db, "PRAGMA synchronous=OFF; BEGIN");
    sqlite3_stmt *g = nullptr, *s = nullptr, *r = nullptr;
    sqlite3_prepare_v2(db,
                       "INSERT INTO grants (id, user, source, not_before, not_after, reason, "
                       "granted_by, created, state, ended_at, ended_by, end_reason) VALUES "
                       "(?1, ?2, '', ?3, ?4, 'bench', 0, ?3, ?5, ?6, NULL, '')",
                       -1, &g, nullptr);
    sqlite3_prepare_v2(db,
                       "INSERT INTO grant_services (grant_id, position, service) VALUES "
                       "(?1, 0, 'sshd')",
                       -1, &s, nullptr);
    // History: each ended grant came from an approved request.
    sqlite3_prepare_v2(db,
                       "INSERT INTO requests (id, kind, user, services, source, not_before, "
                       "duration, start_on_approval, reason, ticket, requester, rule, required, "
                       "approver_groups, risk, created, expires, state, decided_at, decided_by, "
                       "comment, grant_id) VALUES (?1, 'request', ?2, 'sshd', '', ?3, 3600, 0, "
                       "'bench', '', 0, 'bench', 1, '', '', ?3, ?3 + 3600, 2, ?3, 0, '', ?4)",
                       -1, &r, nullptr);
    const int64_t t = time(nullptr);
    for (size_t i = 0; i < n; ++i) {
        char id[32], user[32];
        snprintf(id, sizeof id, "g-%c%07zu", active ? 'a' : 'h', i);
        snprintf(user, sizeof user, "bench%zu", i % (active ? n : 50000));
        sqlite3_bind_text(g, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(g, 2, user, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(g, 3, active ? t - 60 : t - 86400 * 2);
        sqlite3_bind_int64(g, 4, active ? t + 3600 + int64_t(i % 7200) : t - 86400);
        sqlite3_bind_int64(g, 5, active ? 1 : 2);
        if (active)
            sqlite3_bind_null(g, 6);
        else
            sqlite3_bind_int64(g, 6, t - 86400);
        sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(g) != SQLITE_DONE || sqlite3_step(s) != SQLITE_DONE) die("insert");
        sqlite3_reset(g);
        sqlite3_reset(s);
        if (active) continue;
        char rid[32];
        snprintf(rid, sizeof rid, "r-h%07zu", i);
        sqlite3_bind_text(r, 1, rid, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(r, 2, user, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(r, 3, t - 86400 * 2);
        sqlite3_bind_text(r, 4, id, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(r) != SQLITE_DONE) die("insert request");
        sqlite3_reset(r);
    }
    sqlite3_finalize(r);
    sqlite3_finalize(g);
    sqlite3_finalize(s);
    exec(db, "COMMIT");
    sqlite3_close(db);
}

// A fresh state directory with jit.db's schema, written by jitd itself.
std::string fresh_state(const std::string& name) {
    std::string state = g_dir + "/" + name;
    Jitd j = start_jitd(state);
    stop(j.pid);
    return state;
}

// ---- measurements -------------------------------------------------------------

// Interleaved so both see the same noise, with a pause before each round
// trip: jitd journals a decision and closes its fds after the answer has
// gone, and journald then files the entry; back to back, that work ran on
// the client's core during the bare round trip that followed whenever the
// scheduler put the three on one core, and was counted as the peer's
// (bare 50-66 us there against 25-28 us with jitd on the other core).
constexpr useconds_t kPauseUs = 300;

void sequential(pid_t jitd, int n, Latency* jit, Latency* bare, double* jit_cpu, double* bare_cpu) {
    std::vector<double> a, b;
    double cpu_jit0 = cpu_ns(jitd), cpu_echo0 = cpu_ns(g_echo);
    for (int i = 0; i < n; ++i) {
        usleep(kPauseUs);
        double t0 = now_us();
        if (!check_once()) die("check was not allowed");
        a.push_back(now_us() - t0);
        usleep(kPauseUs);
        t0 = now_us();
        if (!echo_once()) die("echo");
        b.push_back(now_us() - t0);
    }
    *jit_cpu = (cpu_ns(jitd) - cpu_jit0) / 1000 / n;
    *bare_cpu = (cpu_ns(g_echo) - cpu_echo0) / 1000 / n;
    *jit = percentiles(a);
    *bare = percentiles(b);
}

bool grant_once() {
    return grant_daemon();
}

// The peer: how many WAL commits of one row each SQLite makes per second
// with synchronous=FULL, on the disk jitd's state directory is on.
double sqlite_commits_per_second(double seconds) {
    std::string path = g_dir + "/peer.db";
    unlink(path.c_str());
    unlink((path + "-wal").c_str());
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) die("peer.db");
    exec(db, "PRAGMA journal_mode=WAL");
    exec(db, "PRAGMA synchronous=FULL");
    exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO t (v) VALUES ('a grant-sized row of text, about so long')",
                       -1, &st, nullptr);
    long n = 0;
    const double t0 = now_us();
    while (now_us() - t0 < seconds * 1e6) {
        exec(db, "BEGIN IMMEDIATE");
        sqlite3_step(st);
        sqlite3_reset(st);
        exec(db, "COMMIT");
        ++n;
    }
    const double rate = double(n) / ((now_us() - t0) / 1e6);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rate;
}

void scale_rows(size_t n, int checks) {
    std::string state = fresh_state("grants-" + std::to_string(n));
    fill(state, n, true);
    Jitd j = start_jitd(state);
    if (!grant_daemon()) die("grant");
    Latency jit, bare;
    double jit_cpu = 0, bare_cpu = 0;
    sequential(j.pid, checks, &jit, &bare, &jit_cpu, &bare_cpu);
    std::string size = std::to_string(n) + " active grants";
    row("CHECK median, " + size, fmt("%.1f us", jit.median), fmt("bare %.1f us", bare.median),
        fmt("+%.1f us", jit.median - bare.median), "<= bare + 15 us",
        jit.median <= bare.median + 15);
    row("CHECK p99, " + size, fmt("%.1f us", jit.p99), fmt("bare %.1f us", bare.p99),
        fmt("+%.1f us", jit.p99 - bare.p99), "<= bare + 15 us", jit.p99 <= bare.p99 + 15);
    row("server CPU per CHECK, " + size, fmt("%.1f us", jit_cpu), fmt("echo %.1f us", bare_cpu),
        fmt("+%.1f us", jit_cpu - bare_cpu), "-", true);
    double rss = double(rss_kb(j.pid, "VmRSS:")) / 1024,
           hwm = double(rss_kb(j.pid, "VmHWM:")) / 1024;
    row("jitd RSS, " + size, fmt("%.1f MB", rss) + fmt(" (peak %.1f)", hwm), "-", "-",
        "100,000 grants <= 50 MB", n < 100000 || rss <= 50);
    row("jitd start, " + size, fmt("%.0f ms", j.start_ms), "-", "-", "-", true);
    stop(j.pid);
}

void history_rows(size_t n) {
    std::string state = fresh_state("history-" + std::to_string(n));
    fill(state, n, false);
    Jitd j = start_jitd(state);
    double rss = double(rss_kb(j.pid, "VmRSS:")) / 1024;
    row("jitd start, " + std::to_string(n) + " ended grants and requests",
        fmt("%.0f ms", j.start_ms) + fmt(" (RSS %.1f MB)", rss), "-", "-", "1,000,000 rows < 1 s",
        n < 1000000 || j.start_ms < 1000);
    stop(j.pid);
}

double thread_cpu_ms() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

struct Timing {
    double wall_ms = 0, cpu_ms = 0;
};

// The peer of a start: SQLite alone reading every grant row of jit.db
// with its services (the rows a start with active grants must read, and
// every row of a history jitd need not read), each column copied out.
Timing sqlite_select(const std::string& state) {
    const double t0 = now_us(), cpu0 = thread_cpu_ms();
    sqlite3* db = nullptr;
    if (sqlite3_open_v2((state + "/jit.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) !=
        SQLITE_OK)
        die("jit.db");
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT g.id, g.user, g.source, g.not_before, g.not_after, g.reason, "
                       "g.created, g.state, s.service FROM grants g "
                       "JOIN grant_services s ON s.grant_id = g.id",
                       -1, &q, nullptr);
    std::string text;
    long rows = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        for (int c : {0, 1, 2, 5, 8})
            text.assign(reinterpret_cast<const char*>(sqlite3_column_text(q, c)));
        rows += sqlite3_column_int64(q, 3) > 0;
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    if (rows == 0) die("no rows");
    return {(now_us() - t0) / 1000, thread_cpu_ms() - cpu0};
}

double median3(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// jitd's start (to its first answer) against SQLite reading the same rows,
// alternated three times each (the machine is shared; the median is kept).
// Each also in CPU time (jitd's schedstat when it answered, the peer's
// thread CPU clock): on a loaded machine the wall time is mostly waiting
// for a core.
void start_rows(size_t active, size_t history) {
    struct Case {
        std::string label, state;
        size_t n;
    };
    std::vector<Case> cases;
    if (active) {
        cases.push_back({std::to_string(active) + " active grants",
                         fresh_state("start-active-" + std::to_string(active)), active});
        fill(cases.back().state, active, true);
    }
    if (history) {
        cases.push_back({std::to_string(history) + " ended grants and requests",
                         fresh_state("start-history-" + std::to_string(history)), history});
        fill(cases.back().state, history, false);
    }
    for (const auto& c : cases) {
        std::vector<double> jit, jit_cpu, peer, peer_cpu, rss;
        for (int i = 0; i < 3; ++i) {
            Jitd j = start_jitd(c.state);
            jit_cpu.push_back(cpu_ns(j.pid) / 1e6);
            jit.push_back(j.start_ms);
            rss.push_back(double(rss_kb(j.pid, "VmRSS:")) / 1024);
            stop(j.pid);
            const Timing t = sqlite_select(c.state);
            peer.push_back(t.wall_ms);
            peer_cpu.push_back(t.cpu_ms);
        }
        const double a = median3(jit), b = median3(peer);
        const double a_cpu = median3(jit_cpu), b_cpu = median3(peer_cpu);
        const bool history_case = c.label.find("ended") != std::string::npos;
        row("jitd start, " + c.label + " (median of 3)",
            fmt("%.0f ms", a) + fmt(" (CPU %.0f ms,", a_cpu) + fmt(" RSS %.1f MB)", median3(rss)),
            fmt("SQLite SELECT of every grant row %.0f ms", b) + fmt(" (CPU %.0f ms)", b_cpu),
            fmt("%.2fx", a / b) + fmt(" (CPU %.2fx)", a_cpu / b_cpu),
            history_case ? "1,000,000 rows < 1 s" : "-",
            !history_case || c.n < 1000000 || a < 1000);
    }
}

void closed_rows(pid_t jitd, pid_t floor) {
    for (int clients : {1, 8}) {
        double jit = closed_loop(check_once, clients, 3), bare = closed_loop(echo_once, clients, 3);
        row("CHECKs/s, " + std::to_string(clients) + " closed-loop clients", fmt("%.0f/s", jit),
            fmt("echo %.0f/s", bare), fmt("%.2fx", jit / bare), "-", true);
    }
    CpuSplit jit_cpu, floor_cpu;
    double checks = 0, floor_checks = 0;
    const long spilled_before = spilled_entries();
    const double jit = split_closed_loop(check_once, 64, jitd, &jit_cpu, &checks);
    const double spilled = double(spilled_entries() - spilled_before);
    const double bare = closed_loop(echo_once, 64, 3);
    const double under = split_closed_loop(floor_once, 64, floor, &floor_cpu, &floor_checks);
    row("CHECKs/s, 64 closed-loop clients", fmt("%.0f/s", jit), fmt("echo %.0f/s", bare),
        fmt("%.2fx", jit / bare), ">= 20,000/s", jit >= 20000);
    row("CHECKs/s, 64 closed-loop clients, against the floor", fmt("%.0f/s", jit),
        fmt("floor %.0f/s", under), fmt("%.2fx", jit / under), "-", true);
    row("the floor's CHECKs/s, 64 closed-loop clients (no decision)", fmt("%.0f/s", under),
        fmt("echo %.0f/s", bare), fmt("%.2fx", under / bare), "-", true);
    row("CPU per CHECK, 64 closed-loop clients: server + journald + clients", jit_cpu.text(),
        "floor " + floor_cpu.text(), fmt("%.2fx", jit_cpu.total() / floor_cpu.total()), "-", true);
    row("decisions jitd spilled to stderr (journald's queue full), 64 closed-loop clients",
        fmt("%.0f", spilled) + fmt(" of %.0f", checks) + fmt(" (%.1f%%)", 100 * spilled / checks),
        "floor 0 (it waits for journald)", "-", "-", true);
}

void open_rows(std::initializer_list<double> rates) {
    for (double rate : rates) {
        Latency jit = open_loop(check_once, rate, 3), bare = open_loop(echo_once, rate, 3);
        row(fmt("CHECK p99, open loop at %.0f/s", rate), fmt("%.0f us", jit.p99),
            fmt("echo %.0f us", bare.p99), fmt("%.1fx", jit.p99 / bare.p99),
            rate == 10000 ? "< 1 ms" : "-", rate != 10000 || jit.p99 < 1000);
    }
    Latency under = open_loop(floor_once, 10000, 3), bare = open_loop(echo_once, 10000, 3);
    row("floor CHECK p99, open loop at 10000/s (no decision)", fmt("%.0f us", under.p99),
        fmt("echo %.0f us", bare.p99), fmt("%.1fx", under.p99 / bare.p99), "-", true);
}

// jitd, the floor and the bare round trip, interleaved as in sequential().
void floor_latency_rows(int n) {
    std::vector<double> jit, under, bare;
    struct Server {
        bool (*once)();
        std::vector<double>* into;
    };
    const Server servers[] = {{check_once, &jit}, {floor_once, &under}, {echo_once, &bare}};
    for (int i = 0; i < n; ++i)
        for (const Server& s : servers) {
            usleep(kPauseUs);
            double t0 = now_us();
            if (!s.once())
                die(s.once == check_once ? "jitd" : s.once == floor_once ? "floor" : "echo");
            s.into->push_back(now_us() - t0);
        }
    Latency j = percentiles(jit), f = percentiles(under), b = percentiles(bare);
    row("floor CHECK median (no decision)", fmt("%.1f us", f.median), fmt("bare %.1f us", b.median),
        fmt("+%.1f us", f.median - b.median), "-", true);
    row("floor CHECK p99 (no decision)", fmt("%.1f us", f.p99), fmt("bare %.1f us", b.p99),
        fmt("+%.1f us", f.p99 - b.p99), "-", true);
    row("CHECK median, against the floor", fmt("%.1f us", j.median), fmt("floor %.1f us", f.median),
        fmt("+%.1f us", j.median - f.median), "-", true);
    row("CHECK p99, against the floor", fmt("%.1f us", j.p99), fmt("floor %.1f us", f.p99),
        fmt("+%.1f us", j.p99 - f.p99), "-", true);
}

// n CHECKs, each from a new process; jitd's CPU per CHECK over them.
double checks_from_new_processes(pid_t jitd, int n) {
    const double cpu0 = cpu_ns(jitd);
    for (int i = 0; i < n; ++i) {
        pid_t child = fork();
        if (child == 0) _exit(check_once() ? 0 : 1);
        int status = 0;
        if (child < 0 || waitpid(child, &status, 0) != child || status != 0)
            die("check from a new process");
    }
    return (cpu_ns(jitd) - cpu0) / 1000 / n;
}

void process_rows(pid_t jitd) {
    const double first = checks_from_new_processes(jitd, 4000);
    const double second = checks_from_new_processes(jitd, 4000);
    row("jitd CPU per CHECK, each from its own process: checks 4,001-8,000", fmt("%.1f us", second),
        fmt("checks 1-4,000: %.1f us", first), fmt("%.2fx", second / first), "flat",
        second <= first * 1.2);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: scale_bench BUILD_DIR WORK_DIR [parts]\n");
        return 2;
    }
    g_build = bench::absolute_dir(argv[1], "BUILD_DIR");
    g_dir = bench::absolute_dir(argv[2], "WORK_DIR");
    // Optional: which parts to run
    // ("scale,history,start,throughput,processes,grants" or "open"; default
    // all but "open", which throughput includes).
    const std::string parts =
        argc > 3 ? argv[3] : "scale,history,start,throughput,processes,grants";
    auto part = [&](const char* name) { return parts.find(name) != std::string::npos; };
    pid_t echo = g_echo = start_echo();
    printf("load before: %s\n\n", load());
    printf("| figure | jit | peer | ratio | goal | met |\n|---|---|---|---|---|---|\n");
    if (part("scale"))
        for (size_t n : {size_t(1000), size_t(10000), size_t(100000)}) scale_rows(n, 5000);
    if (part("history"))
        for (size_t n : {size_t(10000), size_t(100000), size_t(1000000)}) history_rows(n);
    if (part("start")) start_rows(100000, 1000000);
    std::string state = fresh_state("throughput");
    Jitd j = start_jitd(state);
    if (!grant_daemon()) die("grant");
    const pid_t floor = bench::start_floor_server(floor_socket(), bench::journald_pid() > 0);
    if (part("throughput")) {
        floor_latency_rows(3000);
        closed_rows(j.pid, floor);
        open_rows({100.0, 1000.0, 10000.0});
    } else if (part("open")) {
        open_rows({10000.0});
    }
    stop(floor);
    if (part("processes")) process_rows(j.pid);
    if (part("grants")) {
        const double peer = sqlite_commits_per_second(3);
        for (int clients : {1, 8, 64}) {
            const double cpu0 = cpu_ns(j.pid), t0 = now_us();
            double rate = closed_loop(grant_once, clients, 3);
            // jitd's time on a CPU per acked grant: the figure the load moves least.
            const double grants = rate * (now_us() - t0) / 1e6;
            const double cpu = grants > 0 ? (cpu_ns(j.pid) - cpu0) / 1000 / grants : 0;
            row("durable grants/s, " + std::to_string(clients) + " clients", fmt("%.0f/s", rate),
                fmt("SQLite WAL commits %.0f/s", peer), fmt("%.2fx", rate / peer),
                clients == 1 ? "-" : ">= 5,000/s (concurrent writers)",
                clients == 1 || rate >= 5000);
            row("jitd CPU per durable grant, " + std::to_string(clients) + " clients",
                fmt("%.0f us", cpu), "-", "-", "-", true);
        }
    }
    stop(j.pid);
    stop(echo);
    printf("\nload after: %s\n", load());
    return 0;
}

// Latency of a jit decision against its peers, measured in one run:
//   bare_unix_roundtrip  connect + 64-byte request + 64-byte reply + close
//                        against a server process that does nothing else
//   jitd_check           jit::roundtrip CHECK against a real jitd (allow path,
//                        including its journald entry)
//   pam_unix_account     pam_start + pam_acct_mgmt + pam_end, pam_unix only
//   pam_jit_account      the same stack with pam_jit.so first (allow path)
//   pam_jit_unmanaged    that stack where the account is not managed: what
//                        loading the module costs when jitd is never asked
//   *_acct_only          pam_acct_mgmt alone (pam_start and pam_end untimed)
//   pam_jit_step         pam_jit.so alone in the stack, managed and allowed:
//                        pam_jit's own step, against pam_unix alone
// Then the same comparisons in instructions (callgrind, bench/pam_txn), which
// the machine's load does not move: the figures to judge the goals by on a
// shared machine; and, as the floor, the stack with a module that imports
// nothing and ignores everyone (bench/pam_floor.c) in place of pam_jit.so.
// Both PAM cases use the system account "daemon", managed and granted here,
// so pam_unix has a real account to look at in both stacks.
// The PAM cases need pam_wrapper (bench/run sets LD_PRELOAD); the ratios at
// the end compare each jit case with its peer.
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <initializer_list>
#include <map>
#include <string>

#include <benchmark/benchmark.h>
#include <security/pam_appl.h>

#include "jit/client.h"
#include "jit/messages.h"

namespace {

std::string g_dir;
std::string g_build;
pid_t g_jitd = -1;
pid_t g_echo = -1;

// Run at exit, die() included, so a bench that fails leaves no server behind.
void stop_servers() {
    for (pid_t* server : {&g_echo, &g_jitd}) {
        if (*server <= 0) continue;
        kill(*server, SIGTERM);
        waitpid(*server, nullptr, 0);
        *server = -1;
    }
}

std::string jitd_socket() {
    return g_dir + "/jitd.sock";
}
std::string echo_socket() {
    return g_dir + "/echo.sock";
}

void die(const char* what) {
    perror(what);
    exit(1);
}

// A server that answers every connection with 64 bytes and closes: the floor
// any Unix-socket request/reply protocol pays.
pid_t start_echo_server() {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", echo_socket().c_str());
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 128) != 0)
        die("echo server");
    pid_t pid = fork();
    if (pid != 0) {
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

pid_t start_jitd() {
    std::string conf = g_dir + "/jitd.conf";
    FILE* f = fopen(conf.c_str(), "w");
    if (!f) die("jitd.conf");
    fprintf(f, "[managed]\nusers = daemon\n");
    fclose(f);
    pid_t pid = fork();
    if (pid == 0) {
        // As under systemd, stderr is "the journal" (JOURNAL_STREAM names it),
        // so jitd does not also write each entry there as it does in a
        // terminal (a write(2) per decision that production does not make).
        int null = open("/dev/null", O_WRONLY);
        struct stat ns;
        if (null < 0 || dup2(null, 2) < 0 || fstat(2, &ns) != 0) _exit(127);
        std::string stream = std::to_string(ns.st_dev) + ":" + std::to_string(ns.st_ino);
        setenv("JOURNAL_STREAM", stream.c_str(), 1);
        std::string jitd = g_build + "/jitd", sock = jitd_socket(), state = g_dir + "/state";
        execl(jitd.c_str(), "jitd", "--socket", sock.c_str(), "--state-dir", state.c_str(),
              "--config", conf.c_str(), nullptr);
        _exit(127);
    }
    for (int i = 0; i < 100; ++i) {
        struct stat st;
        if (stat(jitd_socket().c_str(), &st) == 0) return pid;
        usleep(50000);
    }
    die("jitd did not start");
    return -1;
}

jit::ClientOptions client_options() {
    static std::string path = jitd_socket();
    jit::ClientOptions o;
    o.socket_path = path.c_str();
    o.trusted_uids[0] = geteuid();
    o.timeout_ms = 1000;
    return o;
}

void grant_daemon() {
    jit::msg::GrantRequest r;
    r.user = "daemon";
    r.services = {"sshd", "jit-alone"};
    r.reason = "benchmark";
    r.duration = 3600;
    auto frame = jit::msg::encode(r, 1);
    uint8_t reply[jit::proto::kMaxFrame];
    auto got = jit::roundtrip(client_options(), frame->data(), frame->size(), reply, sizeof reply);
    if (!got || got->header.type != jit::proto::MsgType::GrantReply) die("grant");
}

void write_pam_services() {
    std::string dir = g_dir + "/pam.d";
    mkdir(dir.c_str(), 0700);
    const char* permit_dir = getenv("JIT_BENCH_PAM_DIR");
    std::string unix_line = std::string("account required ") + permit_dir + "/pam_unix.so\n";
    FILE* f = fopen((dir + "/bench-unix").c_str(), "w");
    fputs(unix_line.c_str(), f);
    fclose(f);
    f = fopen((dir + "/sshd").c_str(), "w");
    fprintf(f, "account required %s/pam_jit.so socket=%s server_uid=%u managed_users=daemon\n",
            g_build.c_str(), jitd_socket().c_str(), unsigned(geteuid()));
    fputs(unix_line.c_str(), f);
    fclose(f);
    f = fopen((dir + "/sshd-unmanaged").c_str(), "w");
    fprintf(f, "account required %s/pam_jit.so socket=%s server_uid=%u managed_users=deploy\n",
            g_build.c_str(), jitd_socket().c_str(), unsigned(geteuid()));
    fputs(unix_line.c_str(), f);
    fclose(f);
    // The Debian profile's arguments (conf/pam-configs/jit), with adm standing
    // in for jit-managed (a group that exists, "daemon" not in it): the
    // account is looked up (uid, then groups) before it is known not to be
    // managed.
    f = fopen((dir + "/sshd-unmanaged-profile").c_str(), "w");
    fprintf(f,
            "account required %s/pam_jit.so socket=%s server_uid=%u managed_groups=adm "
            "managed_uids=60500-60999\n",
            g_build.c_str(), jitd_socket().c_str(), unsigned(geteuid()));
    fputs(unix_line.c_str(), f);
    fclose(f);
    f = fopen((dir + "/floor").c_str(), "w");
    fprintf(f, "account required %s/bench/pam_floor.so\n", g_build.c_str());
    fputs(unix_line.c_str(), f);
    fclose(f);
    f = fopen((dir + "/jit-alone").c_str(), "w");
    fprintf(f, "account required %s/pam_jit.so socket=%s server_uid=%u managed_users=daemon\n",
            g_build.c_str(), jitd_socket().c_str(), unsigned(geteuid()));
    fclose(f);
    f = fopen((dir + "/other").c_str(), "w");  // libpam wants a fallback service
    fputs("account required pam_deny.so\n", f);
    fclose(f);
    setenv("PAM_WRAPPER_SERVICE_DIR", dir.c_str(), 1);
}

void BM_BareUnixRoundTrip(benchmark::State& state) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", echo_socket().c_str());
    char buf[64] = {1};
    for (auto _ : state) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            send(fd, buf, sizeof buf, MSG_NOSIGNAL) != sizeof buf || read(fd, buf, sizeof buf) <= 0)
            state.SkipWithError("echo round trip failed");
        close(fd);
    }
}

void BM_JitdCheck(benchmark::State& state) {
    jit::msg::CheckRequest r{"daemon", "sshd", "192.0.2.1", "ssh", ""};
    auto frame = jit::msg::encode(r, 7);
    uint8_t reply[4096];
    auto options = client_options();
    for (auto _ : state) {
        auto got = jit::roundtrip(options, frame->data(), frame->size(), reply, sizeof reply);
        if (!got || jit::msg::decode_check_reply(*got).decision != jit::proto::Decision::Allow)
            state.SkipWithError("check was not allowed");
    }
}

int pam_conv_none(int, const pam_message**, pam_response**, void*) {
    return PAM_CONV_ERR;
}

void run_pam(benchmark::State& state, const char* service, const char* user) {
    pam_conv conv{pam_conv_none, nullptr};
    for (auto _ : state) {
        pam_handle_t* h = nullptr;
        if (pam_start(service, user, &conv, &h) != PAM_SUCCESS) state.SkipWithError("pam_start");
        int rc = pam_acct_mgmt(h, 0);
        pam_end(h, rc);
        if (rc != PAM_SUCCESS) state.SkipWithError("account phase did not succeed");
    }
}

// pam_acct_mgmt alone: pam_start and pam_end run outside the timed part.
void run_acct_only(benchmark::State& state, const char* service, const char* user) {
    pam_conv conv{pam_conv_none, nullptr};
    for (auto _ : state) {
        pam_handle_t* h = nullptr;
        if (pam_start(service, user, &conv, &h) != PAM_SUCCESS) state.SkipWithError("pam_start");
        timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int rc = pam_acct_mgmt(h, 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        pam_end(h, rc);
        if (rc != PAM_SUCCESS) state.SkipWithError("account phase did not succeed");
        state.SetIterationTime(double(t1.tv_sec - t0.tv_sec) +
                               double(t1.tv_nsec - t0.tv_nsec) / 1e9);
    }
}

void BM_PamUnixAcctOnly(benchmark::State& state) {
    run_acct_only(state, "bench-unix", "daemon");
}
void BM_PamJitUnmanagedAcctOnly(benchmark::State& state) {
    run_acct_only(state, "sshd-unmanaged", "daemon");
}
void BM_PamJitStep(benchmark::State& state) {
    run_acct_only(state, "jit-alone", "daemon");
}

void BM_PamUnixAccount(benchmark::State& state) {
    run_pam(state, "bench-unix", "daemon");
}
void BM_PamJitAccount(benchmark::State& state) {
    run_pam(state, "sshd", "daemon");
}
void BM_PamJitUnmanaged(benchmark::State& state) {
    run_pam(state, "sshd-unmanaged", "daemon");
}

BENCHMARK(BM_BareUnixRoundTrip)->MinTime(1.0);
BENCHMARK(BM_JitdCheck)->MinTime(1.0);
BENCHMARK(BM_PamUnixAccount)->MinTime(1.0);
BENCHMARK(BM_PamJitAccount)->MinTime(1.0);
BENCHMARK(BM_PamJitUnmanaged)->MinTime(1.0);
BENCHMARK(BM_PamUnixAcctOnly)->MinTime(1.0)->UseManualTime();
BENCHMARK(BM_PamJitUnmanagedAcctOnly)->MinTime(1.0)->UseManualTime();
BENCHMARK(BM_PamJitStep)->MinTime(1.0)->UseManualTime();

// Collects mean times so the ratios can be printed after the table.
class RatioReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const auto& r : runs)
            if (!r.error_occurred) ns[r.benchmark_name()] = r.GetAdjustedRealTime();
    }
    std::map<std::string, double> ns;
};

// One row: figure | jit | peer | ratio | goal | met.  goal_ratio bounds
// jit / peer; extra_us, when set, bounds jit - peer instead.
void print_ratio(const RatioReporter& r, const char* figure, const char* what, const char* peer,
                 const char* goal, double goal_ratio, double extra_us = -1) {
    auto a = r.ns.find(what), b = r.ns.find(peer);
    if (a == r.ns.end() || b == r.ns.end()) {
        printf("| %s | not measured | | | %s | no |\n", figure, goal);
        return;
    }
    double jit = a->second / 1000, base = b->second / 1000;
    bool met = extra_us >= 0 ? jit <= base + extra_us : jit <= base * goal_ratio;
    printf("| %s | %.1f us | %.1f us | %.2fx (+%.1f us) | %s | %s |\n", figure, jit, base,
           jit / base, jit - base, goal, met ? "yes" : "no");
}

// ---- the same comparisons in instructions: callgrind over bench/pam_txn ----
constexpr int kTransactions = 200;

struct Counts {
    double first = -1;        // the process's first transaction, whole
    double transaction = -1;  // each later one, whole (pam_start .. pam_end)
    double account = -1;      // its pam_acct_mgmt alone
    double jit_step = -1;     // pam_jit.so's pam_sm_acct_mgmt (mean over all)
    double unix_step = -1;    // pam_unix.so's pam_sm_acct_mgmt (mean over all)
};

double leading_count(const char* line) {
    double v = 0;
    bool any = false;
    for (const char* p = line; *p == ' ' || *p == ',' || (*p >= '0' && *p <= '9'); ++p)
        if (*p >= '0' && *p <= '9') v = v * 10 + (*p - '0'), any = true;
    return any ? v : -1;
}

// Counts one stack: pam_txn under callgrind, read back with callgrind_annotate
// (inclusive costs per function and object).  groups_first: the process has
// looked up the account's groups before (pam_txn says why).
Counts callgrind(const char* service, bool groups_first = false) {
    Counts c;
    std::string out = g_dir + "/callgrind." + service + (groups_first ? ".groups-first" : "");
    std::string cmd = "valgrind --tool=callgrind --callgrind-out-file=" + out +
                      " --toggle-collect=jit_bench_first --toggle-collect=jit_bench_transaction " +
                      g_build + "/bench/pam_txn " + service + " daemon " +
                      std::to_string(kTransactions) + (groups_first ? " groups-first" : "") + " >" +
                      out + ".log 2>&1";
    if (system(cmd.c_str()) != 0) return c;
    std::string annotate =
        "callgrind_annotate --inclusive=yes --threshold=100 " + out + " 2>/dev/null";
    FILE* p = popen(annotate.c_str(), "r");
    if (!p) return c;
    char line[8192];
    while (fgets(line, sizeof line, p)) {
        double v = leading_count(line);
        if (v < 0) continue;
        if (strstr(line, ":jit_bench_first ["))
            c.first = v;
        else if (strstr(line, ":jit_bench_transaction ["))
            c.transaction = v / kTransactions;
        else if (strstr(line, ":jit_bench_account ["))
            c.account = v / kTransactions;
        else if (strstr(line, ":pam_sm_acct_mgmt [") && strstr(line, "/pam_jit.so]"))
            c.jit_step = v / (kTransactions + 1);
        else if (strstr(line, ":pam_sm_acct_mgmt [") && strstr(line, "/pam_unix.so]"))
            c.unix_step = v / (kTransactions + 1);
    }
    pclose(p);
    return c;
}

// ratio 0: a figure with no goal (met "-").
void print_count(const char* figure, double jit, double peer, const char* goal, double ratio) {
    if (jit <= 0 || peer <= 0) {
        printf("| %s | not measured | | | %s | %s |\n", figure, goal, ratio > 0 ? "no" : "-");
        return;
    }
    printf("| %s | %.1fk | %.1fk | %.3fx (%+.1fk) | %s | %s |\n", figure, jit / 1000, peer / 1000,
           jit / peer, (jit - peer) / 1000, goal,
           ratio <= 0            ? "-"
           : jit <= peer * ratio ? "yes"
                                 : "no");
}

void pam_instructions() {
    printf(
        "\n== PAM in instructions (callgrind; the load does not move them): %d transactions\n"
        "   after the process's first, per transaction, under pam_wrapper\n",
        kTransactions);
    if (system("command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null") != 0) {
        printf("   SKIPPED: valgrind is not installed (scripts/install-deps installs it)\n");
        return;
    }
    Counts unix_alone = callgrind("bench-unix");
    Counts floor = callgrind("floor");
    Counts unmanaged = callgrind("sshd-unmanaged");
    Counts profile = callgrind("sshd-unmanaged-profile");
    Counts unix_grouped = callgrind("bench-unix", true);
    Counts profile_grouped = callgrind("sshd-unmanaged-profile", true);
    Counts managed = callgrind("sshd");
    printf(
        "\n| figure (instructions) | jit | peer (pam_unix alone) | ratio | goal | met |\n"
        "|---|---|---|---|---|---|\n");
    print_count("PAM unmanaged, whole transaction (pam_start .. pam_end)", unmanaged.transaction,
                unix_alone.transaction, "<= 1.05x", 1.05);
    print_count("PAM unmanaged, pam_acct_mgmt alone", unmanaged.account, unix_alone.account,
                "<= 1.05x", 1.05);
    print_count(
        "PAM unmanaged, whole transaction, Debian profile arguments (uid + group lookups; "
        "adm for jit-managed)",
        profile.transaction, unix_alone.transaction, "<= 1.05x", 1.05);
    print_count("PAM unmanaged, the process's first transaction (pam_jit.so loaded the first time)",
                unmanaged.first, unix_alone.first, "<= 1.05x", 1.05);
    print_count(
        "PAM unmanaged, Debian profile arguments, the process's first transaction (NSS's group "
        "sources loaded the first time)",
        profile.first, unix_alone.first, "<= 1.05x", 1.05);
    print_count(
        "the same, in a process that looked up the account's groups before (as its session's "
        "initgroups will), against pam_unix alone in such a process",
        profile_grouped.first, unix_grouped.first, "<= 1.05x", 1.05);
    print_count(
        "floor: a module that imports nothing and ignores everyone, the process's first "
        "transaction",
        floor.first, unix_alone.first, "-", 0);
    print_count("floor: the same, whole transaction after the first", floor.transaction,
                unix_alone.transaction, "-", 0);
    printf("| figure (instructions) | jit | peer (the floor module) | ratio | goal | met |\n");
    print_count("PAM unmanaged, the process's first transaction, over the floor", unmanaged.first,
                floor.first, "-", 0);
    print_count("PAM unmanaged, whole transaction, over the floor", unmanaged.transaction,
                floor.transaction, "-", 0);
    printf(
        "| figure (instructions) | pam_jit's step | pam_unix's step (same stack) | ratio | goal | "
        "met |\n");
    print_count(
        "PAM managed, allowed: pam_jit's pam_sm_acct_mgmt (loads the core, asks jitd) vs "
        "pam_unix's",
        managed.jit_step, managed.unix_step, "<= 1.25x", 1.25);
    printf("| figure (instructions) | jit | peer (pam_unix alone) | ratio | goal | met |\n");
    print_count("PAM managed, allowed, whole transaction (the core's unload at pam_end included)",
                managed.transaction, unix_alone.transaction, "stack <= 2.25x", 2.25);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: check_bench BUILD_DIR WORK_DIR [benchmark flags]\n");
        return 2;
    }
    char* build = realpath(argv[1], nullptr);
    if (!build) die("BUILD_DIR");
    g_build = build;
    free(build);
    g_dir = argv[2];
    argv[2] = argv[0];
    argc -= 2;
    argv += 2;
    benchmark::Initialize(&argc, argv);
    g_echo = start_echo_server();
    atexit(stop_servers);  // registered after the echo server's fork: not in that child
    g_jitd = start_jitd();
    grant_daemon();
    write_pam_services();
    RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    printf("\n| figure | jit | peer | ratio | goal | met |\n|---|---|---|---|---|---|\n");
    print_ratio(reporter, "CHECK (mean) vs bare connect + round trip",
                "BM_JitdCheck/min_time:1.000", "BM_BareUnixRoundTrip/min_time:1.000",
                "<= bare + 15 us", 0, 15);
    print_ratio(reporter, "PAM account stack, managed: pam_jit + pam_unix vs pam_unix",
                "BM_PamJitAccount/min_time:1.000", "BM_PamUnixAccount/min_time:1.000",
                "pam_jit's step <= 1.25x pam_unix's (stack <= 2.25x)", 2.25);
    print_ratio(reporter, "PAM unmanaged, whole transaction (pam_start .. pam_end)",
                "BM_PamJitUnmanaged/min_time:1.000", "BM_PamUnixAccount/min_time:1.000", "<= 1.05x",
                1.05);
    print_ratio(reporter, "PAM unmanaged, pam_acct_mgmt alone",
                "BM_PamJitUnmanagedAcctOnly/min_time:1.000/manual_time",
                "BM_PamUnixAcctOnly/min_time:1.000/manual_time", "<= 1.05x", 1.05);
    print_ratio(reporter,
                "PAM managed: pam_jit's step (alone in its stack, incl. the jitd round trip) vs "
                "pam_unix's",
                "BM_PamJitStep/min_time:1.000/manual_time",
                "BM_PamUnixAcctOnly/min_time:1.000/manual_time", "<= 1.25x", 1.25);
    pam_instructions();
    stop_servers();
    return 0;
}

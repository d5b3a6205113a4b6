// Latency of a jit decision against its peers, measured in one run:
//   bare_unix_roundtrip  connect + 64-byte request + 64-byte reply + close
//                        against a server process that does nothing else
//   jitd_check           jit::roundtrip CHECK against a real jitd (allow path,
//                        including its journald entry)
//   pam_unix_account     pam_start + pam_acct_mgmt + pam_end, pam_unix only
//   pam_jit_account      the same stack with pam_jit.so first (allow path)
//   pam_jit_unmanaged    that stack where the account is not managed: what
//                        loading the module costs when jitd is never asked
// Both PAM cases use the system account "daemon", managed and granted here,
// so pam_unix has a real account to look at in both stacks.
// The PAM cases need pam_wrapper (bench/run sets LD_PRELOAD); the ratios at
// the end compare each jit case with its peer.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

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
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
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
    r.services = {"sshd"};
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
    print_ratio(reporter, "PAM account stack, unmanaged", "BM_PamJitUnmanaged/min_time:1.000",
                "BM_PamUnixAccount/min_time:1.000", "<= 1.05x", 1.05);
    kill(g_echo, SIGTERM);
    kill(g_jitd, SIGTERM);
    waitpid(g_echo, nullptr, 0);
    waitpid(g_jitd, nullptr, 0);
    return 0;
}

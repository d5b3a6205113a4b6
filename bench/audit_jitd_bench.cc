// CHECKs per second with the audit log on against the same jitd with it off,
// measured in one run: two jitds on their own state directories (one made
// with jitd --audit-init), each with a grant for "daemon", driven in turn by
// the same closed-loop clients (1, 8, 16, 64), twice, so both see the same
// noise.  audit_durability = before-answer: every answer waits for the
// commit of its turn's records (a WAL fsync and the audit key file's per
// commit); a third jitd runs with audit_durability = batched.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "bench/round_trips.h"
#include "jit/client.h"
#include "jit/messages.h"

namespace {

using bench::now_us;

std::string g_build, g_dir;

void die(const char* what) {
    fprintf(stderr, "audit_jitd_bench: %s\n", what);
    exit(1);  // stops the jitds started (bench::started)
}

struct Jitd {
    std::string name, socket;
    pid_t pid = -1;
};

jit::ClientOptions options(const std::string& socket) {
    jit::ClientOptions o;
    o.socket_path = socket.c_str();
    o.trusted_uids[0] = geteuid();
    o.timeout_ms = 5000;
    return o;
}

Jitd start(const std::string& name, bool audit, const char* jitd_keys = "") {
    Jitd j{name, g_dir + "/" + name + ".sock"};
    const std::string conf = g_dir + "/" + name + ".conf", state = g_dir + "/" + name;
    FILE* f = fopen(conf.c_str(), "w");
    if (!f) die("conf");
    fprintf(f, "[jitd]\n%s\n[managed]\nusers = daemon\n", jitd_keys);
    fclose(f);
    const std::string jitd = g_build + "/jitd";
    // A run before in the same WORK_DIR left its audit log: --audit-init
    // creates one only where there is none.
    std::error_code ignored;  // what cannot go makes --audit-init fail, and says so
    std::filesystem::remove_all(state, ignored);
    std::filesystem::remove(g_dir + "/" + name + ".key", ignored);
    if (audit && !bench::run_quietly({jitd, "--config", conf, "--state-dir", state, "--audit-init",
                                      g_dir + "/" + name + ".key"}))
        die("jitd --audit-init");
    j.pid = fork();
    if (j.pid > 0) bench::started(j.pid);
    if (j.pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        execl(jitd.c_str(), "jitd", "--socket", j.socket.c_str(), "--state-dir", state.c_str(),
              "--config", conf.c_str(), nullptr);
        _exit(127);
    }
    jit::msg::GrantRequest r;
    r.user = "daemon";
    r.services = {"sshd"};
    r.reason = "benchmark";
    r.duration = 3600;
    auto frame = jit::msg::encode(r, 1);
    uint8_t reply[jit::proto::kMaxFrame];
    for (int i = 0; i < 5000; ++i) {
        auto got =
            jit::roundtrip(options(j.socket), frame->data(), frame->size(), reply, sizeof reply);
        if (got && got->header.type == jit::proto::MsgType::GrantReply) return j;
        usleep(2000);
    }
    die("jitd did not start or grant");
    return j;
}

bool check_once(const std::string& socket) {
    static const auto frame =
        *jit::msg::encode(jit::msg::CheckRequest{"daemon", "sshd", "192.0.2.1", "ssh", ""}, 7);
    uint8_t reply[4096];
    auto got = jit::roundtrip(options(socket), frame.data(), frame.size(), reply, sizeof reply);
    return got && jit::msg::decode_check_reply(*got).decision == jit::proto::Decision::Allow;
}

double closed_loop(const std::string& socket, int clients, double seconds) {
    return bench::closed_loop([&] { return check_once(socket); }, clients, seconds);
}

std::string load() {
    char buf[64] = "?";
    FILE* f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
        fclose(f);
    }
    std::string s(buf);
    return s.substr(0, s.find(' ', s.find(' ', s.find(' ') + 1) + 1));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: audit_jitd_bench BUILD_DIR WORK_DIR [SECONDS]\n");
        return 2;
    }
    g_build = bench::absolute_dir(argv[1], "BUILD_DIR");
    g_dir = bench::absolute_dir(argv[2], "WORK_DIR");
    const double seconds = argc > 3 ? atof(argv[3]) : 3;
    Jitd off = start("audit-off", false), on = start("audit-on", true),
         batched = start("audit-batched", true, "audit_durability = batched");
    printf("load before: %s\n\n", load().c_str());
    printf(
        "| CHECKs/s | audit on (before-answer) | audit on (batched) | audit off | "
        "before-answer/off | batched/off |\n|---|---|---|---|---|---|\n");
    for (int clients : {1, 8, 16, 64}) {
        double a = 0, b = 0, c = 0;
        for (int round = 0; round < 2; ++round) {  // interleaved: the same noise for all
            c += closed_loop(off.socket, clients, seconds / 2);
            a += closed_loop(on.socket, clients, seconds / 2);
            b += closed_loop(batched.socket, clients, seconds / 2);
        }
        printf("| %d closed-loop clients | %.0f/s | %.0f/s | %.0f/s | %.2f | %.2f |\n", clients,
               a / 2, b / 2, c / 2, a / c, b / c);
        fflush(stdout);
    }
    printf("\nload after: %s\n", load().c_str());
    for (const Jitd* j : {&off, &on, &batched}) {
        bench::stop(j->pid);
    }
    return 0;
}

// System calls jitd makes per CHECK, counted by strace -f -c on jitd itself.
// Two runs of a fresh jitd, one with FEW and one with MANY allowed CHECKs
// (the same setup, start and stop in both): the difference divided by the
// difference in CHECKs is what one CHECK costs, start-up excluded.  A count
// is not timing: it holds under any load on the machine.
// Usage: check_syscalls BUILD_DIR WORK_DIR [MANY]
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "jit/client.h"
#include "jit/messages.h"

namespace {

std::string g_build, g_dir;

[[noreturn]] void die(const char* what) {
    fprintf(stderr, "check_syscalls: %s\n", what);
    exit(1);
}

jit::ClientOptions client(const std::string& sock) {
    static std::string path;
    path = sock;
    jit::ClientOptions o;
    o.socket_path = path.c_str();
    o.trusted_uids[0] = geteuid();
    o.timeout_ms = 2000;
    return o;
}

void send(const std::string& sock, const jit::msg::Frame& frame, jit::proto::MsgType want) {
    uint8_t reply[jit::proto::kMaxFrame];
    auto got = jit::roundtrip(client(sock), frame.data(), frame.size(), reply, sizeof reply);
    if (!got || got->header.type != want) die("unexpected reply");
}

// strace -c's table: name -> calls.
std::map<std::string, long> read_counts(const std::string& path) {
    std::ifstream in(path);
    std::map<std::string, long> out;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string w;
        std::vector<std::string> v;
        while (words >> w) v.push_back(w);
        if (v.size() < 5 || v.back() == "total") continue;
        if (v[0].find_first_not_of("0123456789.") != std::string::npos) continue;
        out[v.back()] = atol(v[3].c_str());
    }
    return out;
}

std::map<std::string, long> run(int checks, const char* tag) {
    std::string dir = g_dir + "/" + tag;
    mkdir(dir.c_str(), 0700);
    std::string conf = dir + "/jitd.conf", sock = dir + "/jitd.sock", out = dir + "/strace";
    FILE* f = fopen(conf.c_str(), "w");
    if (!f) die("jitd.conf");
    fprintf(f, "[managed]\nusers = daemon\n");
    fclose(f);
    pid_t pid = fork();
    if (pid == 0) {
        // As under systemd, stderr is "the journal" (JOURNAL_STREAM names it),
        // so jitd does not mirror each entry there as it does in a terminal.
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        struct stat ns;
        if (null < 0 || dup2(null, 2) < 0 || fstat(2, &ns) != 0) _exit(127);
        std::string stream = std::to_string(ns.st_dev) + ":" + std::to_string(ns.st_ino);
        setenv("JOURNAL_STREAM", stream.c_str(), 1);
        std::string jitd = g_build + "/jitd", state = dir + "/state";
        execlp("strace", "strace", "-f", "-c", "-o", out.c_str(), jitd.c_str(), "--socket",
               sock.c_str(), "--state-dir", state.c_str(), "--config", conf.c_str(), nullptr);
        _exit(127);
    }
    struct stat st;
    for (int i = 0; i < 200 && stat(sock.c_str(), &st) != 0; ++i) usleep(50000);
    if (stat(sock.c_str(), &st) != 0) die("jitd did not start");
    jit::msg::GrantRequest g;
    g.user = "daemon";
    g.services = {"sshd"};
    g.reason = "benchmark";
    g.duration = 3600;
    send(sock, *jit::msg::encode(g, 1), jit::proto::MsgType::GrantReply);
    jit::msg::CheckRequest c;
    c.user = "daemon";
    c.service = "sshd";
    auto frame = jit::msg::encode(c, 2);
    for (int i = 0; i < checks; ++i) send(sock, *frame, jit::proto::MsgType::CheckReply);
    // strace does not pass SIGTERM on: stop jitd itself, strace's only child.
    std::ifstream children("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) +
                           "/children");
    long jitd = 0;
    if (!(children >> jitd) || jitd <= 0) die("cannot find jitd under strace");
    kill(pid_t(jitd), SIGTERM);
    waitpid(pid, nullptr, 0);
    return read_counts(out);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) die("usage: check_syscalls BUILD_DIR WORK_DIR [MANY]");
    char* build = realpath(argv[1], nullptr);
    if (!build) die("BUILD_DIR");
    g_build = build;
    free(build);
    g_dir = argv[2];
    const int few = 100, many = argc > 3 ? atoi(argv[3]) : 2100;
    auto a = run(few, "few"), b = run(many, "many");
    long total = 0;
    std::string detail;
    for (const auto& [name, n] : b) {
        long d = n - (a.count(name) ? a[name] : 0);
        total += d;
        if (d * 20 >= many - few) {  // at least 0.05 per CHECK
            char buf[96];
            snprintf(buf, sizeof buf, "%s %.2f, ", name.c_str(), double(d) / (many - few));
            detail += buf;
        }
    }
    printf("system calls per allowed CHECK in jitd (strace -f -c, %d - %d checks): %.2f\n", many,
           few, double(total) / (many - few));
    printf("   of which: %s\n", detail.c_str());
    return 0;
}

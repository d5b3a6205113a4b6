// The NSS rows of `make bench`, at 10, 10,000, 100,000 and 1,000,000
// accounts, each against its peer measured in the same run:
//
//   module   _nss_jit_getpwnam_r / _nss_jit_getpwuid_r from the built module
//            (dlopen), called as glibc calls them, hits and misses, on a
//            snapshot of N granted accounts (each inside a window) written and
//            published by jitd's own code (SnapshotFile: renamed over, the
//            old file marked superseded).  Peer: glibc's own
//            _nss_files_getpwnam_r / _nss_files_getpwuid_r on a passwd file of
//            the same N accounts bind-mounted over /etc/passwd in a private
//            mount namespace (root only).  Goal: <= 1 us at every N.
//   glibc    getpwnam_r(3) itself, with `passwd: files jit` bind-mounted over
//            /etc/nsswitch.conf and the host's own /etc/passwd: a jit account
//            is a `files` miss first.  Peer: getpwnam_r of an unknown name
//            with `passwd: files` alone, on the same /etc/passwd.  Goal: no
//            more than the peer + 1 us.  Each configuration runs in a child
//            of its own (glibc reads nsswitch.conf once), the two in 15
//            alternating rounds of 0.1 s of CPU; the ratio column is the
//            median of the differences between a jit round and the peer
//            round right before it.  libnss_jit.so.2 is found through
//            LD_LIBRARY_PATH (bench/run sets it).
//
// Names are looked up round-robin from 1024 spread evenly over the N
// accounts.  Also measured: the first lookup after jitd replaced the file
// (the module maps the new file), median of 5.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <nss.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "daemon/accounts/nss_publisher.h"
#include "daemon/accounts/snapshot_writer.h"

namespace {

using Getpwnam = nss_status (*)(const char*, passwd*, char*, size_t, int*);
using Getpwuid = nss_status (*)(uid_t, passwd*, char*, size_t, int*);

constexpr int kSizes[] = {10, 10000, 100000, 1000000};
constexpr uint32_t kFirstUid = 100000;
constexpr double kGoalNs = 1000;

struct Entry {
    Getpwnam getpwnam = nullptr;
    Getpwuid getpwuid = nullptr;
};

std::string g_work;
Entry g_jit, g_files;
bool g_private_mounts = false;
int g_published = -1;
std::map<int, std::vector<uint8_t>> g_snapshots;
std::map<int, std::vector<std::string>> g_names;

[[noreturn]] void die(const std::string& what) {
    fprintf(stderr, "nss_bench: %s: %s\n", what.c_str(), strerror(errno));
    exit(1);
}

std::string name_of(int i) {
    char buf[16];
    snprintf(buf, sizeof buf, "u%06d", i);
    return buf;
}

std::string snapshot_path() {
    return g_work + "/nss.snapshot";
}
std::string passwd_path(int n) {
    return g_work + "/passwd-" + std::to_string(n);
}

void write_file(const std::string& path, const std::string& text) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text.data(), text.size()) != ssize_t(text.size()) || close(fd) != 0)
        die("write " + path);
}

std::vector<uint8_t> build(int n, int64_t now) {
    jit::daemon::SnapshotInput in;
    in.now = now;
    for (int i = 0; i < n; ++i) {
        jit::daemon::NssAccount a;
        a.name = name_of(i);
        a.uid = a.gid = kFirstUid + uint32_t(i);
        a.gecos = "bulk account " + a.name;
        a.home = "/home/" + a.name;
        a.shell = "/bin/sh";
        a.visibility = jit::daemon::Visibility::Granted;
        in.accounts.push_back(a);
        jit::daemon::Grant g;
        g.user = a.name;
        g.not_before = now - 60;
        g.not_after = now + 86400;
        in.grants.push_back(g);
    }
    auto built = jit::daemon::build_snapshot(in);
    if (!built) die(std::string("build_snapshot: ") + built.error().what);
    return std::move(built->bytes);
}

// As jitd publishes: the module's mapping of the old file sees the mark.
void publish(int n) {
    if (g_published == n) return;
    auto written = jit::daemon::SnapshotFile(snapshot_path()).write(g_snapshots[n]);
    if (!written) die("publish: " + written.error());
    g_published = n;
}

void write_passwd(int n) {
    std::string text = "root:x:0:0:root:/root:/bin/bash\n";
    for (int i = 0; i < n; ++i) {
        std::string name = name_of(i), id = std::to_string(kFirstUid + i);
        text += name + ":x:" + id + ":" + id + ":bulk account " + name + ":/home/" + name +
                ":/bin/sh\n";
    }
    write_file(passwd_path(n), text);
}

// A private mount namespace, so /etc files can be swapped for this process only.
bool private_mounts() {
    if (geteuid() != 0) return false;
    if (unshare(CLONE_NEWNS) != 0) return false;
    return mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

enum class Key { NameHit, NameMiss, UidHit };

void lookups(benchmark::State& state, const Entry& e, int n, Key key) {
    const auto& names = g_names[n];
    char buf[1024];
    passwd pw;
    size_t k = 0;
    const nss_status want = key == Key::NameMiss ? NSS_STATUS_NOTFOUND : NSS_STATUS_SUCCESS;
    for (auto _ : state) {
        int err = 0;
        size_t at = k++ % names.size();
        nss_status got = key == Key::UidHit
                             ? e.getpwuid(uid_t(kFirstUid + at * size_t(n) / names.size()), &pw,
                                          buf, sizeof buf, &err)
                             : e.getpwnam(key == Key::NameHit ? names[at].c_str() : "nosuchuser",
                                          &pw, buf, sizeof buf, &err);
        if (got != want) state.SkipWithError("wrong answer");
    }
}

void bm_jit(benchmark::State& state, Key key) {
    int n = int(state.range(0));
    publish(n);
    lookups(state, g_jit, n, key);
}

void bm_files(benchmark::State& state, Key key) {
    int n = int(state.range(0));
    if (!g_private_mounts) {
        state.SkipWithError("needs root for a private mount namespace");
        for (auto _ : state) {
        }
        return;
    }
    if (mount(passwd_path(n).c_str(), "/etc/passwd", nullptr, MS_BIND, nullptr) != 0)
        die("bind-mount over /etc/passwd");
    lookups(state, g_files, n, key);
    umount2("/etc/passwd", 0);
}

double now_ns(clockid_t clock = CLOCK_MONOTONIC) {
    timespec t;
    clock_gettime(clock, &t);
    return double(t.tv_sec) * 1e9 + double(t.tv_nsec);
}

// A child calling getpwnam_r(3) with CONF bind-mounted over
// /etc/nsswitch.conf (glibc reads it once per process): for each byte it
// reads from cmd it makes calls for kRoundNs of CPU and writes back the CPU
// ns per call, or -1 when an answer was wrong (libnss_jit.so.2 not found,
// for instance).
struct Looker {
    pid_t pid = -1;
    int cmd = -1, out = -1;
};

constexpr double kRoundNs = 1e8;
constexpr int kRounds = 15;

Looker start_looker(const std::string& conf, const std::vector<std::string>& names, bool hit) {
    int cmd[2], out[2];
    if (pipe(cmd) != 0 || pipe(out) != 0) die("pipe");
    pid_t pid = fork();
    if (pid == 0) {
        close(cmd[1]);
        close(out[0]);
        bool ok = unshare(CLONE_NEWNS) == 0 &&
                  mount(conf.c_str(), "/etc/nsswitch.conf", nullptr, MS_BIND, nullptr) == 0;
        char buf[1024];
        passwd pw, *result = nullptr;
        auto call = [&](size_t i) {
            const char* name = hit ? names[i % names.size()].c_str() : "nosuchuser";
            getpwnam_r(name, &pw, buf, sizeof buf, &result);
            return hit == (result != nullptr);
        };
        for (size_t i = 0; ok && i < 1000; ++i) ok = call(i);
        size_t calls = 0;
        char c;
        while (read(cmd[0], &c, 1) == 1) {
            double ns = -1, start = now_ns(CLOCK_PROCESS_CPUTIME_ID), end = start;
            size_t first = calls;
            while (ok && end - start < kRoundNs) {
                for (int i = 0; i < 1000; ++i) ok = call(calls++) && ok;
                end = now_ns(CLOCK_PROCESS_CPUTIME_ID);
            }
            if (ok) ns = (end - start) / double(calls - first);
            if (write(out[1], &ns, sizeof ns) != sizeof ns) break;
        }
        _exit(0);
    }
    close(cmd[0]);
    close(out[1]);
    return {pid, cmd[1], out[0]};
}

double looker_round(const Looker& l) {
    double ns = -1;
    if (write(l.cmd, "r", 1) != 1 || read(l.out, &ns, sizeof ns) != sizeof ns) return -1;
    return ns;
}

void stop_looker(Looker& l) {
    close(l.cmd);
    close(l.out);
    waitpid(l.pid, nullptr, 0);
}

double median(std::vector<double> v) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// glibc's getpwnam_r of a jit account (`passwd: files jit`) and its peer, an
// unknown name with `passwd: files`, in rounds that alternate between the two
// processes: on a loaded machine the load moves within seconds, so each jit
// round is compared with the peer round right before it, and the row gives
// the medians of both and of those paired differences.
struct GlibcRow {
    double jit = -1, peer = -1, extra = -1;
};

GlibcRow glibc_getpwnam(const std::vector<std::string>& names) {
    Looker peer = start_looker(g_work + "/nsswitch-files", names, false);
    Looker jit = start_looker(g_work + "/nsswitch-jit", names, true);
    std::vector<double> peers, jits, extras;
    bool ok = true;
    for (int r = 0; ok && r < kRounds; ++r) {
        double p = looker_round(peer), j = looker_round(jit);
        ok = p > 0 && j > 0;
        peers.push_back(p);
        jits.push_back(j);
        extras.push_back(j - p);
    }
    // The jit child was forked holding the peer's pipe ends: it goes first,
    // so the peer then sees its command pipe close.
    stop_looker(jit);
    stop_looker(peer);
    if (!ok) return {};
    return {median(jits), median(peers), median(extras)};
}

// The first lookup after jitd replaced the file with a new one of n accounts.
double first_lookup_after_replacement_ns(int n, int64_t now) {
    std::vector<double> ns;
    for (int round = 0; round < 5; ++round) {
        g_snapshots[n] = build(n, now + round + 1);  // a new file, new bytes
        g_published = -1;
        publish(n);
        char buf[1024];
        passwd pw;
        int err = 0;
        double start = now_ns();
        if (g_jit.getpwnam(g_names[n][round].c_str(), &pw, buf, sizeof buf, &err) !=
            NSS_STATUS_SUCCESS)
            die("first lookup after a replacement failed");
        ns.push_back(now_ns() - start);
    }
    std::sort(ns.begin(), ns.end());
    return ns[ns.size() / 2];
}

// The table reports CPU time per call: on a shared machine the wall clock
// mostly measures the other processes (both are printed above it).
class Collector : public benchmark::ConsoleReporter {
public:
    Collector() : ConsoleReporter(OO_Tabular) {}
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const auto& r : runs)
            if (!r.error_occurred) ns[r.benchmark_name()] = r.GetAdjustedCPUTime();
    }
    double get(const std::string& name, int n) const {
        auto it = ns.find(name + "/" + std::to_string(n) + "/min_time:0.500");
        return it == ns.end() ? -1 : it->second;
    }
    std::map<std::string, double> ns;
};

std::string us(double ns) {
    char buf[32];
    snprintf(buf, sizeof buf, ns < 10000 ? "%.2f µs" : "%.0f µs", ns / 1000);
    return ns < 0 ? "not measured" : buf;
}

std::string with_commas(int n) {
    std::string s = std::to_string(n);
    for (int at = int(s.size()) - 3; at > 0; at -= 3) s.insert(size_t(at), ",");
    return s;
}

void module_row(const char* path, int n, double jit, const char* peer_name, double peer) {
    char ratio[32] = "—";
    if (jit > 0 && peer > 0) snprintf(ratio, sizeof ratio, "%.1f× faster", peer / jit);
    printf("| %s | %s | %s | %s %s | %s | ≤ 1 µs | %s |\n", path, with_commas(n).c_str(),
           us(jit).c_str(), peer_name, us(peer).c_str(), ratio,
           jit < 0          ? "not measured"
           : jit <= kGoalNs ? "yes"
                            : "no");
}

void glibc_row(int n, const GlibcRow& r) {
    char ratio[32] = "—";
    if (r.jit > 0 && r.peer > 0) snprintf(ratio, sizeof ratio, "%+.2f µs", r.extra / 1000);
    printf(
        "| `getpwnam_r`, `passwd: files jit`, a jit account | %s | %s | `passwd: files`, a miss "
        "%s | %s | ≤ peer + 1 µs | %s |\n",
        with_commas(n).c_str(), us(r.jit).c_str(), us(r.peer).c_str(), ratio,
        r.jit < 0 || r.peer < 0 ? "not measured"
        : r.extra <= kGoalNs    ? "yes"
                                : "no");
}

std::string loadavg() {
    char buf[64] = "?";
    if (FILE* f = fopen("/proc/loadavg", "r")) {
        if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
        fclose(f);
    }
    std::string s(buf);
    size_t cut = 0;
    for (int spaces = 0; cut < s.size() && spaces < 3; ++cut) spaces += s[cut] == ' ';
    return s.substr(0, cut ? cut - 1 : 0);
}

void register_benchmarks() {
    const std::pair<const char*, Key> keys[] = {{"getpwnam hit", Key::NameHit},
                                                {"getpwnam miss", Key::NameMiss},
                                                {"getpwuid hit", Key::UidHit}};
    for (int n : kSizes)
        for (const auto& [label, key] : keys) {
            benchmark::RegisterBenchmark((std::string("jit ") + label).c_str(), bm_jit, key)
                ->Arg(n)
                ->MinTime(0.5);
            benchmark::RegisterBenchmark((std::string("files ") + label).c_str(), bm_files, key)
                ->Arg(n)
                ->MinTime(0.5);
        }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: nss_bench BUILD_DIR WORK_DIR [benchmark flags]\n");
        return 2;
    }
    std::string module = std::string(argv[1]) + "/libnss_jit.so.2";
    g_work = argv[2];
    argv[2] = argv[0];
    argc -= 2;
    argv += 2;
    benchmark::Initialize(&argc, argv);
    // Read by the module when it maps the file: before the first lookup.
    setenv("JIT_NSS_SNAPSHOT", snapshot_path().c_str(), 1);

    void* handle = dlopen(module.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) die("dlopen " + module + ": " + dlerror());
    g_jit = {reinterpret_cast<Getpwnam>(dlsym(handle, "_nss_jit_getpwnam_r")),
             reinterpret_cast<Getpwuid>(dlsym(handle, "_nss_jit_getpwuid_r"))};
    void* files = dlopen("libnss_files.so.2", RTLD_NOW | RTLD_LOCAL);
    void* from = files ? files : RTLD_DEFAULT;
    g_files = {reinterpret_cast<Getpwnam>(dlsym(from, "_nss_files_getpwnam_r")),
               reinterpret_cast<Getpwuid>(dlsym(from, "_nss_files_getpwuid_r"))};
    if (!g_jit.getpwnam || !g_jit.getpwuid || !g_files.getpwnam || !g_files.getpwuid)
        die("the module entry points");
    g_private_mounts = private_mounts();

    const int64_t now = int64_t(time(nullptr));
    for (int n : kSizes) {
        g_snapshots[n] = build(n, now);
        write_passwd(n);
        int picks = std::min(n, 1024);
        for (int k = 0; k < picks; ++k) g_names[n].push_back(name_of(int(int64_t(k) * n / picks)));
    }
    write_file(g_work + "/nsswitch-files", "passwd: files\ngroup: files\nshadow: files\n");
    write_file(g_work + "/nsswitch-jit",
               "passwd: files jit\ngroup: files jit\nshadow: files jit\n");
    register_benchmarks();
    printf("files: %s\n", g_private_mounts
                              ? "glibc's _nss_files_*, a passwd of N accounts bind-mounted"
                              : "NOT MEASURED (needs root for a private mount namespace)");
    const std::string load_before = loadavg();
    Collector collector;
    benchmark::RunSpecifiedBenchmarks(&collector);

    std::map<int, GlibcRow> glibc;
    if (g_private_mounts)
        for (int n : kSizes) {
            publish(n);
            glibc[n] = glibc_getpwnam(g_names[n]);
        }
    const double cold = first_lookup_after_replacement_ns(100000, now);
    publish(1000000);  // left for bench/run's strace at 1,000,000 accounts

    printf("\nCPU time per call; load average %s before, %s after\n\n", load_before.c_str(),
           loadavg().c_str());
    printf(
        "| path | accounts | jit | peer | ratio | goal | met |\n|---|---|---|---|---|---|---|\n");
    for (int n : kSizes) {
        module_row("`_nss_jit_getpwnam_r`, hit", n, collector.get("jit getpwnam hit", n), "`files`",
                   collector.get("files getpwnam hit", n));
        module_row("`_nss_jit_getpwnam_r`, miss", n, collector.get("jit getpwnam miss", n),
                   "`files`", collector.get("files getpwnam miss", n));
        module_row("`_nss_jit_getpwuid_r`, hit", n, collector.get("jit getpwuid hit", n), "`files`",
                   collector.get("files getpwuid hit", n));
    }
    for (int n : kSizes) glibc_row(n, glibc[n]);
    printf("\nflat: a hit at 1,000,000 accounts costs %.2f× a hit at 10\n",
           collector.get("jit getpwnam hit", 1000000) / collector.get("jit getpwnam hit", 10));
    // Growth with N, each row against its own figure at 10 accounts.
    printf("growth (at 10 / 10,000 / 100,000 / 1,000,000 accounts):\n");
    for (const char* name : {"jit getpwnam hit", "jit getpwnam miss", "jit getpwuid hit",
                             "files getpwnam hit", "files getpwnam miss"}) {
        printf("  %-20s", name);
        for (int n : kSizes) printf(" %9s", us(collector.get(name, n)).c_str());
        printf("\n");
    }
    printf("  %-20s", "glibc jit extra");
    for (int n : kSizes) {
        char extra[32] = "-";
        if (glibc[n].jit > 0 && glibc[n].peer > 0)
            snprintf(extra, sizeof extra, "%+.2f µs", glibc[n].extra / 1000);
        printf(" %9s", extra);
    }
    printf("\n");
    printf("first lookup after jitd replaced a 100,000-account snapshot (maps the new file): %s\n",
           us(cold).c_str());
    return 0;
}

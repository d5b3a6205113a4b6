// getpwnam through libnss_jit.so.2 against glibc's `files` source, with 10,
// 10,000 and 100,000 accounts, measured in one run:
//   jit    _nss_jit_getpwnam_r from the built module (dlopen), reading a
//          snapshot of N granted accounts (each inside a window) written by
//          jitd's own writer
//   files  glibc's own _nss_files_getpwnam_r (dlsym), reading a passwd file
//          of the same N accounts (plus root) bind-mounted over /etc/passwd in
//          a private mount namespace the benchmark creates (root only; without
//          root the files cases are reported as not measured)
// Both are the NSS module entry points that glibc's getpwnam_r calls; the
// nsswitch dispatch in front of them is the same for both and is left out.
// Names are looked up round-robin from 1024 spread evenly over the N accounts.
// Also measured: the first lookup after jitd replaces a 100,000-account
// snapshot (new file, cold page tables), median of 5.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "daemon/accounts/snapshot_writer.h"

namespace {

using Getpwnam = nss_status (*)(const char*, passwd*, char*, size_t, int*);

constexpr int kSizes[] = {10, 10000, 100000};

std::string g_work;
Getpwnam g_jit = nullptr;
Getpwnam g_files = nullptr;
bool g_files_ok = false;
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

std::string snapshot_path(int n) {
    return g_work + "/nss-" + std::to_string(n) + ".snapshot";
}
std::string passwd_path(int n) {
    return g_work + "/passwd-" + std::to_string(n);
}

void write_file(const std::string& path, const void* data, size_t len) {
    std::string tmp = path + ".tmp";
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, data, len) != ssize_t(len) || fchmod(fd, 0644) != 0 || close(fd) != 0)
        die("write " + tmp);
    if (rename(tmp.c_str(), path.c_str()) != 0) die("rename " + path);
}

void write_snapshot(int n, int64_t now) {
    jit::daemon::SnapshotInput in;
    in.now = now;
    for (int i = 0; i < n; ++i) {
        jit::daemon::NssAccount a;
        a.name = name_of(i);
        a.uid = a.gid = uint32_t(63000 + i);
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
    write_file(snapshot_path(n), built->bytes.data(), built->bytes.size());
}

void write_passwd(int n) {
    std::string text = "root:x:0:0:root:/root:/bin/bash\n";
    for (int i = 0; i < n; ++i) {
        std::string name = name_of(i), id = std::to_string(63000 + i);
        text += name + ":x:" + id + ":" + id + ":bulk account " + name + ":/home/" + name +
                ":/bin/sh\n";
    }
    write_file(passwd_path(n), text.data(), text.size());
}

// A private mount namespace, so /etc/passwd can be swapped for this process only.
bool private_mounts() {
    if (geteuid() != 0) return false;
    if (unshare(CLONE_NEWNS) != 0) return false;
    return mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

void lookups(benchmark::State& state, Getpwnam fn, int n) {
    const auto& names = g_names[n];
    char buf[1024];
    passwd pw;
    size_t k = 0;
    for (auto _ : state) {
        int err = 0;
        const std::string& name = names[k++ % names.size()];
        if (fn(name.c_str(), &pw, buf, sizeof buf, &err) != NSS_STATUS_SUCCESS ||
            name != pw.pw_name)
            state.SkipWithError("lookup did not find the account");
    }
}

void BM_Jit(benchmark::State& state) {
    int n = int(state.range(0));
    setenv("JIT_NSS_SNAPSHOT", snapshot_path(n).c_str(), 1);
    lookups(state, g_jit, n);
}

void BM_Files(benchmark::State& state) {
    int n = int(state.range(0));
    if (!g_files_ok) {
        state.SkipWithError("needs root for a private mount namespace");
        for (auto _ : state) {
        }
        return;
    }
    if (mount(passwd_path(n).c_str(), "/etc/passwd", nullptr, MS_BIND, nullptr) != 0)
        die("bind-mount over /etc/passwd");
    lookups(state, g_files, n);
    umount2("/etc/passwd", 0);
}

// The first lookup after jitd replaced a 100,000-account snapshot: no
// whole-file pass, only what any lookup does, on pages not yet touched.
double cold_lookup_ms(int64_t now) {
    std::vector<double> ms;
    setenv("JIT_NSS_SNAPSHOT", snapshot_path(100000).c_str(), 1);
    for (int round = 0; round < 5; ++round) {
        write_snapshot(100000, now + round + 1);  // a new file, a new identity
        char buf[1024];
        passwd pw;
        int err = 0;
        timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        if (g_jit("u050000", &pw, buf, sizeof buf, &err) != NSS_STATUS_SUCCESS)
            die("cold lookup failed");
        clock_gettime(CLOCK_MONOTONIC, &b);
        ms.push_back((b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

class RatioReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const auto& r : runs)
            if (!r.error_occurred) ns[r.benchmark_name()] = r.GetAdjustedRealTime();
    }
    std::map<std::string, double> ns;
};

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

    void* handle = dlopen(module.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) die("dlopen " + module + ": " + dlerror());
    g_jit = reinterpret_cast<Getpwnam>(dlsym(handle, "_nss_jit_getpwnam_r"));
    void* files = dlopen("libnss_files.so.2", RTLD_NOW | RTLD_LOCAL);
    g_files =
        reinterpret_cast<Getpwnam>(dlsym(files ? files : RTLD_DEFAULT, "_nss_files_getpwnam_r"));
    if (!g_jit || !g_files) die("the module entry points");
    g_files_ok = private_mounts();

    const int64_t now = int64_t(time(nullptr));
    for (int n : kSizes) {
        write_snapshot(n, now);
        write_passwd(n);
        int picks = std::min(n, 1024);
        for (int k = 0; k < picks; ++k) g_names[n].push_back(name_of(int(int64_t(k) * n / picks)));
        benchmark::RegisterBenchmark("jit", BM_Jit)->Arg(n)->MinTime(0.5);
        benchmark::RegisterBenchmark("files", BM_Files)->Arg(n)->MinTime(0.5);
    }
    printf("files: %s\n", g_files_ok ? "glibc _nss_files_getpwnam_r, /etc/passwd bind-mounted"
                                     : "NOT MEASURED (needs root for a private mount namespace)");
    RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);

    printf("\nRatios (same run; files time / jit time, higher means jit is faster):\n");
    for (int n : kSizes) {
        std::string suffix = "/" + std::to_string(n) + "/min_time:0.500";
        auto jit = reporter.ns.find("jit" + suffix), fil = reporter.ns.find("files" + suffix);
        if (jit == reporter.ns.end() || fil == reporter.ns.end()) {
            printf("  %6d users: not measured\n", n);
            continue;
        }
        printf("  %6d users: jit %8.2f us, files %9.2f us  = %.1fx\n", n, jit->second / 1000,
               fil->second / 1000, fil->second / jit->second);
    }
    printf("  first jit lookup after jitd replaced a 100000-account snapshot: %.1f us\n",
           cold_lookup_ms(now) * 1000);
    return 0;
}

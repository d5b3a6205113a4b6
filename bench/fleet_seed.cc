// The fleet sync bench's helper (bench/fleet_sync).  Two modes:
//   fleet_seed etcd KEY SIGNER ENDPOINT N   puts N fleet grants for role=web
//       (deploy, sshd, one hour), each carrying one approval, all signed by
//       SIGNER's key, as an approver host writes them
//   fleet_seed direct SOCKET N              makes N grants in a jitd directly,
//       one GRANT each, as jit-fleet does: the floor of a sync (jitd's own cost)
// Prints the seconds it took.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <string>

#include "fleet/etcd.h"
#include "fleet/jitd_link.h"
#include "fleet/record.h"
#include "fleet/records.h"

using namespace jit::fleet;

namespace {

double now_s() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

std::string id_of(const char* prefix, int i) {
    char id[32];
    snprintf(id, sizeof id, "%s%010d", prefix, i);
    return id;
}

GrantRecord grant_of(const std::string& signer, int i, int64_t now) {
    GrantRecord g;
    g.signer = signer;
    g.id = id_of("fg-", i);
    g.request = id_of("fr-", i);
    g.account = "deploy";
    g.reason = "bench";
    g.services = {"sshd"};
    g.hosts = {{"role", "web"}};
    g.not_before = now;
    g.not_after = now + 3600;
    return g;
}

int seed_etcd(const char* key_path, const std::string& signer, const std::string& endpoint, int n) {
    auto key = load_private_key(key_path);
    if (!key.ok()) return fprintf(stderr, "fleet_seed: %s\n", key.error().message.c_str()), 1;
    Etcd etcd({{endpoint}, "", "", "", 10000});
    int64_t now = time(nullptr);
    for (int i = 0; i < n; ++i) {
        GrantRecord g = grant_of(signer, i, now);
        ApprovalRecord ap{signer, g.request, "bob", now};
        auto approval = seal(key->get(), "approval", signer, approval_body(ap));
        auto env = approval.ok() ? seal(key->get(), "grant", signer, grant_body(g, {*approval}))
                                 : approval;
        if (!env.ok()) return fprintf(stderr, "fleet_seed: %s\n", env.error().message.c_str()), 1;
        auto put = etcd.put(kGrantsPrefix + g.id, *env);
        if (!put.ok()) return fprintf(stderr, "fleet_seed: %s\n", put.error().message.c_str()), 1;
    }
    return 0;
}

int seed_direct(const std::string& socket, int n) {
    JitdLink jitd(socket, 10000);
    int64_t now = time(nullptr);
    for (int i = 0; i < n; ++i) {
        auto made = jitd.grant(grant_of("admin-1", i, now));
        if (!made.ok()) return fprintf(stderr, "fleet_seed: %s\n", made.error().message.c_str()), 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    double start = now_s();
    int rc = 2;
    if (mode == "etcd" && argc == 6)
        rc = seed_etcd(argv[2], argv[3], argv[4], atoi(argv[5]));
    else if (mode == "direct" && argc == 4)
        rc = seed_direct(argv[2], atoi(argv[3]));
    else
        fprintf(stderr, "usage: fleet_seed etcd KEY SIGNER ENDPOINT N | direct SOCKET N\n");
    if (rc == 0) printf("%.3f\n", now_s() - start);
    return rc;
}

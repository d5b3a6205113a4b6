// jit-fleet's audit duties in the daemon loop: publish this host's audit
// checkpoints (with their consistency proofs) under /jit/v1/audit/<host>/,
// and witness the hosts whose trust entry has audit_key: check each of their
// checkpoints (witness.h), journal a refusal, co-sign the good ones under
// /jit/v1/cosignatures/<this host>/<host>.
#pragma once

#include <stdint.h>

#include <map>
#include <string>

#include "fleet/audit_feed.h"
#include "fleet/etcd.h"
#include "fleet/jitd_link.h"
#include "fleet/witness.h"

namespace jit::fleet {

class AuditDuty {
public:
    AuditDuty(const FleetConfig& config, Etcd& etcd, const JitdLink& jitd, EVP_PKEY* key,
              std::string state_dir, WitnessState witnessed);
    // Reads what jitd's log gained and publishes new checkpoints (bounded
    // work per call); a log jitd does not keep is asked about again later.
    void publish(int64_t now);
    // A record under /jit/v1/audit/ (live: from the watch; else a resync).
    void on_put(const std::string& key, const std::string& value, bool live, int64_t now);
    // Cosignatures etcd did not take yet are put again.
    void retry(int64_t now);

private:
    bool start_feed();
    // The frontier saved with the last publication (audit-feed.json), when it
    // is of the size etcd holds and its root is that checkpoint's.
    bool resume_feed(uint64_t published, const std::string& value);
    void save_cursor();
    void cosign(const std::string& host, const Verdict& v, const std::string& note, int64_t now);

    const FleetConfig& config_;
    Etcd& etcd_;
    const JitdLink& jitd_;
    EVP_PKEY* key_;
    std::string state_dir_;
    Witness witness_;
    AuditFeed feed_;
    bool feed_ready_ = false;
    bool cursor_tried_ = false;  // the saved cursor is used at the first start only
    int64_t next_try_ = 0;
    std::string feed_problem_;
    std::map<std::string, std::string> unsent_;  // cosignature key -> envelope
};

}  // namespace jit::fleet

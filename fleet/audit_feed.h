// Publishing this host's audit checkpoints to etcd, for witnesses.  jit-fleet
// reads jitd's audit log through AUDIT_READ (the export format, the same
// lines jitctl audit export writes), keeps the tree's frontier, and for each
// signed checkpoint beyond the one it published last builds the RFC 9162
// consistency proof from that one: what a witness needs to check that the
// log was only appended to.  Only leaf hashes since the last publication
// are kept (a consistency proof's nodes inside the old tree are nodes of its
// frontier).  Pure logic: the daemon feeds it lines and puts the results.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/audit/audit.h"
#include "fleet/error.h"
#include "fleet/trust.h"
#include "jit/result.h"

namespace jit::fleet {

namespace audit = daemon::audit;

// /jit/v1/audit/<host>/<size, 20 digits>: keys sort in size order.
std::string audit_key(const std::string& host, uint64_t size);

// What a host publishes for each checkpoint (kind audit-checkpoint).
struct Publication {
    std::string host;  // the signer
    uint64_t size = 0, from = 0;
    std::string note;                // the signed checkpoint (C2SP signed note)
    std::vector<audit::Hash> proof;  // consistency proof from `from` to `size`
};
std::string publication_body(const Publication& p);
// Verified against the trust file: the signer is the host the key names.
Result<Publication, Failure> read_publication(const FleetConfig& c, const std::string& key,
                                              const std::string& value);

class AuditFeed {
public:
    // Starts over: the next read is a new run from the first record jitd
    // keeps (sealed segment files included, so record 0 unless
    // audit_max_disk removed older ones).  published: the size of host's
    // last checkpoint in etcd (0: none).  resume() avoids that re-read.
    void restart(const std::string& host, uint64_t published);
    // Starts where the last publication left off instead of re-reading the
    // whole kept history: `at` is the tree's frontier at the published size
    // (cursor() of the feed that published it, kept in jit-fleet's state
    // directory).  False, and nothing changed, when `at` is not of that
    // size or its root is not the published checkpoint's (`note`).
    bool resume(const std::string& host, uint64_t published, const audit::Frontier& at,
                std::string_view note);
    // The frontier at published_size(), for resume() after a restart
    // (encoded, Frontier::decode reads it); empty before a publication.
    std::string cursor() const;
    // AUDIT_READ's AuditFrom for the next page (nullopt: a new run).  It
    // re-reads the last record read, so a checkpoint signed after it (by
    // jitd's timer, without new records) is still seen.
    std::optional<uint64_t> next_from() const;
    // One export line.  A checkpoint beyond the published size yields the
    // publication to put; an error means the log is not what was read
    // before (restart).
    audit::Outcome<std::optional<Publication>> line(std::string_view text);
    // etcd holds p: the next proof starts at p.size.
    void published(const Publication& p);
    uint64_t published_size() const { return published_; }

private:
    std::string host_;
    bool started_ = false, have_base_ = false;
    uint64_t published_ = 0;
    audit::Frontier frontier_, base_;
    std::vector<audit::Hash> leaves_;  // from base_.size() on
    void reached(uint64_t size);
};

}  // namespace jit::fleet

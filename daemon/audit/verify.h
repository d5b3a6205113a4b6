// The streaming verifier: reads an export (or sealed segment files, one after
// the other) a line at a time with O(log n) memory, and stops at the first
// record that is not what jitd wrote: a bad MAC, a broken prev digest, a gap
// or a step back in seq, a checkpoint the records do not match, or a log
// that ends before an anchor (a checkpoint kept off the host) says it did.
// A missing-records line (a sealed segment file the host lost) is that
// problem, named with its records, but the records after it are checked
// too, from the tree state that follows it.
//
// Without an anchor, records removed from the end, with the checkpoints
// after them, leave a shorter log that is intact in itself: that truncation
// is undetectable, and report.after_checkpoint says how many records no
// checkpoint covers yet.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/audit/audit.h"

namespace jit::daemon::audit {

struct VerifyOptions {
    std::optional<Secret> k0;                   // MACs are checked only with it
    std::optional<VerifierKey> checkpoint_key;  // checkpoint lines need it
    uint64_t from_seq = 0;                      // records before: tree only, no checks
    std::vector<Checkpoint> anchors;            // trusted (already opened) checkpoints
};

struct Problem {
    uint64_t line = 0;            // 1-based, counted over everything fed
    std::optional<uint64_t> seq;  // the record it is about, if any
    std::string what;
};

struct VerifyReport {
    std::optional<Problem> problem;  // the first one; verification stops there
    uint64_t lines = 0, records = 0, macs_checked = 0, checkpoints = 0;
    std::optional<uint64_t> first_seq;
    uint64_t next_seq = 0;    // one past the last record read
    bool tree_known = false;  // the stream gave the tree from its start
    Hash root{};              // of [0, next_seq) when tree_known
    std::optional<Checkpoint> last_checkpoint;
    uint64_t after_checkpoint = 0;  // records after the last checkpoint
    uint64_t anchors_checked = 0;
    std::vector<std::string> notes;     // what could not be checked, and why
    std::vector<MissingRange> missing;  // records the export says the host lacks
    bool intact() const { return !problem; }
};

class StreamVerifier {
public:
    explicit StreamVerifier(VerifyOptions options);
    // One line without its newline.  Returns false once a problem is found
    // (later lines are ignored).
    bool feed(std::string_view line);
    // Ends the stream: checks the anchors against where the log ended.
    VerifyReport finish();
    const VerifyReport& report() const { return report_; }

private:
    bool fail(std::string what, std::optional<uint64_t> seq = std::nullopt);
    bool on_record(Record& r);
    bool on_checkpoint(const std::string& note);
    bool on_frontier(const Frontier& f);
    bool on_missing(const MissingRange& m);
    bool check_anchors();

    VerifyOptions options_;
    VerifyReport report_;
    std::optional<EvolvingKey> key_;
    Frontier tree_;
    std::optional<Hash> last_leaf_;  // leaf hash of record next_seq-1, when read
    bool started_ = false;
    // The first missing range: the problem, unless one comes before it.
    // The records after it are still checked, from the tree state there.
    std::optional<Problem> gap_;
};

}  // namespace jit::daemon::audit

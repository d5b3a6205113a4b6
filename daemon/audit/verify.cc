#include "daemon/audit/verify.h"

#include "daemon/audit/crypto.h"

namespace jit::daemon::audit {

namespace {

std::string num(uint64_t n) {
    return std::to_string(n);
}

}  // namespace

StreamVerifier::StreamVerifier(VerifyOptions options) : options_(std::move(options)) {
    if (options_.k0) key_.emplace(0, *options_.k0);
    if (!options_.checkpoint_key)
        report_.notes.push_back("no checkpoint key: checkpoint signatures are not checked");
}

bool StreamVerifier::fail(std::string what, std::optional<uint64_t> seq) {
    if (!report_.problem) report_.problem = Problem{report_.lines, seq, std::move(what)};
    return false;
}

bool StreamVerifier::feed(std::string_view line) {
    ++report_.lines;
    if (report_.problem) return false;
    auto parsed = parse_export_line(line);
    if (!parsed) {
        std::optional<uint64_t> after;
        if (report_.records) after = report_.next_seq;  // the record that should come next
        return fail("unreadable line: " + parsed.error(), after);
    }
    switch (parsed->kind) {
        case ExportLine::Kind::Record:
            return on_record(parsed->record);
        case ExportLine::Kind::Checkpoint:
            return on_checkpoint(parsed->note);
        case ExportLine::Kind::Frontier:
            return on_frontier(parsed->frontier);
        case ExportLine::Kind::Missing:
            return on_missing(parsed->missing);
    }
    return false;
}

bool StreamVerifier::on_missing(const MissingRange& m) {
    if (started_ && m.first != report_.next_seq)
        return fail("records " + num(m.first) + ".." + num(m.end - 1) +
                    " said missing after record " + num(report_.next_seq - 1));
    report_.missing.push_back(m);
    if (!gap_)
        gap_ = Problem{report_.lines, m.first,
                       "records " + num(m.first) + ".." + num(m.end - 1) +
                           " are missing: the sealed segment file " + m.segment +
                           " that jit.db lists is not on the host"};
    started_ = true;
    report_.tree_known = false;  // until the tree state after the gap
    report_.next_seq = m.end;
    last_leaf_.reset();
    return true;
}

bool StreamVerifier::on_frontier(const Frontier& f) {
    if (report_.tree_known && f.size() > report_.next_seq)
        return fail("records " + num(report_.next_seq) + ".." + num(f.size() - 1) +
                        " are missing: the input goes from record " +
                        (report_.next_seq ? num(report_.next_seq - 1) : std::string("(none)")) +
                        " to the tree state at size " + num(f.size()) +
                        " (a segment file left out, or removed)",
                    report_.next_seq);
    if (report_.tree_known) {
        if (!(f == tree_))
            return fail("the tree state at size " + num(f.size()) +
                        " does not match the records before it");
        return true;
    }
    if (started_ && f.size() != report_.next_seq)
        return fail("a tree state for size " + num(f.size()) + " after record " +
                    num(report_.next_seq - 1));
    // A start after record 0 (the oldest segments removed, or an export
    // from a later record) is said, never passed over: the MACs and the tree
    // are checked from here, and nothing is known of the records before.
    if (!started_ && f.size() > 0)
        report_.notes.push_back("the input starts at record " + num(f.size()) +
                                ", from the tree state there: records 0.." + num(f.size() - 1) +
                                " are not in it (removed from the host, or not given)");
    tree_ = f;
    report_.tree_known = true;
    report_.next_seq = f.size();
    started_ = true;
    return check_anchors();
}

bool StreamVerifier::on_record(Record& r) {
    if (!started_) {
        started_ = true;
        report_.tree_known = r.seq == 0;
        if (r.seq != 0)
            report_.notes.push_back("the input starts at record " + num(r.seq) +
                                    " without the tree state before it: checkpoint roots and "
                                    "anchors cannot be checked");
    } else if (r.seq != report_.next_seq) {
        if (r.seq > report_.next_seq)
            return fail("seq gap: expected record " + num(report_.next_seq) + ", found " +
                            num(r.seq) + " (records " + num(report_.next_seq) + ".." +
                            num(r.seq - 1) + " are missing)",
                        r.seq);
        return fail("seq goes back: expected record " + num(report_.next_seq) + ", found " +
                        num(r.seq) + " (records reordered or repeated)",
                    r.seq);
    }
    std::string body = record_body(r);
    if (r.seq >= options_.from_seq) {
        if (r.seq == 0 && r.prev != Hash{})
            return fail("record 0 has a prev digest: records before it were removed", r.seq);
        if (key_) {
            key_->advance_to(r.seq);
            if (key_->mac(body) != r.mac)
                return fail("bad MAC: the record was changed, or MAC'd with another key", r.seq);
            ++report_.macs_checked;
        }
        if (last_leaf_ && r.seq > options_.from_seq && r.prev != *last_leaf_)
            return fail("prev digest does not match record " + num(r.seq - 1) +
                            " (that record was changed, or one was removed or inserted)",
                        r.seq);
    }
    Hash leaf = leaf_hash_of(body, r.mac);
    if (report_.tree_known) tree_.append(leaf);
    last_leaf_ = leaf;
    if (!report_.first_seq) report_.first_seq = r.seq;
    report_.next_seq = r.seq + 1;
    ++report_.records;
    ++report_.after_checkpoint;
    return check_anchors();
}

bool StreamVerifier::on_checkpoint(const std::string& note) {
    if (!options_.checkpoint_key) return true;
    auto c = open_checkpoint(note, *options_.checkpoint_key);
    if (!c) return fail("bad checkpoint: " + c.error());
    if (c->size != report_.next_seq)
        return fail("a checkpoint for size " + num(c->size) + " follows record " +
                    (report_.next_seq ? num(report_.next_seq - 1) : std::string("(none)")) +
                    ": records were removed or added before it");
    if (report_.tree_known && c->root != tree_.root())
        return fail("the records do not match the signed checkpoint at size " + num(c->size) +
                    ": the log was rewritten");
    report_.last_checkpoint = *c;
    ++report_.checkpoints;
    report_.after_checkpoint = 0;
    return true;
}

bool StreamVerifier::check_anchors() {
    if (!report_.tree_known) return true;
    for (const auto& a : options_.anchors) {
        if (a.size != tree_.size()) continue;
        if (a.root != tree_.root())
            return fail("the log differs from the anchor at size " + num(a.size) +
                        ": history was rewritten or forked");
        ++report_.anchors_checked;
    }
    return true;
}

VerifyReport StreamVerifier::finish() {
    if (report_.tree_known) report_.root = tree_.root();
    if (gap_ && (!report_.problem || report_.problem->line > gap_->line)) {
        if (!report_.problem)
            report_.notes.push_back("the records after the missing ones verify (from record " +
                                    num(report_.missing.back().end) + ")");
        report_.problem = gap_;
    }
    if (report_.problem) return report_;
    for (const auto& a : options_.anchors) {
        if (a.size > report_.next_seq) {
            // Where the input ends, not a line of it.
            report_.problem = Problem{0, std::nullopt,
                                      "truncated: the log ends at size " + num(report_.next_seq) +
                                          ", and an anchor has size " + num(a.size) +
                                          ": records were removed from the end"};
            return report_;
        }
        uint64_t start = report_.tree_known ? report_.next_seq - report_.records : 0;
        if (!report_.tree_known || a.size < start)
            report_.notes.push_back("the anchor at size " + num(a.size) +
                                    " is not covered by this input: not checked");
    }
    return report_;
}

}  // namespace jit::daemon::audit

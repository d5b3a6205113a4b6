// A 1,000-record log as an attacker would edit it: every byte changed in
// turn, a record deleted, two swapped, a record re-MAC'd with a later
// epoch's key (the one a root attacker finds on the host), and the tail cut
// off, which only an anchor kept elsewhere can reveal.
#include <gtest/gtest.h>

#include "tests/unit/audit/audit_test_util.h"

namespace jit::daemon::audit {
namespace {

using test::BuiltLog;

const BuiltLog& thousand() {
    static const BuiltLog log = test::build_log(1000);
    return log;
}

std::optional<Checkpoint> anchor_of(const BuiltLog& log, const std::string& note) {
    auto v = VerifierKey::parse(log.vkey);
    auto c = open_checkpoint(note, *v);
    if (!c) return std::nullopt;
    return *c;
}

TEST(AuditTamper, TheUntouchedLogVerifies) {
    const auto& log = thousand();
    auto opts = test::options_for(log);
    opts.anchors.push_back(*anchor_of(log, log.notes.back()));
    auto report = test::verify_lines(log.lines, opts);
    ASSERT_TRUE(report.intact()) << report.problem->what;
    EXPECT_EQ(report.records, 1000u);
    EXPECT_EQ(report.macs_checked, 1000u);
    EXPECT_EQ(report.checkpoints, 10u);
    EXPECT_EQ(report.anchors_checked, 1u);
    EXPECT_EQ(report.after_checkpoint, 0u);
    EXPECT_TRUE(report.tree_known);
    EXPECT_EQ(report.root, anchor_of(log, log.notes.back())->root);
}

// Feeds `text` (lines separated by '\n') to `v`, stopping at the first
// problem as a real run does.
bool feed_text(StreamVerifier& v, std::string_view text) {
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (!v.feed(line)) return false;
    }
    return true;
}

// Every byte of the export, XORed with 1 (the smallest change: a digit one
// up, a letter's neighbour, a quote into a '#', a newline into a tab): the
// verifier must name the changed line.  A fresh run would read the lines
// before it exactly as the original, so the test keeps the verifier as it
// stands at each line start and feeds it the changed line, the next one, and
// then (only if nothing was found yet) the rest of the log.
TEST(AuditTamper, EveryChangedByteIsDetectedAtItsLine) {
    const auto& log = thousand();
    std::string text;
    std::vector<size_t> start;
    std::vector<StreamVerifier> before;
    StreamVerifier v(test::options_for(log));
    for (const auto& l : log.lines) {
        start.push_back(text.size());
        before.push_back(v);
        ASSERT_TRUE(v.feed(l));
        text += l + "\n";
    }
    start.push_back(text.size());
    size_t failures = 0, flips = 0;
    for (size_t line = 0; line < log.lines.size(); ++line) {
        size_t head_end = start[std::min(line + 2, log.lines.size())];
        for (size_t pos = start[line]; pos < start[line + 1]; ++pos, ++flips) {
            std::string head = text.substr(start[line], head_end - start[line]);
            head[pos - start[line]] ^= 1;
            StreamVerifier run = before[line];
            if (feed_text(run, head)) feed_text(run, std::string_view(text).substr(head_end));
            auto report = run.finish();
            if (report.intact())
                ADD_FAILURE() << "undetected: byte " << pos << " of line " << line + 1;
            else if (report.problem->line != line + 1)
                ADD_FAILURE() << "byte " << pos << " of line " << line + 1 << " reported at line "
                              << report.problem->line << ": " << report.problem->what;
            else
                continue;
            if (++failures > 10) return;
        }
    }
    EXPECT_EQ(flips, text.size());
    EXPECT_GT(flips, 100'000u);  // the loop really covered a large log
}

TEST(AuditTamper, DeletedRecordIsNamed) {
    const auto& log = thousand();
    auto lines = log.lines;
    auto it = std::find(lines.begin(), lines.end(), export_record(log.records[500]));
    ASSERT_NE(it, lines.end());
    lines.erase(it);
    auto report = test::verify_lines(lines, test::options_for(log));
    ASSERT_FALSE(report.intact());
    EXPECT_EQ(report.problem->seq, std::optional<uint64_t>(501));
    EXPECT_NE(report.problem->what.find("records 500..500 are missing"), std::string::npos)
        << report.problem->what;
}

TEST(AuditTamper, DeletedAndRenumberedRecordsFailTheirMacs) {
    const auto& log = thousand();
    std::vector<std::string> lines;
    for (const auto& r : log.records) {
        if (r.seq == 500) continue;
        Record moved = r;
        if (r.seq > 500) --moved.seq;
        lines.push_back(export_record(moved));
    }
    auto report = test::verify_lines(lines, test::options_for(log));
    ASSERT_FALSE(report.intact());
    EXPECT_EQ(report.problem->seq, std::optional<uint64_t>(500));
    EXPECT_NE(report.problem->what.find("bad MAC"), std::string::npos) << report.problem->what;
}

TEST(AuditTamper, SwappedRecordsAreNamed) {
    const auto& log = thousand();
    auto lines = log.lines;
    auto a = std::find(lines.begin(), lines.end(), export_record(log.records[300]));
    auto b = std::find(lines.begin(), lines.end(), export_record(log.records[301]));
    std::iter_swap(a, b);
    auto report = test::verify_lines(lines, test::options_for(log));
    ASSERT_FALSE(report.intact());
    EXPECT_EQ(report.problem->seq, std::optional<uint64_t>(301));

    // Swapped contents under the original seq numbers: their MACs fail.
    std::vector<std::string> relabelled;
    for (const auto& r : log.records) {
        Record x = r;
        if (r.seq == 300 || r.seq == 301) {
            x = log.records[r.seq == 300 ? 301 : 300];
            x.seq = r.seq;
        }
        relabelled.push_back(export_record(x));
    }
    report = test::verify_lines(relabelled, test::options_for(log));
    ASSERT_FALSE(report.intact());
    EXPECT_EQ(report.problem->seq, std::optional<uint64_t>(300));
}

// The attacker holds k_1000, the key jitd keeps, and rewrites record 400 (and
// then the last record) with it, fixing every prev digest after it and
// re-signing nothing (the checkpoints are stripped): the MAC still fails,
// because record 400 needs k_400, which no longer exists on the host.
TEST(AuditTamper, RemacWithLaterEpochKeyFails) {
    const auto& log = thousand();
    for (uint64_t target : {400u, 999u}) {
        std::vector<Record> records = log.records;
        records[target].fields[0].second = "attacker";
        EvolvingKey later(1000, *log.last_key);
        records[target].mac = later.mac(record_body(records[target]));
        for (uint64_t i = target + 1; i < records.size(); ++i) {
            records[i].prev = leaf_hash(records[i - 1]);
            records[i].mac = later.mac(record_body(records[i]));
        }
        std::vector<std::string> lines;
        for (const auto& r : records) lines.push_back(export_record(r));
        auto report = test::verify_lines(lines, test::options_for(log));
        ASSERT_FALSE(report.intact()) << target;
        EXPECT_EQ(report.problem->seq, std::optional<uint64_t>(target));
        EXPECT_NE(report.problem->what.find("bad MAC"), std::string::npos);
    }
}

// Cut the last 37 records (and the checkpoint after them): against the last
// checkpoint kept off the host, the truncation is named; without an anchor
// the shorter log is intact in itself, which is why checkpoints go to the
// journal and notify_command.
TEST(AuditTamper, TruncatedTailIsDetectedOnlyAgainstAnAnchor) {
    const auto& log = thousand();
    std::vector<std::string> lines;
    for (const auto& l : log.lines) {
        if (l == export_record(log.records[963])) break;
        lines.push_back(l);
    }
    auto opts = test::options_for(log);
    auto plain = test::verify_lines(lines, opts);
    EXPECT_TRUE(plain.intact());  // undetectable without an anchor
    EXPECT_EQ(plain.next_seq, 963u);
    EXPECT_EQ(plain.after_checkpoint, 63u);  // the last checkpoint covered 900

    opts.anchors.push_back(*anchor_of(log, log.notes.back()));
    auto anchored = test::verify_lines(lines, opts);
    ASSERT_FALSE(anchored.intact());
    EXPECT_NE(anchored.problem->what.find("truncated"), std::string::npos)
        << anchored.problem->what;

    // An anchor from a forked history (other records at the same size).
    auto other = test::build_log(1000);
    auto forged = *anchor_of(log, log.notes.back());
    forged.root = anchor_of(other, other.notes.back())->root;
    auto fork_opts = test::options_for(log);
    fork_opts.anchors.push_back(forged);
    auto forked = test::verify_lines(log.lines, fork_opts);
    ASSERT_FALSE(forked.intact());
    EXPECT_NE(forked.problem->what.find("anchor"), std::string::npos);
}

TEST(AuditTamper, ACheckpointFromAnotherLogOrPlaceIsRefused) {
    const auto& log = thousand();
    auto lines = log.lines;
    // The checkpoint at 100 moved to after record 150.
    auto cp = std::find(lines.begin(), lines.end(), export_checkpoint(log.notes[0]));
    std::string moved = *cp;
    lines.erase(cp);
    auto at = std::find(lines.begin(), lines.end(), export_record(log.records[150]));
    lines.insert(at + 1, moved);
    auto report = test::verify_lines(lines, test::options_for(log));
    ASSERT_FALSE(report.intact());
    EXPECT_NE(report.problem->what.find("checkpoint for size 100"), std::string::npos);
}

TEST(AuditTamper, FromSeqChecksOnlyTheTail) {
    const auto& log = thousand();
    std::vector<std::string> lines = log.lines;
    Record bad = log.records[10];
    bad.fields[0].second = "changed";
    std::replace(lines.begin(), lines.end(), export_record(log.records[10]), export_record(bad));
    auto opts = test::options_for(log);
    EXPECT_FALSE(test::verify_lines(lines, opts).intact());
    // From 500 on, record 10 is only hashed into the tree, so the checkpoint
    // at 100 no longer matches: the tree still protects the head.
    opts.from_seq = 500;
    auto report = test::verify_lines(lines, opts);
    ASSERT_FALSE(report.intact());
    EXPECT_NE(report.problem->what.find("checkpoint at size 100"), std::string::npos);
    // Without checkpoints in the way, from 500 the rest verifies.
    std::vector<std::string> records_only;
    for (const auto& l : lines)
        if (l.starts_with("{\"event\"")) records_only.push_back(l);
    report = test::verify_lines(records_only, opts);
    EXPECT_TRUE(report.intact()) << report.problem->what;
    EXPECT_EQ(report.macs_checked, 500u);
}

}  // namespace
}  // namespace jit::daemon::audit

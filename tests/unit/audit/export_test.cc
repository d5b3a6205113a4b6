// The export format: what export_record writes parses back to the same
// record (UTF-8 as strings, anything else as base64, control characters
// escaped), and only that exact form parses.
#include <gtest/gtest.h>

#include "tests/unit/audit/audit_test_util.h"

namespace jit::daemon::audit {
namespace {

Record sample() {
    Record r;
    r.seq = 42;
    r.time = -5;  // times before 1970 are still whole seconds
    r.event = "decision";
    r.fields = {{"JIT_USER", "deploy"},
                {"MESSAGE", "line\nbreak \"quoted\" \\ tab\t nul\0end"},
                {"JIT_TEXT", "caf\xc3\xa9 \xe2\x80\x94 ok"},
                {"JIT_RAW", "\xff\xfe not utf-8"},
                {"JIT_EMPTY", ""}};
    r.fields[1].second.assign("line\nbreak \"quoted\" \\ tab\t nul\0end", 33);
    r.prev = hash_leaf("p");
    r.mac = hash_leaf("m");
    return r;
}

TEST(AuditExport, RecordRoundTripsWithAnyBytes) {
    Record r = sample();
    std::string line = export_record(r);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_NE(line.find("{\"base64\":\""), std::string::npos);  // the non-UTF-8 value
    EXPECT_NE(line.find("caf\xc3\xa9"), std::string::npos);     // UTF-8 stays text
    auto back = parse_export_line(line);
    ASSERT_TRUE(back) << back.error();
    ASSERT_EQ(back->kind, ExportLine::Kind::Record);
    EXPECT_EQ(back->record.seq, r.seq);
    EXPECT_EQ(back->record.time, r.time);
    EXPECT_EQ(back->record.event, r.event);
    EXPECT_EQ(back->record.fields, r.fields);
    EXPECT_EQ(record_body(back->record), record_body(r));
    EXPECT_EQ(back->record.mac, r.mac);
}

TEST(AuditExport, CheckpointAndFrontierLinesRoundTrip) {
    auto key = SigningKey::generate("jitd/x");
    ASSERT_TRUE(key);
    std::string note = sign_checkpoint({"jitd/x", 3, hash_leaf("r")}, *key);
    auto c = parse_export_line(export_checkpoint(note));
    ASSERT_TRUE(c) << c.error();
    EXPECT_EQ(c->kind, ExportLine::Kind::Checkpoint);
    EXPECT_EQ(c->note, note);
    Frontier f;
    for (int i = 0; i < 11; ++i) f.append(hash_leaf(std::to_string(i)));
    auto fl = parse_export_line(export_frontier(f));
    ASSERT_TRUE(fl) << fl.error();
    EXPECT_EQ(fl->kind, ExportLine::Kind::Frontier);
    EXPECT_EQ(fl->frontier, f);
}

TEST(AuditExport, AMissingRecordsLineRoundTripsInItsOneForm) {
    MissingRange m{100, 200, "audit-00000000000000000100-00000000000000000200.jsonl"};
    const std::string line = export_missing(m);
    EXPECT_EQ(line,
              "{\"missing\":{\"end\":200,\"first\":100,\"segment\":"
              "\"audit-00000000000000000100-00000000000000000200.jsonl\"}}");
    auto parsed = parse_export_line(line);
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    ASSERT_EQ(parsed->kind, ExportLine::Kind::Missing);
    EXPECT_EQ(parsed->missing.first, 100u);
    EXPECT_EQ(parsed->missing.end, 200u);
    EXPECT_EQ(parsed->missing.segment, m.segment);
    for (const char* bad :
         {"{\"missing\":{\"first\":100,\"end\":200,\"segment\":\"x\"}}",  // key order
          "{\"missing\":{\"end\":100,\"first\":100,\"segment\":\"x\"}}",  // empty
          "{\"missing\":{\"end\":200,\"first\":100}}",                    // no file
          "{\"missing\":{\"end\":200,\"first\":-1,\"segment\":\"x\"}}",
          "{\"missing\": {\"end\":200,\"first\":100,\"segment\":\"x\"}}"})
        EXPECT_FALSE(parse_export_line(bad).ok()) << bad;
}

TEST(AuditExport, OnlyTheCanonicalFormParses) {
    std::string line = export_record(sample());
    auto replace = [&](const std::string& from, const std::string& to) {
        std::string s = line;
        size_t at = s.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        return at == std::string::npos ? s : s.replace(at, from.size(), to);
    };
    EXPECT_FALSE(parse_export_line(replace(",\"mac\"", ", \"mac\"")));       // spacing
    EXPECT_FALSE(parse_export_line(replace("\"seq\":42", "\"seq\":42.0")));  // a float
    EXPECT_FALSE(parse_export_line(replace("\"seq\":42", "\"seq\":4.2e1")));
    EXPECT_FALSE(parse_export_line(replace("\"seq\":42", "\"seq\":-42")));
    EXPECT_FALSE(parse_export_line(replace("deploy", "d\\u0065ploy")));  // same text, escaped
    EXPECT_FALSE(parse_export_line(replace("\"time\":-5", "\"time\":-5,\"x\":1")));
    EXPECT_FALSE(parse_export_line(replace("\"seq\":42,", "\"seq\":42,\"seq\":42,")));
    std::string upper = line;
    size_t mac = upper.find("\"mac\":\"") + 7;
    for (size_t i = mac; i < mac + 64; ++i) upper[i] = char(toupper(upper[i]));
    ASSERT_NE(upper, line);  // the MAC has letters
    EXPECT_FALSE(parse_export_line(upper));
    EXPECT_FALSE(parse_export_line(line + " "));
    EXPECT_FALSE(parse_export_line(""));
    EXPECT_FALSE(parse_export_line("[]"));
    EXPECT_FALSE(parse_export_line("{\"checkpoint\":5}"));
    EXPECT_FALSE(parse_export_line("{\"frontier\":{\"hashes\":[],\"size\":1}}"));
    EXPECT_TRUE(parse_export_line(line));
}

}  // namespace
}  // namespace jit::daemon::audit

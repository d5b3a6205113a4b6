// Signed notes against the Go sumdb/note reference (the PeterNeumann key of
// golang.org/x/mod/sumdb/note, which the C2SP signed-note spec follows):
// Ed25519 is deterministic, so our signature must be the published one byte
// for byte.  Then checkpoints: round trip, and every way to tamper with one.
#include <gtest/gtest.h>

#include "tests/unit/audit/audit_test_util.h"

namespace jit::daemon::audit {
namespace {

const char* const kPeterVkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
// The seed inside PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz
const char* const kPeterSeedB64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const char* const kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
const char* const kSignedNote =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\xe2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
// The C2SP signed-note example.
const char* const kFooVkey =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const char* const kFooNote =
    "This is an example message.\n\n"
    "\xe2\x80\x94 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
    "\n";

SigningKey peter() {
    auto raw = base64_decode(kPeterSeedB64);
    EXPECT_TRUE(raw && raw->size() == 33 && (*raw)[0] == 1);
    Hash seed;
    std::copy(raw->begin() + 1, raw->end(), seed.begin());
    auto key = SigningKey::from_seed("PeterNeumann", Secret(seed));
    EXPECT_TRUE(key) << key.error();
    return *key;
}

TEST(AuditNote, ReproducesTheGoReferenceSignature) {
    SigningKey key = peter();
    EXPECT_EQ(key.key_id(), 0xc74f20a3u);
    EXPECT_EQ(key.verifier_key(), kPeterVkey);
    EXPECT_EQ(sign_note(kText, key), kSignedNote);
}

TEST(AuditNote, OpensReferenceNotes) {
    auto peter_key = VerifierKey::parse(kPeterVkey);
    ASSERT_TRUE(peter_key) << peter_key.error();
    auto text = open_note(kSignedNote, *peter_key);
    ASSERT_TRUE(text) << text.error();
    EXPECT_EQ(text->text, kText);

    auto foo = VerifierKey::parse(kFooVkey);
    ASSERT_TRUE(foo) << foo.error();
    auto foo_text = open_note(kFooNote, *foo);
    ASSERT_TRUE(foo_text) << foo_text.error();
    EXPECT_EQ(foo_text->text, "This is an example message.\n");
    EXPECT_FALSE(open_note(kFooNote, *peter_key));  // not signed by Peter
}

TEST(AuditNote, RefusesEveryChangedByte) {
    auto key = VerifierKey::parse(kPeterVkey);
    ASSERT_TRUE(key);
    std::string note = kSignedNote;
    for (size_t i = 0; i < note.size(); ++i) {
        for (unsigned char bit : {0x01, 0x20, 0x80}) {
            std::string bad = note;
            bad[i] = char(bad[i] ^ bit);
            EXPECT_FALSE(open_note(bad, *key)) << "byte " << i << " bit " << int(bit);
        }
    }
}

TEST(AuditNote, RefusesBadVerifierKeys) {
    EXPECT_FALSE(
        VerifierKey::parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
    EXPECT_FALSE(
        VerifierKey::parse("PeterNeumann+c74f20a3+AhpcQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
    EXPECT_FALSE(
        VerifierKey::parse("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
    EXPECT_FALSE(VerifierKey::parse("PeterNeumann"));
    EXPECT_FALSE(VerifierKey::parse(""));
}

TEST(AuditCheckpoint, SignsAndOpens) {
    auto key = SigningKey::generate("jitd/host.example");
    ASSERT_TRUE(key) << key.error();
    auto vkey = VerifierKey::parse(key->verifier_key());
    ASSERT_TRUE(vkey) << vkey.error();
    Checkpoint c{"jitd/host.example", 12345, hash_leaf("x")};
    std::string note = sign_checkpoint(c, *key);
    EXPECT_EQ(note.substr(0, note.find("\n\n") + 1), checkpoint_body(c));
    auto back = open_checkpoint(note, *vkey);
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(*back, c);

    // A witness's cosignature line after ours is skipped, not refused.
    auto witness = SigningKey::generate("witness.example");
    ASSERT_TRUE(witness);
    std::string cosigned = sign_note(checkpoint_body(c), *witness);
    cosigned = note + cosigned.substr(cosigned.find("\xe2\x80\x94"));
    EXPECT_TRUE(open_checkpoint(cosigned, *vkey));

    // Another key with the same name signs nothing of ours.
    auto other = SigningKey::generate("jitd/host.example");
    ASSERT_TRUE(other);
    EXPECT_FALSE(open_checkpoint(sign_checkpoint(c, *other), *vkey));
    // The log's key signing another origin's checkpoint is refused.
    Checkpoint elsewhere = c;
    elsewhere.origin = "jitd/other";
    EXPECT_FALSE(open_checkpoint(sign_checkpoint(elsewhere, *key), *vkey));
}

TEST(AuditCheckpoint, BodyParsing) {
    Hash root = hash_leaf("r");
    std::string b64 = base64_encode(view(root));
    EXPECT_TRUE(parse_checkpoint_body("o\n0\n" + b64 + "\n"));
    EXPECT_TRUE(parse_checkpoint_body("o\n18446744073709551615\n" + b64 + "\n"));
    EXPECT_TRUE(parse_checkpoint_body("o\n5\n" + b64 + "\next\n"));
    EXPECT_FALSE(parse_checkpoint_body("o\n18446744073709551616\n" + b64 + "\n"));
    EXPECT_FALSE(parse_checkpoint_body("o\n05\n" + b64 + "\n"));
    EXPECT_FALSE(parse_checkpoint_body("o\n-5\n" + b64 + "\n"));
    EXPECT_FALSE(parse_checkpoint_body("o\n5\n" + b64));
    EXPECT_FALSE(parse_checkpoint_body("\n5\n" + b64 + "\n"));
    EXPECT_FALSE(parse_checkpoint_body("o\n5\n" + b64.substr(4) + "\n"));
    EXPECT_FALSE(parse_checkpoint_body("o\n5\n" + b64 + "\n\n"));
}

TEST(AuditCheckpoint, Base64IsCanonicalOnly) {
    EXPECT_EQ(base64_decode("YQ=="), std::optional<std::string>("a"));
    EXPECT_FALSE(base64_decode("YR=="));  // unused bits set
    EXPECT_FALSE(base64_decode("Y Q=="));
    EXPECT_FALSE(base64_decode("YQ="));
    EXPECT_FALSE(base64_decode("YQ\n=="));
}

}  // namespace
}  // namespace jit::daemon::audit

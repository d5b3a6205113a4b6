// The NSS snapshot: the one written contract between jitd, which writes it,
// and libnss_jit.so.2, which memory-maps it in every process that resolves a
// user.  jitd writes it atomically (temporary file, fsync, rename, fsync of
// the directory) whenever an account, group or grant changes and at every
// window edge; the module never talks to jitd.
//
// This reader is allocation-free and exception-free (it runs inside other
// processes).  Snapshot::open() checks the header and the layout in O(1), so
// that every accessor below stays inside the file whatever the bytes say.
// Each accessor checks the record it reads, including the record's own
// check value, so a damaged record reads as absent.  Snapshot::verify()
// checks everything else (the file checksum, sort orders, references,
// uniqueness) in O(n log n).
//
// jitd runs verify() on every file before it publishes it; the tests and the
// fuzzer run it on every input.  The module does not: a whole-file pass
// would cost every new process (every sshd child, every `id`) O(n) on its
// first lookup, 180 ms at 100,000 accounts.  It relies on open() and the
// per-record checks, so a lookup stays O(1), and damage to the file
// yields "unavailable" or "not found" for what it touches, never a read out
// of bounds.  A lookup compares the key it searched for with the record it
// found, so damage to an index yields "not found", not another account.
//
// FILE  (all integers little-endian; i64 times are UTC seconds since the epoch)
//   offset size field
//   0      8    magic             kMagic, the bytes "JIT-NSS\n"
//   8      4    version           kVersion; any other value is refused
//   12     4    header_size       kHeaderSize
//   16     8    total_size        the file's exact length
//   24     8    checksum          FNV-1a 64 of the whole file, these 8 bytes
//                                 and the state word read as zero
//   32     8    generated_at      i64: when jitd wrote it (informational)
//   40     4    account_count     A <= kMaxAccounts
//   44     4    group_count       G <= kMaxGroups
//   48     4    block_units       U <= kMaxBlockUnits: the size of the account
//                                 block area in 64-byte units
//   52     4    member_count      M <= kMaxMembers
//   56     4    strings_size      S <= kMaxStrings
//   60     4    accounts_off      A u32 block positions, account i's block
//                                 (accounts are numbered in name order)
//   64     4    uid_index_off     A u32 account indexes, sorted by uid
//   68     4    groups_off        group records, sorted by name
//   72     4    gid_index_off     G u32 group indexes, sorted by gid
//   76     4    blocks_off        the account blocks (ACCOUNT below), U * 64
//                                 bytes, at a multiple of 64
//   80     4    members_off       membership records, sorted by member name
//   84     4    group_members_off M u32 membership indexes, sorted by group
//   88     4    strings_off       the string table of group and member names
//                                 (after the four HASH tables, whose offsets
//                                 the counts imply)
//   92     4    state             0 while the file is the current snapshot;
//                                 kSuperseded once its writer has renamed a
//                                 successor over it (see SUPERSEDED below);
//                                 any other value is refused
//
// The layout is canonical: the tables follow the header in the order above,
// each starting where the previous one ends (rounded up to 8 bytes, and the
// blocks, when there are accounts, to 64; padding zero), then the four HASH tables (account names,
// uids, group names, gids, in that order), and the file ends with the string
// table.  A file whose offsets say anything else is refused.
//
// HASH  an open-addressing table of hash_slots(n) slots for n records (0 for
//   none, else the least power of two >= 2n).  A record sits at the first
//   empty slot from key_hash & (slots - 1) on, probing forward (wrapping);
//   the writer inserts records in table order.  key_hash is FNV-1a 64 over
//   the name's bytes, or over the id's 4 little-endian bytes.  Every record
//   is in its tables exactly once.  A lookup compares the key with the record
//   it reaches, so a damaged table yields "not found", never another record.
//   Group tables: u32 slots, 0 empty, i + 1 naming group i.  Account tables:
//   8-byte slots, u32 tag = key_hash >> 32, then u32 ref = the block position
//   + 1 (0 empty): a lookup goes from the slot straight to the block, and
//   one whose tag differs (nearly every miss) reads no block at all.
//
// STRING  a (u32 offset, u32 length) pair into the string table: the bytes
//   must lie inside it, be followed by a NUL and contain none.  Names are
//   [a-z_][a-z0-9_.-]*, 1..kMaxName bytes; gecos, home and shell are UTF-8
//   without control characters or ':', at most kMaxText bytes, and home and
//   shell are absolute paths.
//
// CHECK  a record's check value: CRC-32C (Castagnoli, RFC 3720's: reflected
//   polynomial 0x82f63b78, initial value and final xor 0xffffffff) over the
//   record with its check field read as zero, then the bytes and the NUL of
//   each STRING it references (in field order); for an account block, over
//   the block from its first byte to its shell's NUL.  Every lookup checks
//   the record it answers from; CRC-32C is one instruction per 8 bytes where
//   the CPU has SSE 4.2, and it catches every burst of up to 32 damaged bits.
//
// ACCOUNT  a block: the record, its windows and its strings in one place, so
//   that a lookup reads the hash slot and one or two cache lines of one page
//   (format 3 read a slot, a record, its strings and its window, each in a
//   table of its own: four pages, and on a large file four TLB misses).
//   Block positions count 64-byte units from blocks_off.
//   0  4 uid (never 0 or 0xffffffff)
//   4  4 gid: the gid of the account's private group
//   8  4 visibility: Visibility below
//   12 4 window_count W: empty for Visibility::Always
//   16 4 index: the account's number (its place in name order)
//   20 4 check (CHECK)
//   24 2 name length, 26 2 gecos length, 28 2 home length, 30 2 shell length
//   32    W WINDOWs, strictly ascending by not_before
//   then name, gecos, home and shell, each followed by a NUL (the same rules
//   as STRING's), then zero bytes to the end of the block's last unit.
//   Block 0 is at position 0 and each next one at the end of the previous,
//   except that a block of at most 64 units never crosses a 4096-byte
//   boundary of the file (it moves to the boundary; the units skipped are
//   zero); the last block ends at U.
//
// GROUP (kGroupSize bytes)
//   0  8 name (STRING)
//   8  4 gid (never 0 or 0xffffffff; unique over all groups)
//   12 4 kind: GroupKind below
//   16 4 owner: for a Private group the account it belongs to (same name,
//        same gid; every account has exactly one); kNoAccount for a Jit group
//   20 4 member_first, 24 4 member_count: the group's slice of the
//        group_members index, in group order with no gap; empty for Private
//   28 4 check (CHECK)
//
// WINDOW (kWindowSize bytes): 0 8 not_before (inclusive), 8 8 not_after
//   (exclusive), not_before < not_after.
//
// MEMBER (kMemberSize bytes): the named account belongs to a Jit group while
//   the window covers now.
//   0  8 name (STRING): the member; it need not be a jit account (a grant may
//        put an account from /etc/passwd into a jit group)
//   8  4 group: index of a Jit group
//   12 4 account: index of the jit account of that name, or kNoAccount when
//        no jit account has it
//   16 8 not_before, 24 8 not_after: as WINDOW; a standing membership has
//        INT64_MIN and INT64_MAX
//   32 4 check (CHECK)
//   36 4 reserved 0
//   Strictly ascending by (name, group, not_before).
//
// SUPERSEDED  A process keeps the file mapped (MAP_SHARED) from one lookup
//   to the next, so the writer tells it when the file is replaced: it opens
//   the file at the path before it renames the new one in, and afterwards
//   writes kSuperseded into the old file's state word (one byte, 'O', at
//   offset 92: a store no reader can see torn).  Every process that
//   maps the old file sees the word through the shared page cache, with no
//   system call, and opens the path again.  The word is written last, so a
//   reader that sees it finds the successor already at the path.  A file is
//   never changed in place otherwise.
//
// VISIBILITY  An account resolves at time t when it is Always visible, or
//   when one of its windows covers t.  A Private group resolves with its
//   account; a Jit group always resolves.  A membership counts at t when its
//   window covers t and, for a jit account, the account resolves at t.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "jit/result.h"

namespace jit::snapshot {

inline constexpr uint8_t kMagic[8] = {'J', 'I', 'T', '-', 'N', 'S', 'S', '\n'};
// 2: the HASH tables (version 1 had binary searches only).  3: CRC-32C
// record checks (version 2 had FNV-1a's low 32 bits, a byte at a time).
// 4: account blocks and tagged account slots (version 3 kept records,
// strings and windows in tables of their own).
inline constexpr uint32_t kVersion = 4;
inline constexpr uint32_t kHeaderSize = 96;
inline constexpr uint32_t kBlockHeaderSize = 32;  // an account block's fixed part
inline constexpr uint32_t kBlockUnit = 64;
inline constexpr uint32_t kPage = 4096;
inline constexpr uint32_t kGroupSize = 32;
inline constexpr uint32_t kWindowSize = 16;
inline constexpr uint32_t kMemberSize = 40;
inline constexpr size_t kChecksumOffset = 24;
inline constexpr size_t kStateOffset = 92;
// The state word of a superseded file: the byte 'O' and three zero bytes.
// The writer stores that one byte, so a reader can never see half a mark;
// and no single flipped bit of a current file's 0 can produce it.
inline constexpr uint32_t kSuperseded = 'O';

inline constexpr uint32_t kMaxAccounts = 1u << 20;
inline constexpr uint32_t kMaxGroups = 1u << 21;
inline constexpr uint32_t kMaxBlockUnits = 1u << 24;
inline constexpr uint32_t kMaxMembers = 1u << 22;
inline constexpr uint32_t kMaxStrings = 1u << 28;
inline constexpr uint32_t kMaxName = 32;
inline constexpr uint32_t kMaxText = 1024;
inline constexpr uint32_t kNoAccount = 0xffffffff;

enum class Visibility : uint32_t {
    Always = 1,   // resolves at any time
    Granted = 2,  // resolves only inside one of its windows
};

enum class GroupKind : uint32_t {
    Private = 1,  // the account's own primary group, same name and gid
    Jit = 2,      // a group jit serves; members come from grants and accounts
};

struct Text {
    const char* data = nullptr;  // NUL-terminated inside the mapping
    uint32_t len = 0;
    std::string_view view() const { return {data, len}; }
};

struct Account {
    uint32_t index = 0;  // its number, in name order
    Text name, gecos, home, shell;
    uint32_t uid = 0;
    uint32_t gid = 0;
    Visibility visibility = Visibility::Granted;
    const uint8_t* windows = nullptr;  // window_count WINDOWs inside the mapping
    uint32_t window_count = 0;
};

struct Group {
    uint32_t index = 0;  // its position in the group table
    Text name;
    uint32_t gid = 0;
    GroupKind kind = GroupKind::Jit;
    uint32_t owner = kNoAccount;
    uint32_t member_first = 0;
    uint32_t member_count = 0;
};

struct Window {
    int64_t not_before = 0;
    int64_t not_after = 0;
    bool covers(int64_t t) const { return not_before <= t && t < not_after; }
};

struct Member {
    Text name;
    uint32_t group = 0;
    uint32_t account = kNoAccount;
    Window window;
};

// The table layout implied by the counts: what open() requires and what the
// writer produces.  All offsets from the start of the file.
struct Layout {
    uint32_t accounts_off, uid_index_off, groups_off, gid_index_off, blocks_off, members_off,
        group_members_off, strings_off;
    uint64_t total_size;
    uint32_t account_slots, group_slots;  // HASH table sizes
    uint32_t name_hash_off, uid_hash_off, group_hash_off, gid_hash_off;
};
uint32_t hash_slots(uint32_t records);
uint64_t name_hash(std::string_view name);
uint64_t id_hash(uint32_t id);
// False when a count exceeds its limit.
bool canonical_layout(uint32_t accounts, uint32_t groups, uint32_t block_units, uint32_t members,
                      uint32_t strings_size, Layout* out);
// The position of a block of `units` units that follows one ending at `end`
// in an area starting at file offset blocks_off (see ACCOUNT).
uint64_t block_position(uint32_t blocks_off, uint64_t end, uint64_t units);
// The size in bytes of an account block's used part, and in units.
uint64_t block_bytes(uint32_t windows, uint32_t name, uint32_t gecos, uint32_t home,
                     uint32_t shell);
inline uint64_t block_units(uint64_t bytes) {
    return (bytes + kBlockUnit - 1) / kBlockUnit;
}

// FNV-1a 64 over len bytes, continuing from state (start with kFnvOffset).
inline constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
uint64_t fnv1a64(uint64_t state, const uint8_t* data, size_t len);
// The checksum of a whole file, its checksum field and state word read as zero.
uint64_t file_checksum(const uint8_t* data, size_t len);

// Offsets of the CHECK fields, and the CHECK of a record whose strings (and
// windows) are given as byte ranges.  The writer and the reader both use it.
inline constexpr size_t kAccountCheckAt = 20, kGroupCheckAt = 28, kMemberCheckAt = 32;
struct Bytes {
    const uint8_t* data;
    size_t len;
};
uint32_t record_check(const uint8_t* record, size_t record_size, size_t check_at,
                      const Bytes* parts, size_t part_count);

// Name rules shared by the writer and the reader.
bool valid_name(std::string_view s);
bool valid_text(std::string_view s);  // gecos
bool valid_path(std::string_view s);  // home, shell

class Snapshot {
public:
    // Header and layout only (O(1)).  EBADMSG for a file that is not a
    // snapshot or is inconsistent, EMSGSIZE for one over the limits.
    static Result<Snapshot> open(const uint8_t* data, size_t len);
    // Every remaining rule of the format (O(n log n)); EBADMSG naming the
    // first one broken.
    Result<void> verify() const;

    uint64_t stored_checksum() const;
    // The state word as it is now (it may change under a mapped reader).
    bool superseded() const;
    int64_t generated_at() const;
    uint32_t account_count() const { return accounts_; }
    uint32_t group_count() const { return groups_; }
    uint32_t member_count() const { return members_; }

    // Each reads one record and checks it on its own; false when it is
    // malformed (or the index is out of range).
    bool account(uint32_t i, Account* out) const;
    bool group(uint32_t i, Group* out) const;
    // The k-th window of an account read by account() (false past its count
    // or when malformed).
    bool window(const Account& a, uint32_t k, Window* out) const;
    bool member(uint32_t i, Member* out) const;
    // The k-th membership of a group's slice; false unless it is a
    // well-formed membership of that very group.
    bool group_member(const Group& g, uint32_t k, Member* out) const;

    // O(1) lookups through the HASH tables; false when absent.
    bool find_account(std::string_view name, uint32_t* index) const;
    bool find_account_by_uid(uint32_t uid, uint32_t* index) const;
    // The same, reading the account on the way (what a lookup answers from:
    // the slot, then the block, nothing else).
    bool find_account(std::string_view name, Account* out) const;
    bool find_account_by_uid(uint32_t uid, Account* out) const;
    bool find_group(std::string_view name, uint32_t* index) const;
    bool find_group_by_gid(uint32_t gid, uint32_t* index) const;
    // The memberships of one name: [*first, *last) in the member table.
    void members_named(std::string_view name, uint32_t* first, uint32_t* last) const;

    bool account_visible(const Account& a, int64_t now) const;
    bool group_visible(const Group& g, int64_t now) const;
    bool member_active(const Member& m, int64_t now) const;

private:
    const uint8_t* data_ = nullptr;
    size_t len_ = 0;
    uint32_t accounts_ = 0, groups_ = 0, units_ = 0, members_ = 0, strings_size_ = 0;
    Layout layout_{};

    bool text_at(const uint8_t* ref, Text* out) const;
    uint32_t index_at(uint32_t table_off, uint32_t i) const;
    template <typename Match>
    bool probe(uint32_t table_off, uint32_t slots, uint32_t records, uint64_t hash, Match match,
               uint32_t* index) const;
    template <typename Match>
    bool probe_accounts(uint32_t table_off, uint64_t hash, Match match, Account* out) const;
    // The block at a position, checked; want is the index it must carry, or
    // kNoAccount for any.
    bool block(uint32_t position, uint32_t want, Account* out) const;
    bool name_is(uint32_t table_off, uint32_t record_size, uint32_t i, std::string_view name) const;
    Result<void> verify_hashes() const;
    Result<void> verify_accounts() const;
    Result<void> verify_groups() const;
    Result<void> verify_members() const;
};

}  // namespace jit::snapshot

// The NSS snapshot reader.  Runs inside every process that resolves a user,
// so it allocates nothing, throws nothing and trusts no byte it has not
// checked: open() proves the tables lie inside the file, each accessor checks
// the record it reads, and verify() checks the rest.
#include "jit/snapshot.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "jit/crc32c.h"
#include "jit/wire.h"

namespace jit::snapshot {

namespace {

uint32_t get_u32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint64_t get_u64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}
int64_t get_i64(const uint8_t* p) {
    return int64_t(get_u64(p));
}

uint64_t align8(uint64_t n) {
    return (n + 7) & ~uint64_t(7);
}
uint64_t align64(uint64_t n) {
    return (n + 63) & ~uint64_t(63);
}
uint32_t get_u16(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8;
}

Error bad(const char* what) {
    return make_error(EBADMSG, what);
}

// Header fields.
constexpr size_t kVersionAt = 8, kHeaderSizeAt = 12, kTotalSizeAt = 16, kGeneratedAt = 32,
                 kCountsAt = 40, kOffsetsAt = 60;

// Record fields.
constexpr size_t kAccUid = 0, kAccGid = 4, kAccVisibility = 8, kAccWindowCount = 12, kAccIndex = 16,
                 kAccLengths = 24;
constexpr size_t kGrpGid = 8, kGrpKind = 12, kGrpOwner = 16, kGrpMemberFirst = 20,
                 kGrpMemberCount = 24;
constexpr size_t kMemGroup = 8, kMemAccount = 12, kMemNotBefore = 16, kMemNotAfter = 24,
                 kMemReserved = 36;

Bytes text_bytes(const Text& t) {
    return {reinterpret_cast<const uint8_t*>(t.data), size_t(t.len) + 1};
}

// a < b in the order of the name indexes: bytewise, a prefix first.
int compare(std::string_view a, std::string_view b) {
    return a.compare(b);
}

bool slice_fits(uint32_t first, uint32_t count, uint32_t total) {
    return count <= total && first <= total - count;
}

}  // namespace

bool canonical_layout(uint32_t accounts, uint32_t groups, uint32_t block_units, uint32_t members,
                      uint32_t strings_size, Layout* out) {
    if (accounts > kMaxAccounts || groups > kMaxGroups || block_units > kMaxBlockUnits ||
        members > kMaxMembers || strings_size > kMaxStrings)
        return false;
    // With the limits above every offset stays far below 2^32.
    uint64_t off = kHeaderSize;
    out->accounts_off = uint32_t(off);
    off += uint64_t(accounts) * 4;
    out->uid_index_off = uint32_t(off);
    off = align8(off + uint64_t(accounts) * 4);
    out->groups_off = uint32_t(off);
    off += uint64_t(groups) * kGroupSize;
    out->gid_index_off = uint32_t(off);
    off = align8(off + uint64_t(groups) * 4);
    if (accounts > 0) off = align64(off);  // an empty file is the header alone
    out->blocks_off = uint32_t(off);
    off += uint64_t(block_units) * kBlockUnit;
    out->members_off = uint32_t(off);
    off += uint64_t(members) * kMemberSize;
    out->group_members_off = uint32_t(off);
    off = align8(off + uint64_t(members) * 4);
    // Power-of-two sizes of at least 2 slots: each table ends 8-aligned.
    out->account_slots = hash_slots(accounts);
    out->group_slots = hash_slots(groups);
    out->name_hash_off = uint32_t(off);
    off += uint64_t(out->account_slots) * 8;
    out->uid_hash_off = uint32_t(off);
    off += uint64_t(out->account_slots) * 8;
    out->group_hash_off = uint32_t(off);
    off += uint64_t(out->group_slots) * 4;
    out->gid_hash_off = uint32_t(off);
    off += uint64_t(out->group_slots) * 4;
    out->strings_off = uint32_t(off);
    out->total_size = off + strings_size;
    return true;
}

uint64_t block_position(uint32_t blocks_off, uint64_t end, uint64_t units) {
    constexpr uint64_t kUnitsPerPage = kPage / kBlockUnit;
    const uint64_t first = blocks_off / kBlockUnit;  // blocks_off is a multiple of 64
    if (units > kUnitsPerPage || (first + end) % kUnitsPerPage + units <= kUnitsPerPage) return end;
    return end + kUnitsPerPage - (first + end) % kUnitsPerPage;
}

uint64_t block_bytes(uint32_t windows, uint32_t name, uint32_t gecos, uint32_t home,
                     uint32_t shell) {
    return kBlockHeaderSize + uint64_t(windows) * kWindowSize + uint64_t(name) + gecos + home +
           shell + 4;
}

uint32_t hash_slots(uint32_t records) {
    if (records == 0) return 0;
    uint32_t slots = 2;
    while (slots < uint64_t(records) * 2) slots <<= 1;
    return slots;
}

uint64_t name_hash(std::string_view name) {
    return fnv1a64(kFnvOffset, reinterpret_cast<const uint8_t*>(name.data()), name.size());
}

uint64_t id_hash(uint32_t id) {
    const uint8_t le[4] = {uint8_t(id), uint8_t(id >> 8), uint8_t(id >> 16), uint8_t(id >> 24)};
    return fnv1a64(kFnvOffset, le, 4);
}

uint64_t fnv1a64(uint64_t state, const uint8_t* data, size_t len) {
    for (size_t i = 0; i < len; ++i) {
        state ^= data[i];
        state *= 0x100000001b3ull;
    }
    return state;
}

// CRC-32C: every lookup checks the record it answers from, and the CPU's
// crc32 instruction does 8 bytes where FNV-1a did one (FNV-1a was a third of
// a lookup's instructions, and a serial multiply per byte).
uint32_t record_check(const uint8_t* record, size_t record_size, size_t check_at,
                      const Bytes* parts, size_t part_count) {
    static constexpr uint8_t kZero[4] = {};
    uint32_t c = crc32c(0, record, check_at);
    c = crc32c(c, kZero, sizeof kZero);
    c = crc32c(c, record + check_at + 4, record_size - check_at - 4);
    for (size_t i = 0; i < part_count; ++i) c = crc32c(c, parts[i].data, parts[i].len);
    return c;
}

uint64_t file_checksum(const uint8_t* data, size_t len) {
    static constexpr uint8_t kZero[8] = {};
    if (len < kStateOffset + 4) return fnv1a64(kFnvOffset, data, len);
    uint64_t h = fnv1a64(kFnvOffset, data, kChecksumOffset);
    h = fnv1a64(h, kZero, sizeof kZero);
    h = fnv1a64(h, data + kChecksumOffset + 8, kStateOffset - kChecksumOffset - 8);
    h = fnv1a64(h, kZero, 4);
    return fnv1a64(h, data + kStateOffset + 4, len - kStateOffset - 4);
}

bool valid_name(std::string_view s) {
    if (s.empty() || s.size() > kMaxName) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || c == '_' ||
                  (i > 0 && ((c >= '0' && c <= '9') || c == '.' || c == '-'));
        if (!ok) return false;
    }
    return true;
}

namespace {

// Whether every byte is printable ASCII other than ':' (0x20-0x7e), 8 bytes
// at a time: what nearly every gecos, home and shell is, checked on every
// lookup.  False sends the string through the byte-by-byte rules below.
bool plain_ascii(std::string_view s) {
    constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    // Each is exact for "some byte": a byte >= 0x80, < 0x20, == 0x7f, == ':'.
    auto bad = [](uint64_t x) {
        auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
        return (x & kHigh) | ((x - kOnes * 0x20) & ~x & kHigh) | has_zero(x ^ (kOnes * 0x7f)) |
               has_zero(x ^ (kOnes * ':'));
    };
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        uint64_t x;
        memcpy(&x, s.data() + i, 8);
        if (bad(x)) return false;
    }
    for (; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c >= 0x7f || c == ':') return false;
    }
    return true;
}

}  // namespace

// ':' and newlines would split a passwd or group line written by getent;
// control characters have no business in a terminal.
bool valid_text(std::string_view s) {
    if (s.size() > kMaxText) return false;
    if (plain_ascii(s)) return true;
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f || c == ':') return false;
    }
    return wire::valid_text(s.data(), s.size());
}

bool valid_path(std::string_view s) {
    return !s.empty() && s[0] == '/' && valid_text(s);
}

Result<Snapshot> Snapshot::open(const uint8_t* data, size_t len) {
    if (data == nullptr || len < kHeaderSize) return bad("shorter than a snapshot header");
    if (memcmp(data, kMagic, sizeof kMagic) != 0) return bad("not a jit NSS snapshot");
    if (get_u32(data + kVersionAt) != kVersion) return bad("unsupported snapshot version");
    if (get_u32(data + kHeaderSizeAt) != kHeaderSize) return bad("unexpected header size");
    if (get_u64(data + kTotalSizeAt) != len) return bad("size does not match the header");
    const uint32_t state = get_u32(data + kStateOffset);
    if (state != 0 && state != kSuperseded) return bad("unknown snapshot state");
    Snapshot s;
    s.data_ = data;
    s.len_ = len;
    s.accounts_ = get_u32(data + kCountsAt);
    s.groups_ = get_u32(data + kCountsAt + 4);
    s.units_ = get_u32(data + kCountsAt + 8);
    s.members_ = get_u32(data + kCountsAt + 12);
    s.strings_size_ = get_u32(data + kCountsAt + 16);
    if (!canonical_layout(s.accounts_, s.groups_, s.units_, s.members_, s.strings_size_,
                          &s.layout_))
        return make_error(EMSGSIZE, "snapshot counts exceed the limits");
    const uint32_t offsets[] = {s.layout_.accounts_off,      s.layout_.uid_index_off,
                                s.layout_.groups_off,        s.layout_.gid_index_off,
                                s.layout_.blocks_off,        s.layout_.members_off,
                                s.layout_.group_members_off, s.layout_.strings_off};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; ++i)
        if (get_u32(data + kOffsetsAt + 4 * i) != offsets[i])
            return bad("table offsets are not the canonical layout");
    if (s.layout_.total_size != len) return bad("tables do not end at the end of the file");
    return s;
}

uint64_t Snapshot::stored_checksum() const {
    return get_u64(data_ + kChecksumOffset);
}

// The writer stores the word while readers have the file mapped: one atomic
// load, so the compiler neither tears nor caches it.
bool Snapshot::superseded() const {
    const uint8_t* at = data_ + kStateOffset;
    if (reinterpret_cast<uintptr_t>(at) % 4 != 0) return get_u32(at) == kSuperseded;
    const auto* word = reinterpret_cast<const uint32_t*>(at);
    return le32toh(__atomic_load_n(word, __ATOMIC_ACQUIRE)) == kSuperseded;
}

int64_t Snapshot::generated_at() const {
    return get_i64(data_ + kGeneratedAt);
}

bool Snapshot::text_at(const uint8_t* ref, Text* out) const {
    uint32_t off = get_u32(ref), len = get_u32(ref + 4);
    if (len > kMaxText || off >= strings_size_ || len >= strings_size_ - off) return false;
    const char* p = reinterpret_cast<const char*>(data_ + layout_.strings_off + off);
    if (p[len] != '\0' || memchr(p, '\0', len) != nullptr) return false;
    out->data = p;
    out->len = len;
    return true;
}

uint32_t Snapshot::index_at(uint32_t table_off, uint32_t i) const {
    return get_u32(data_ + table_off + size_t(i) * 4);
}

bool Snapshot::account(uint32_t i, Account* out) const {
    if (i >= accounts_) return false;
    return block(index_at(layout_.accounts_off, i), i, out);
}

// Every bound is checked before the byte it guards is read: the lengths
// against the area's end, each string's NUL, then the check value.
bool Snapshot::block(uint32_t position, uint32_t want, Account* out) const {
    if (position >= units_) return false;
    const uint8_t* r = data_ + layout_.blocks_off + size_t(position) * kBlockUnit;
    const uint64_t room = uint64_t(units_ - position) * kBlockUnit;
    const uint32_t windows = get_u32(r + kAccWindowCount);
    uint32_t len[4];
    for (int k = 0; k < 4; ++k) len[k] = get_u16(r + kAccLengths + 2 * k);
    if (windows > room / kWindowSize || block_bytes(windows, len[0], len[1], len[2], len[3]) > room)
        return false;
    Account a;
    a.index = get_u32(r + kAccIndex);
    if (a.index >= accounts_ || (want != kNoAccount && a.index != want)) return false;
    Text* texts[] = {&a.name, &a.gecos, &a.home, &a.shell};
    const char* p =
        reinterpret_cast<const char*>(r + kBlockHeaderSize) + size_t(windows) * kWindowSize;
    for (int k = 0; k < 4; ++k) {
        if (len[k] > kMaxText || p[len[k]] != '\0' || memchr(p, '\0', len[k]) != nullptr)
            return false;
        *texts[k] = Text{p, len[k]};
        p += len[k] + 1;
    }
    if (!valid_name(a.name.view()) || !valid_text(a.gecos.view()) || !valid_path(a.home.view()) ||
        !valid_path(a.shell.view()))
        return false;
    a.uid = get_u32(r + kAccUid);
    a.gid = get_u32(r + kAccGid);
    // Never a second root, never the "no id" value.
    if (a.uid == 0 || a.uid == 0xffffffff || a.gid == 0 || a.gid == 0xffffffff) return false;
    uint32_t visibility = get_u32(r + kAccVisibility);
    if (visibility != uint32_t(Visibility::Always) && visibility != uint32_t(Visibility::Granted))
        return false;
    a.visibility = Visibility(visibility);
    a.windows = r + kBlockHeaderSize;
    a.window_count = windows;
    if (a.visibility == Visibility::Always && a.window_count != 0) return false;
    const Bytes rest = {r + kBlockHeaderSize,
                        size_t(reinterpret_cast<const uint8_t*>(p) - r) - kBlockHeaderSize};
    if (record_check(r, kBlockHeaderSize, kAccountCheckAt, &rest, 1) !=
        get_u32(r + kAccountCheckAt))
        return false;
    *out = a;
    return true;
}

bool Snapshot::group(uint32_t i, Group* out) const {
    if (i >= groups_) return false;
    const uint8_t* r = data_ + layout_.groups_off + size_t(i) * kGroupSize;
    Group g;
    g.index = i;
    if (!text_at(r, &g.name) || !valid_name(g.name.view())) return false;
    g.gid = get_u32(r + kGrpGid);
    if (g.gid == 0 || g.gid == 0xffffffff) return false;
    uint32_t kind = get_u32(r + kGrpKind);
    g.owner = get_u32(r + kGrpOwner);
    g.member_first = get_u32(r + kGrpMemberFirst);
    g.member_count = get_u32(r + kGrpMemberCount);
    if (kind == uint32_t(GroupKind::Private)) {
        if (g.owner >= accounts_ || g.member_count != 0) return false;
    } else if (kind == uint32_t(GroupKind::Jit)) {
        if (g.owner != kNoAccount) return false;
    } else {
        return false;
    }
    g.kind = GroupKind(kind);
    if (!slice_fits(g.member_first, g.member_count, members_)) return false;
    const Bytes name = text_bytes(g.name);
    if (record_check(r, kGroupSize, kGroupCheckAt, &name, 1) != get_u32(r + kGroupCheckAt))
        return false;
    *out = g;
    return true;
}

// The windows lie inside a block account() has checked.
bool Snapshot::window(const Account& a, uint32_t k, Window* out) const {
    if (k >= a.window_count || a.windows == nullptr) return false;
    const uint8_t* r = a.windows + size_t(k) * kWindowSize;
    Window w{get_i64(r), get_i64(r + 8)};
    if (w.not_before >= w.not_after) return false;
    *out = w;
    return true;
}

bool Snapshot::member(uint32_t i, Member* out) const {
    if (i >= members_) return false;
    const uint8_t* r = data_ + layout_.members_off + size_t(i) * kMemberSize;
    Member m;
    if (!text_at(r, &m.name) || !valid_name(m.name.view())) return false;
    m.group = get_u32(r + kMemGroup);
    m.account = get_u32(r + kMemAccount);
    m.window = Window{get_i64(r + kMemNotBefore), get_i64(r + kMemNotAfter)};
    if (m.group >= groups_ || (m.account != kNoAccount && m.account >= accounts_)) return false;
    if (m.window.not_before >= m.window.not_after) return false;
    if (get_u32(r + kMemReserved) != 0) return false;
    const Bytes name = text_bytes(m.name);
    if (record_check(r, kMemberSize, kMemberCheckAt, &name, 1) != get_u32(r + kMemberCheckAt))
        return false;
    *out = m;
    return true;
}

bool Snapshot::group_member(const Group& g, uint32_t k, Member* out) const {
    if (k >= g.member_count || !slice_fits(g.member_first, g.member_count, members_)) return false;
    Member m;
    if (!member(index_at(layout_.group_members_off, g.member_first + k), &m) || m.group != g.index)
        return false;
    *out = m;
    return true;
}

// Hash lookups.  On a damaged file they may miss, never read astray: every
// probe goes through a bounds-checked slot and a checked record index, and
// the key is compared with the record it reaches.  A table with no empty
// slot (only a damaged one) costs one pass over it.
template <typename Match>
bool Snapshot::probe(uint32_t table_off, uint32_t slots, uint32_t records, uint64_t hash,
                     Match match, uint32_t* index) const {
    if (slots == 0) return false;
    const uint32_t mask = slots - 1;
    uint32_t at = uint32_t(hash) & mask;
    for (uint32_t k = 0; k < slots; ++k, at = (at + 1) & mask) {
        uint32_t slot = index_at(table_off, at);
        if (slot == 0) return false;
        if (slot <= records && match(slot - 1)) {
            *index = slot - 1;
            return true;
        }
    }
    return false;
}

// An account table's slot is 8 bytes, a tag and a block reference: a slot
// whose tag is not the key's is passed without reading its block, so a miss
// reads slots only, and a hit one block.
template <typename Match>
bool Snapshot::probe_accounts(uint32_t table_off, uint64_t hash, Match match, Account* out) const {
    const uint32_t slots = layout_.account_slots;
    if (slots == 0) return false;
    const uint32_t mask = slots - 1, tag = uint32_t(hash >> 32);
    uint32_t at = uint32_t(hash) & mask;
    for (uint32_t k = 0; k < slots; ++k, at = (at + 1) & mask) {
        const uint8_t* slot = data_ + table_off + size_t(at) * 8;
        const uint32_t ref = get_u32(slot + 4);
        if (ref == 0) return false;
        if (get_u32(slot) != tag || ref > units_) continue;
        // The block's second line, if it has one, on its way with the first.
        const uint8_t* r = data_ + layout_.blocks_off + size_t(ref - 1) * kBlockUnit;
        if (ref < units_) __builtin_prefetch(r + kBlockUnit);
        Account a;
        if (block(ref - 1, kNoAccount, &a) && match(a)) {
            *out = a;
            return true;
        }
    }
    return false;
}

bool Snapshot::name_is(uint32_t table_off, uint32_t record_size, uint32_t i,
                       std::string_view name) const {
    Text t;
    return text_at(data_ + table_off + size_t(i) * record_size, &t) && t.view() == name;
}

bool Snapshot::find_account(std::string_view name, Account* out) const {
    return probe_accounts(
        layout_.name_hash_off, name_hash(name),
        [&](const Account& a) { return a.name.view() == name; }, out);
}

bool Snapshot::find_account_by_uid(uint32_t uid, Account* out) const {
    return probe_accounts(
        layout_.uid_hash_off, id_hash(uid), [&](const Account& a) { return a.uid == uid; }, out);
}

bool Snapshot::find_account(std::string_view name, uint32_t* index) const {
    Account a;
    if (!find_account(name, &a)) return false;
    *index = a.index;
    return true;
}

bool Snapshot::find_account_by_uid(uint32_t uid, uint32_t* index) const {
    Account a;
    if (!find_account_by_uid(uid, &a)) return false;
    *index = a.index;
    return true;
}

bool Snapshot::find_group(std::string_view name, uint32_t* index) const {
    return probe(
        layout_.group_hash_off, layout_.group_slots, groups_, name_hash(name),
        [&](uint32_t i) { return name_is(layout_.groups_off, kGroupSize, i, name); }, index);
}

bool Snapshot::find_group_by_gid(uint32_t gid, uint32_t* index) const {
    return probe(
        layout_.gid_hash_off, layout_.group_slots, groups_, id_hash(gid),
        [&](uint32_t i) {
            return get_u32(data_ + layout_.groups_off + size_t(i) * kGroupSize + kGrpGid) == gid;
        },
        index);
}

void Snapshot::members_named(std::string_view name, uint32_t* first, uint32_t* last) const {
    *first = *last = 0;
    // lower bound, then upper bound, over the member table sorted by name.
    uint32_t bounds[2];
    for (int pass = 0; pass < 2; ++pass) {
        uint32_t lo = 0, hi = members_;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            Text t;
            if (!text_at(data_ + layout_.members_off + size_t(mid) * kMemberSize, &t)) return;
            int c = compare(t.view(), name);
            bool go_right = pass == 0 ? c < 0 : c <= 0;
            if (go_right)
                lo = mid + 1;
            else
                hi = mid;
        }
        bounds[pass] = lo;
    }
    *first = bounds[0];
    *last = bounds[1];
}

bool Snapshot::account_visible(const Account& a, int64_t now) const {
    if (a.visibility == Visibility::Always) return true;
    for (uint32_t k = 0; k < a.window_count; ++k) {
        Window w;
        if (window(a, k, &w) && w.covers(now)) return true;
    }
    return false;
}

bool Snapshot::group_visible(const Group& g, int64_t now) const {
    if (g.kind == GroupKind::Jit) return true;
    Account a;
    return account(g.owner, &a) && account_visible(a, now);
}

bool Snapshot::member_active(const Member& m, int64_t now) const {
    if (!m.window.covers(now)) return false;
    if (m.account == kNoAccount) return true;
    Account a;
    return account(m.account, &a) && a.name.view() == m.name.view() && account_visible(a, now);
}

}  // namespace jit::snapshot

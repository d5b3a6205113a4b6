#!/usr/bin/env python3
"""Writes the snapshot seed corpus, tests/fuzz/corpus/snapshot/*.hex.

The files are built here from the format as common/include/jit/snapshot.h
documents it, independently of jitd's C++ writer, so the replay test also
checks that the documentation and the reader agree.  ok-* seeds are valid
files; each bad-* seed breaks one rule (most are resealed: record checks and
the file checksum recomputed, so the edit reaches the rule it targets).

Usage: tests/fuzz/snapshot_seeds.py [OUTPUT_DIR]
"""
import os
import struct
import sys

MAGIC = b"JIT-NSS\n"
VERSION = 4
HEADER = 96
BLOCK_HEADER, UNIT, PAGE = 32, 64, 4096
GROUP, WINDOW, MEMBER = 32, 16, 40
NO_ACCOUNT = 0xFFFFFFFF
MIN64, MAX64 = -(1 << 63), (1 << 63) - 1
T = 1_800_000_000
PRIVATE, JIT = 1, 2
ALWAYS, GRANTED = 1, 2


def fnv(data, h=0xCBF29CE484222325):
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def crc32c(data):
    """CRC-32C (Castagnoli, RFC 3720), bit by bit: the record CHECK."""
    c = 0xFFFFFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    return c ^ 0xFFFFFFFF


def align8(n):
    return (n + 7) & ~7


def align64(n):
    return (n + 63) & ~63


def block_position(blocks_off, end, units):
    """Where a block of `units` units goes after one ending at `end`: next,
    unless a block of at most a page would cross a 4096-byte boundary."""
    per_page = PAGE // UNIT
    at = (blocks_off // UNIT + end) % per_page
    if units > per_page or at + units <= per_page:
        return end
    return end + per_page - at


def slots(n):
    """HASH table size: 0 for no records, else the least power of two >= 2n."""
    if n == 0:
        return 0
    size = 2
    while size < 2 * n:
        size *= 2
    return size


def id_key(v):
    return struct.pack("<I", v)


def hash_insert(out, table_off, size, key, i):
    at = fnv(key) & (size - 1)
    while struct.unpack_from("<I", out, table_off + 4 * at)[0] != 0:
        at = (at + 1) & (size - 1)
    struct.pack_into("<I", out, table_off + 4 * at, i + 1)


def account_slot_insert(out, table_off, size, key, position):
    """Account tables: 8-byte slots, the hash's high 32 bits, then position + 1."""
    h = fnv(key)
    at = h & (size - 1)
    while struct.unpack_from("<I", out, table_off + 8 * at + 4)[0] != 0:
        at = (at + 1) & (size - 1)
    struct.pack_into("<II", out, table_off + 8 * at, h >> 32, position + 1)


def layout(a, g, u, m, s):
    off = {"accounts": HEADER}
    off["uid_index"] = HEADER + a * 4
    off["groups"] = align8(off["uid_index"] + 4 * a)
    off["gid_index"] = off["groups"] + g * GROUP
    off["blocks"] = align8(off["gid_index"] + 4 * g)
    if a:
        off["blocks"] = align64(off["blocks"])  # an empty file is the header alone
    off["members"] = off["blocks"] + u * UNIT
    off["group_members"] = off["members"] + m * MEMBER
    off["name_hash"] = align8(off["group_members"] + 4 * m)
    off["account_slots"], off["group_slots"] = slots(a), slots(g)
    off["uid_hash"] = off["name_hash"] + 8 * off["account_slots"]
    off["group_hash"] = off["uid_hash"] + 8 * off["account_slots"]
    off["gid_hash"] = off["group_hash"] + 4 * off["group_slots"]
    off["strings"] = off["gid_hash"] + 4 * off["group_slots"]
    off["total"] = off["strings"] + s
    return off


class Strings:
    def __init__(self):
        self.data, self.at = b"", {}

    def ref(self, text):
        raw = text.encode()
        if raw not in self.at:
            self.at[raw] = len(self.data)
            self.data += raw + b"\0"
        return struct.pack("<II", self.at[raw], len(raw))


def put(out, at, data):
    out[at:at + len(data)] = data


def block_of(acc, index):
    """An account's block: record, windows, strings (check still zero)."""
    texts = [acc[k].encode() for k in ("name", "gecos", "home", "shell")]
    windows = acc.get("windows", [])
    data = struct.pack("<6I", acc["uid"], acc["gid"], acc["vis"], len(windows), index, 0)
    data += struct.pack("<4H", *(len(t) for t in texts))
    data += b"".join(struct.pack("<qq", nb, na) for nb, na in windows)
    data += b"".join(t + b"\0" for t in texts)
    return data


def build(accounts, groups, members, group_members, uid_index, gid_index):
    """Everything given in final order; indexes are lists of positions."""
    strings = Strings()
    for grp in groups:
        strings.ref(grp["name"])
    for mem in members:
        strings.ref(mem["name"])
    blocks_off = layout(len(accounts), len(groups), 0, len(members), 0)["blocks"]
    blocks, positions, end = [], [], 0
    for i, acc in enumerate(accounts):
        data = block_of(acc, i)
        units = (len(data) + UNIT - 1) // UNIT
        at = block_position(blocks_off, end, units)
        blocks.append(data)
        positions.append(at)
        end = at + units
    off = layout(len(accounts), len(groups), end, len(members), len(strings.data))
    out = bytearray(off["total"])
    counts = (len(accounts), len(groups), end, len(members), len(strings.data))
    offsets = [off[k] for k in ("accounts", "uid_index", "groups", "gid_index", "blocks",
                                "members", "group_members", "strings")]
    out[0:96] = (MAGIC + struct.pack("<IIQQq", VERSION, HEADER, off["total"], 0, T)
                 + struct.pack("<5I", *counts) + struct.pack("<8I", *offsets) + b"\0" * 4)
    for i, data in enumerate(blocks):
        put(out, off["accounts"] + 4 * i, struct.pack("<I", positions[i]))
        put(out, off["blocks"] + UNIT * positions[i], data)
    for k, pos in enumerate(uid_index):
        put(out, off["uid_index"] + 4 * k, struct.pack("<I", pos))
    for i, grp in enumerate(groups):
        rec = strings.ref(grp["name"]) + struct.pack(
            "<6I", grp["gid"], grp["kind"], grp.get("owner", NO_ACCOUNT), grp.get("first", 0),
            grp.get("count", 0), 0)
        put(out, off["groups"] + i * GROUP, rec)
    for k, pos in enumerate(gid_index):
        put(out, off["gid_index"] + 4 * k, struct.pack("<I", pos))
    for i, mem in enumerate(members):
        rec = strings.ref(mem["name"]) + struct.pack(
            "<IIqqII", mem["group"], mem.get("account", NO_ACCOUNT), mem["nb"], mem["na"], 0, 0)
        put(out, off["members"] + i * MEMBER, rec)
    for k, pos in enumerate(group_members):
        put(out, off["group_members"] + 4 * k, struct.pack("<I", pos))
    for i, acc in enumerate(accounts):
        account_slot_insert(out, off["name_hash"], off["account_slots"], acc["name"].encode(),
                            positions[i])
        account_slot_insert(out, off["uid_hash"], off["account_slots"], id_key(acc["uid"]),
                            positions[i])
    for i, grp in enumerate(groups):
        hash_insert(out, off["group_hash"], off["group_slots"], grp["name"].encode(), i)
        hash_insert(out, off["gid_hash"], off["group_slots"], id_key(grp["gid"]), i)
    out[off["strings"]:] = strings.data
    return seal(out)


def u32(b, at):
    return struct.unpack_from("<I", b, at)[0]


def string_bytes(b, off, ref):
    start = off["strings"] + u32(b, ref)
    return bytes(b[start:start + u32(b, ref + 4) + 1])


def check(b, at, size, check_at, parts):
    record = bytes(b[at:at + check_at]) + b"\0\0\0\0" + bytes(b[at + check_at + 4:at + size])
    return crc32c(record + b"".join(parts))


def seal(b, records=True):
    """Recomputes the record checks (unless records=False) and the checksum."""
    b = bytearray(b)
    a, g, w, m, s = struct.unpack_from("<5I", b, 40)
    off = layout(a, g, w, m, s)
    if records and off["total"] == len(b):
        for i in range(a):
            if u32(b, off["accounts"] + 4 * i) >= w:
                continue
            r = block_at(b, i)
            used = block_used(b, r)
            area_end = off["blocks"] + UNIT * w
            rest = bytes(b[r + BLOCK_HEADER:min(r + used, area_end)])
            struct.pack_into("<I", b, r + 20, check(b, r, BLOCK_HEADER, 20, [rest]))
        for i in range(g):
            r = off["groups"] + i * GROUP
            struct.pack_into("<I", b, r + 28, check(b, r, GROUP, 28, [string_bytes(b, off, r)]))
        for i in range(m):
            r = off["members"] + i * MEMBER
            struct.pack_into("<I", b, r + 32, check(b, r, MEMBER, 32, [string_bytes(b, off, r)]))
    # The checksum reads itself and the state word (offset 92) as zero.
    zeroed = bytearray(b)
    struct.pack_into("<Q", zeroed, 24, 0)
    if len(zeroed) >= 96:
        struct.pack_into("<I", zeroed, 92, 0)
    struct.pack_into("<Q", b, 24, fnv(zeroed))
    return b


def account(name, uid, gid, vis, windows=(), gecos="", home=None, shell="/bin/sh"):
    return {"name": name, "uid": uid, "gid": gid, "vis": vis, "windows": list(windows),
            "gecos": gecos, "home": home or "/home/" + name, "shell": shell}


def basic():
    """ci, deploy (granted), ops (always, standing member of jit-ops); alice
    (not a jit account) in jit-sudo by grant."""
    accounts = [account("ci", 61001, 62101, GRANTED, [(T + 3600, T + 7200)]),
                account("deploy", 61000, 62100, GRANTED, [(T - 60, T + 1800)], "Deploy bot",
                        "/srv/deploy", "/bin/bash"),
                account("ops", 61002, 62102, ALWAYS)]
    groups = [{"name": "ci", "gid": 62101, "kind": PRIVATE, "owner": 0},
              {"name": "deploy", "gid": 62100, "kind": PRIVATE, "owner": 1},
              {"name": "jit-ops", "gid": 62001, "kind": JIT, "first": 0, "count": 2},
              {"name": "jit-sudo", "gid": 62000, "kind": JIT, "first": 2, "count": 2},
              {"name": "ops", "gid": 62102, "kind": PRIVATE, "owner": 2, "first": 4}]
    members = [{"name": "alice", "group": 3, "nb": T - 60, "na": T + 900},
               {"name": "ci", "group": 2, "account": 0, "nb": T + 3600, "na": T + 7200},
               {"name": "deploy", "group": 3, "account": 1, "nb": T - 60, "na": T + 1800},
               {"name": "ops", "group": 2, "account": 2, "nb": MIN64, "na": MAX64}]
    return build(accounts, groups, members, [1, 3, 0, 2], [1, 0, 2], [3, 2, 1, 0, 4])


def many(count):
    accounts = [account("u%04d" % i, 63000 + i, 63000 + i, GRANTED if i % 2 else ALWAYS,
                        [(T, T + 60 * (i + 1))] if i % 2 else []) for i in range(count)]
    groups = [{"name": a["name"], "gid": a["gid"], "kind": PRIVATE, "owner": i}
              for i, a in enumerate(accounts)]
    return build(accounts, groups, [], [], list(range(count)), list(range(count)))


def empty():
    return build([], [], [], [], [], [])


# Offsets of account blocks and their parts, in any file.
def block_at(b, i):
    off = layout(*struct.unpack_from("<5I", b, 40))
    return off["blocks"] + UNIT * u32(b, off["accounts"] + 4 * i)


def block_used(b, r):
    lens = struct.unpack_from("<4H", b, r + 24)
    return BLOCK_HEADER + WINDOW * u32(b, r + 12) + sum(lens) + 4


def text_at(b, i, k):
    """Offset of account i's k-th string: name, gecos, home, shell."""
    r = block_at(b, i)
    at = r + BLOCK_HEADER + WINDOW * u32(b, r + 12)
    for j in range(k):
        at += struct.unpack_from("<H", b, r + 24 + 2 * j)[0] + 1
    return at


def grp_at(b, i):
    a, g, w, m, s = struct.unpack_from("<5I", b, 40)
    return layout(a, g, w, m, s)["groups"] + i * GROUP


def mem_at(b, i):
    a, g, w, m, s = struct.unpack_from("<5I", b, 40)
    return layout(a, g, w, m, s)["members"] + i * MEMBER


def edit(b, fn, sealed=True, records=True):
    b = bytearray(b)
    fn(b)
    return seal(b, records) if sealed else b


def hash_table(b, which):
    """(offset, slots) of HASH table 0..3: account names, uids, group names, gids."""
    a, g, w, m, s = struct.unpack_from("<5I", b, 40)
    off = layout(a, g, w, m, s)
    key = ("name_hash", "uid_hash", "group_hash", "gid_hash")[which]
    return off[key], off["account_slots" if which < 2 else "group_slots"]


def ref_of(b, which, record):
    """What a slot holds for a record: i + 1, or for accounts position + 1."""
    if which >= 2:
        return record + 1
    off = layout(*struct.unpack_from("<5I", b, 40))
    return u32(b, off["accounts"] + 4 * record) + 1


def slot_of(b, which, record):
    """Offset of the slot's reference word (an account slot's second u32)."""
    at, n = hash_table(b, which)
    width = 8 if which < 2 else 4
    for k in range(n):
        if u32(b, at + width * k + width - 4) == ref_of(b, which, record):
            return at + width * k + width - 4
    raise ValueError("record %d not in table %d" % (record, which))


def redirect_hash_slot(b, which, record, to):
    struct.pack_into("<I", b, slot_of(b, which, record), ref_of(b, which, to))


def clear_hash_slot(b, which, record):
    at = slot_of(b, which, record)
    struct.pack_into("<I", b, at, 0)
    if which < 2:
        struct.pack_into("<I", b, at - 4, 0)  # an empty slot has no tag


def strings_off(b):
    return u32(b, 88)


def bad_seeds():
    base = basic()
    p32 = lambda at, v: (lambda b: struct.pack_into("<I", b, at, v))
    yield "bad-magic", "not JIT-NSS", edit(base, lambda b: b.__setitem__(0, ord("X")))
    yield "bad-version", "version 1 (before the hash tables)", edit(base, p32(8, 1))
    yield "bad-header-size", "header_size 100", edit(base, p32(12, 100))
    yield "bad-total-size", "total_size one too many", edit(
        base, lambda b: struct.pack_into("<Q", b, 16, len(b) + 1))
    yield "bad-state", "state word neither 0 nor the superseded mark", edit(base, p32(92, 1))
    yield "bad-offsets", "uid index not where the layout puts it", edit(
        base, lambda b: struct.pack_into("<I", b, 64, u32(b, 64) + 8))
    yield "bad-count-over-limit", "account_count above the limit", edit(base, p32(40, (1 << 20) + 1))
    yield "bad-truncated", "the last 9 bytes cut off", bytes(base[:-9])
    yield "bad-trailing-bytes", "8 bytes after the string table", bytes(base) + b"\0" * 8
    yield "bad-checksum", "one string byte changed, checksum not updated", edit(
        base, lambda b: b.__setitem__(len(b) - 2, b[len(b) - 2] ^ 1), sealed=False)
    dep = block_at(base, 1)
    yield "bad-record-check", "deploy's uid changed, only the file checksum updated", edit(
        base, p32(dep, 61009), records=False)
    yield "bad-uid-zero", "deploy has uid 0", edit(base, p32(dep, 0))
    yield "bad-visibility", "visibility 3", edit(base, p32(dep + 8, 3))
    yield "bad-always-with-window", "ops is always visible and has a window", edit(
        base, p32(block_at(base, 2) + 12, 1))
    yield "bad-block-index", "deploy's block carries ci's index", edit(base, p32(dep + 16, 0))
    yield "bad-block-padding", "a non-zero byte after deploy's shell", edit(
        base, lambda b: b.__setitem__(dep + block_used(b, dep), 1))
    yield "bad-gecos-colon", "':' in deploy's gecos", edit(
        base, lambda b: b.__setitem__(text_at(b, 1, 1), ord(":")))
    yield "bad-name-upper", "upper case in ci's name", edit(
        base, lambda b: b.__setitem__(text_at(b, 0, 0), ord("C")))
    yield "bad-string-past-end", "a name longer than the block area", edit(
        base, lambda b: struct.pack_into("<H", b, dep + 24, 1000))
    yield "bad-duplicate-uid", "ci and deploy share uid 61000", edit(
        base, p32(block_at(base, 0), 61000))
    yield "bad-accounts-unsorted", "ci renamed zz", edit(
        base, lambda b: b.__setitem__(slice(text_at(b, 0, 0), text_at(b, 0, 0) + 2), b"zz"))
    yield "bad-window-empty", "deploy's window ends where it starts", edit(
        base, lambda b: struct.pack_into("<q", b, dep + BLOCK_HEADER + 8, T - 60))
    yield "bad-private-group-gid", "deploy's private group has another gid", edit(
        base, lambda b: struct.pack_into("<I", b, grp_at(b, 1) + 8, 62555))
    yield "bad-member-of-private-group", "alice a member of deploy's private group", edit(
        base, lambda b: struct.pack_into("<I", b, mem_at(b, 0) + 8, 1))
    yield "bad-member-account-ref", "deploy's membership does not reference deploy", edit(
        base, lambda b: struct.pack_into("<I", b, mem_at(b, 2) + 12, NO_ACCOUNT))
    yield "bad-group-index-other-group", "jit-sudo's index points at a jit-ops membership", edit(
        base, lambda b: struct.pack_into("<I", b, u32(b, 84) + 4 * 2, 1))
    yield "bad-hash-wrong-slot", "deploy's name slot names ci instead", edit(
        base, lambda b: redirect_hash_slot(b, 0, 1, 0))
    yield "bad-hash-missing", "ops' uid slot emptied", edit(base, lambda b: clear_hash_slot(b, 1, 2))
    yield "bad-padding", "a padding byte after the gid index", edit(
        base, lambda b: b.__setitem__(u32(b, 72) + 20, 1))
    yield "bad-hash-tag", "deploy's name slot has another tag", edit(
        base, lambda b: struct.pack_into("<I", b, slot_of(b, 0, 1) - 4,
                                         u32(b, slot_of(b, 0, 1) - 4) ^ 1))


def write(out_dir, name, why, data):
    lines = ["# %s" % why, "# generated by tests/fuzz/snapshot_seeds.py; %d bytes" % len(data)]
    for i in range(0, len(data), 16):
        lines.append(" ".join("%02x" % x for x in data[i:i + 16]))
    with open(os.path.join(out_dir, name + ".hex"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "snapshot")
    os.makedirs(out_dir, exist_ok=True)
    write(out_dir, "ok-empty", "a valid snapshot with nothing in it", empty())
    write(out_dir, "ok-basic", "granted, scheduled and always accounts, jit groups, "
          "a non-jit member", basic())
    write(out_dir, "ok-many", "40 accounts, half granted with one window", many(40))
    write(out_dir, "ok-superseded", "ok-basic as its writer leaves it once replaced: "
          "state word 'O' (checksum unchanged)",
          edit(basic(), lambda b: b.__setitem__(92, ord("O")), sealed=False))
    for name, why, data in bad_seeds():
        write(out_dir, name, why, data)


if __name__ == "__main__":
    main()

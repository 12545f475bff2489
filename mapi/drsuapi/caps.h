#pragma once

// Caps on every count a DRSUAPI stub carries. Each is checked when the count is read, before
// anything is allocated or copied; a count over its cap makes the stub malformed (an error that
// names the field). The defaults fit the encryption service: one account per request
// (cMaxObjects 1), its few dozen attributes, secrets of at most a few KiB (a
// supplementalCredentials value is about 1 KiB). MS-DRSR's own [range] limits are far looser (e.g.
// 26,214,400 bytes for one ATTRVAL, 5.16); the caps keep a hostile or confused DC from making us
// hold that much.

#include <cstdint>

namespace bh::mapi::drsuapi {

struct Caps {
  uint32_t maxExtensionBytes = 1024;  ///< DRS_EXTENSIONS.cb (5.38: range 1..10,000)
  uint32_t maxNames = 64;             ///< DsCrackNames cNames / cItems (4.1.4.1.2: 1..10,000)
  uint32_t maxNameChars = 2048;       ///< any string, DSNAME.NameLen (5.50)
  uint32_t maxPrefixEntries = 512;    ///< SCHEMA_PREFIX_TABLE.PrefixCount (Windows: ~40-300)
  uint32_t maxOidBytes = 64;          ///< OID_t.length (5.142: range 0..10,000)
  uint32_t maxObjects = 16;           ///< REPLENTINFLIST entries; also bounds the list's nesting
  uint32_t maxAttributes = 1024;      ///< ATTRBLOCK.attrCount, PROPERTY_META_DATA_EXT_VECTOR
  uint32_t maxValuesPerAttribute = 1024;  ///< ATTRVALBLOCK.valCount
  uint32_t maxTotalValues = 8192;         ///< attribute values in one reply, all objects together
  uint32_t maxValueBytes = 1 << 20;       ///< ATTRVAL.valLen (secure/replication's cap too)
  uint32_t maxCursors = 1024;             ///< up-to-date vector cursors
  uint32_t maxPartialAttrs = 1024;        ///< PARTIAL_ATTR_VECTOR_V1_EXT.cAttrs
  uint32_t maxLinkedValues = 1024;        ///< DRS_MSG_GETCHGREPLY_V6.cNumValues
};

}  // namespace bh::mapi::drsuapi

#include "policy/show_dynamic_rules.h"

#include <cstdio>

#include "common/text_column.h"

namespace bh::policy {
namespace {

using nlohmann::json;

// WAAS numbers its match types; ours are the two a learned rule can have.
constexpr const char* kTypeNames[] = {"None",        "Clean-Up",    "Host->Host",
                                      "Host->Local", "Local->Host", "Local->Any",
                                      "Any->Host",   "Any->Local",  "Any->Any"};
constexpr int kHostToHost = 2;
constexpr int kAnyToHost = 6;

int typeOf(const DynamicRule& r) {
  return r.key.src ? kHostToHost : kAnyToHost;
}

std::string hostText(const IpAddress& a) {
  return a.isV4() ? a.toString() : "[" + a.toString() + "]";
}

std::string endpoint(const IpAddress& a, uint16_t port) {
  return hostText(a) + ":" + std::to_string(port);
}

std::string srcText(const DynamicRule& r) {
  return r.key.src ? hostText(*r.key.src) + ":ANY" : "ANY:ANY";
}

int64_t secondsLeft(const DynamicRule& r, MonoTime now) {
  auto e = r.expiry();
  if (!e) {
    return -1;
  }
  auto left = std::chrono::duration_cast<std::chrono::seconds>(*e - now).count();
  return left < 0 ? 0 : left;
}

}  // namespace

std::string showDynamicRules(const DynamicRules& rules) {
  auto list = rules.rules();
  MonoTime now = rules.now();
  std::string o;
  char buf[256];
  o += "Dynamic Match Freelist Information:\n";
  std::snprintf(buf, sizeof(buf),
                "  Allocated: %zu   In Use: %zu   Max In Use: %zu   Allocations: %llu\n",
                rules.capacity(), rules.size(), rules.maxInUse(),
                static_cast<unsigned long long>(rules.allocations()));
  o += buf;
  o += "Dynamic Match Type/Count Information:\n";
  size_t counts[9] = {};
  for (const DynamicRule* r : list) {
    ++counts[typeOf(*r)];
  }
  for (int t = 0; t < 9; ++t) {
    o += "  " + padRight(kTypeNames[t], 12) + std::to_string(counts[t]) + "\n";
  }
  o += "Individual Dynamic Match Information:\n";
  size_t n = 0;
  for (const DynamicRule* r : list) {
    ++n;
    int type = typeOf(*r);
    std::snprintf(buf, sizeof(buf), " Number: %4zu   Type: %s (%d)  User Id: %s\n", n,
                  kTypeNames[type], type, r->userId.c_str());
    o += buf;
    o += "   Src: " + padRight(srcText(*r), 24) + " Dst: " + endpoint(r->key.dst, r->key.dstPort) +
         "\n";
    o += "   Map Name: " + r->mapName + "\n";
    o += "   Flags: TIME_LMT REPLACE FLOW_CNT\n";
    int64_t left = secondsLeft(*r, now);
    o += "   Seconds: " + std::to_string(r->lifetime.count()) +
         "  Remaining: " + (left < 0 ? std::string("- NA -") : std::to_string(left)) + "\n";
    o += "   Hits: " + std::to_string(r->hits) + "  Flows: " + std::to_string(r->flows) + "\n";
  }
  return o;
}

json dynamicRulesJson(const DynamicRules& rules) {
  MonoTime now = rules.now();
  json list = json::array();
  for (const DynamicRule* r : rules.rules()) {
    int64_t left = secondsLeft(*r, now);
    list.push_back({{"number", r->number},
                    {"type", kTypeNames[typeOf(*r)]},
                    {"user_id", r->userId},
                    {"src", r->key.src ? json(r->key.src->toString()) : json(nullptr)},
                    {"dst", r->key.dst.toString()},
                    {"dst_port", r->key.dstPort},
                    {"map_name", r->mapName},
                    {"application", r->application},
                    {"action", actionName(r->action)},
                    {"accelerate", acceleratorName(r->accelerator)},
                    {"lifetime_seconds", r->lifetime.count()},
                    {"remaining_seconds", left < 0 ? json(nullptr) : json(left)},
                    {"age_seconds",
                     std::chrono::duration_cast<std::chrono::seconds>(now - r->created).count()},
                    {"hits", r->hits},
                    {"flows", r->flows}});
  }
  return {{"allocated", rules.capacity()},  {"in_use", rules.size()},
          {"max_in_use", rules.maxInUse()}, {"allocations", rules.allocations()},
          {"evictions", rules.evictions()}, {"rules", list}};
}

}  // namespace bh::policy

#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "policy/policy.h"
#include "policy/result.h"

namespace bh::policy {

/// The live policy. reload() validates the new text completely before swapping, so a bad file
/// leaves the running policy in place; flows keep the Decision they were given either way.
class PolicyHolder {
 public:
  explicit PolicyHolder(PolicyPtr initial);

  /// The current policy; callers keep the pointer for as long as they use it.
  PolicyPtr current() const;
  /// Loads `text`; on success swaps it in (next generation) and returns it, on failure returns
  /// every error and keeps the old policy.
  Result<PolicyPtr> reload(std::string_view text);
  Result<PolicyPtr> reloadFile(const std::string& path);
  /// Reloads that failed since start (for the status page).
  uint64_t failedReloads() const;

 private:
  Result<PolicyPtr> install(Result<Config> loaded);

  mutable std::mutex mutex_;
  PolicyPtr current_;
  uint64_t failedReloads_ = 0;
};

}  // namespace bh::policy

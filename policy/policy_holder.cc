#include "policy/policy_holder.h"

#include "policy/config_loader.h"

namespace bh::policy {

PolicyHolder::PolicyHolder(PolicyPtr initial) : current_(std::move(initial)) {}

PolicyPtr PolicyHolder::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

Result<PolicyPtr> PolicyHolder::reload(std::string_view text) {
  return install(loadConfig(text));
}

Result<PolicyPtr> PolicyHolder::reloadFile(const std::string& path) {
  return install(loadConfigFile(path));
}

uint64_t PolicyHolder::failedReloads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failedReloads_;
}

Result<PolicyPtr> PolicyHolder::install(Result<Config> loaded) {
  uint64_t next = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    next = current_ ? current_->generation() + 1 : 1;
    if (!loaded.ok()) {
      ++failedReloads_;
      return Result<PolicyPtr>::failure(loaded.errors());
    }
  }
  // Build outside the lock; only the pointer swap is serialised.
  auto built = Policy::create(std::move(loaded).value(), next);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!built.ok()) {
    ++failedReloads_;
    return built;
  }
  current_ = built.value();
  return built;
}

}  // namespace bh::policy

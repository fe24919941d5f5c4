#include "strategies/plugin/catalog.hpp"

#include <mutex>

namespace be::plugin {
namespace {

struct Catalog {
  std::mutex mutex;
  std::shared_ptr<const Plugins> plugins = std::make_shared<const Plugins>();
  std::vector<std::string> refused;
};

Catalog& catalog() {
  static Catalog c;
  return c;
}

}  // namespace

void install(Plugins plugins) {
  auto fresh = std::make_shared<const Plugins>(std::move(plugins));
  std::lock_guard lock(catalog().mutex);
  catalog().plugins = std::move(fresh);
}

std::shared_ptr<const Plugins> installed() {
  std::lock_guard lock(catalog().mutex);
  return catalog().plugins;
}

const LoadedPlugin* find(const Plugins& plugins, std::string_view name) noexcept {
  for (const LoadedPlugin& p : plugins)
    if (p.name == name) return &p;
  return nullptr;
}

void note_refused_build(std::string message) {
  std::lock_guard lock(catalog().mutex);
  catalog().refused.push_back(std::move(message));
}

std::optional<std::string> take_refused_build() {
  std::lock_guard lock(catalog().mutex);
  if (catalog().refused.empty()) return std::nullopt;
  std::string first = std::move(catalog().refused.front());
  catalog().refused.clear();
  return first;
}

}  // namespace be::plugin

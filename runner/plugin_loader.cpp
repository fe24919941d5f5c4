#include "runner/plugin_loader.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/json_config.hpp"
#include "feed/import/checksum.hpp"

namespace be::cli {
namespace {

// Reads the whole open file; nullopt on a read error.
std::optional<std::string> read_all(int fd) {
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) return bytes;
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    bytes.append(buffer, static_cast<std::size_t>(n));
  }
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// The first callback the table lacks, or nullptr when it is complete.
const char* missing_callback(const be_plugin& p) {
  struct Named {
    bool present;
    const char* name;
  };
  const Named callbacks[] = {
      {p.create != nullptr, "create"},
      {p.destroy != nullptr, "destroy"},
      {p.on_start != nullptr, "on_start"},
      {p.on_bar != nullptr, "on_bar"},
      {p.on_trade != nullptr, "on_trade"},
      {p.on_quote != nullptr, "on_quote"},
      {p.on_fill != nullptr, "on_fill"},
      {p.on_order_update != nullptr, "on_order_update"},
      {p.on_timer != nullptr, "on_timer"},
      {p.on_condition != nullptr, "on_condition"},
      {p.on_schedule_change != nullptr, "on_schedule_change"},
      {p.on_stop != nullptr, "on_stop"},
      {p.save_state != nullptr, "save_state"},
      {p.load_state != nullptr, "load_state"},
  };
  for (const Named& c : callbacks)
    if (!c.present) return c.name;
  return nullptr;
}

}  // namespace

Expected<plugin::LoadedPlugin, std::string> load_plugin(const std::string& name,
                                                        const std::string& path) {
  const std::string who = "plugin \"" + name + "\" (" + path + ")";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unexpected(who + ": cannot open: " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  const auto bytes = read_all(fd);
  if (!bytes) return Unexpected(who + ": cannot read: " + std::strerror(errno));
  plugin::LoadedPlugin loaded;
  loaded.name = name;
  loaded.path = path;
  loaded.sha256 = feed::import::sha256_hex(*bytes);
  // What runs is what was hashed: the bytes just read go into a private memory file that is
  // opened as the library, never the path again (the file could change in between). It
  // stays open for the life of the process, so its /proc/self/fd name is never reused: the
  // dynamic loader takes a name it has seen for the library it loaded under that name.
  const int image = ::memfd_create(("botengine-plugin-" + name).c_str(), MFD_CLOEXEC);
  if (image < 0) return Unexpected(who + ": memfd_create: " + std::strerror(errno));
  if (!write_all(image, *bytes)) {
    const std::string why = std::strerror(errno);
    ::close(image);
    return Unexpected(who + ": cannot copy it for loading: " + why);
  }
  const std::string self = "/proc/self/fd/" + std::to_string(image);
  void* handle = ::dlopen(self.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    ::close(image);
    return Unexpected(who + ": not a loadable shared library: " + (why ? why : "dlopen failed"));
  }
  const auto refuse = [&](const std::string& why) {
    ::dlclose(handle);
    ::close(image);
    return Unexpected(who + ": " + why);
  };
  void* entry = ::dlsym(handle, BE_SDK_ENTRY_SYMBOL);
  if (entry == nullptr) {
    return refuse("not a botengine plugin: it exports no " BE_SDK_ENTRY_SYMBOL
                  " (BOTENGINE_PLUGIN in botengine/sdk.hpp defines it)");
  }
  const be_plugin* api = reinterpret_cast<be_plugin_entry_fn>(entry)();
  if (api == nullptr) return refuse(BE_SDK_ENTRY_SYMBOL " returned no plugin table");
  if (api->abi_version != BE_SDK_ABI_VERSION) {
    return refuse("built for plugin ABI version " + std::to_string(api->abi_version) +
                  ", but this engine speaks version " + std::to_string(BE_SDK_ABI_VERSION) +
                  ": rebuild it against this engine's SDK (find_package(botengine_sdk))");
  }
  if (api->struct_size < sizeof(be_plugin)) {
    return refuse("its plugin table is " + std::to_string(api->struct_size) + " bytes, ABI " +
                  std::to_string(BE_SDK_ABI_VERSION) + " has " + std::to_string(sizeof(be_plugin)));
  }
  if (const char* missing = missing_callback(*api)) {
    return refuse(std::string("its plugin table has no ") + missing + " callback");
  }
  loaded.api = api;
  return loaded;  // the library (and its image) stay loaded: bots will hold its functions
}

Expected<plugin::Plugins, std::string> load_plugins(std::string_view deployment_json) {
  plugin::Plugins out;
  auto root = config::parse(deployment_json);
  if (!root) return Unexpected(root.error());
  const config::Value* plugins =
      root->kind == config::Value::Kind::kObject ? root->find("plugins") : nullptr;
  if (plugins == nullptr) return out;
  if (plugins->kind != config::Value::Kind::kObject) {
    return Unexpected(std::string("plugins: must be an object of name: library path"));
  }
  for (std::size_t i = 0; i < plugins->keys.size(); ++i) {
    const std::string& name = plugins->keys[i];
    const config::Value& path = plugins->values[i];
    if (config::blank(name)) return Unexpected(std::string("plugins: a name must not be blank"));
    if (path.kind != config::Value::Kind::kString || config::blank(path.text)) {
      return Unexpected("plugins." + name + ": must be the library's path (a string)");
    }
    if (plugin::find(out, name) != nullptr) {
      return Unexpected("plugins." + name + ": named twice");
    }
    auto loaded = load_plugin(name, path.text);
    if (!loaded) return Unexpected(std::move(loaded.error()));
    out.push_back(std::move(*loaded));
  }
  return out;
}

Expected<bool, std::string> install_plugins(std::string_view deployment_json,
                                            std::string_view what) {
  auto loaded = load_plugins(deployment_json);
  if (!loaded) return Unexpected(std::string(what) + ": " + loaded.error());
  plugin::install(std::move(*loaded));
  return true;
}

}  // namespace be::cli

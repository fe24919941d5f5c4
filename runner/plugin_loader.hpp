// Loading the plugins a deployment config names (docs/STRATEGIES.md "Plugins", CONFIG.md
// "plugins"):
//
//   "plugins": {"rsi": "/opt/botengine/plugins/rsi_plugin.so"}
//
// Each library is read once (its SHA-256 is the build the engine journals with every plugin
// bot), then loaded from a private in-memory copy of exactly those bytes (memfd, so the code
// that runs is the code hashed even if the file changes meanwhile, and loading a rebuilt file
// at the same path gives the new code), its entry point looked up (BE_SDK_ENTRY_SYMBOL) and its ABI
// version checked against this engine's BE_SDK_ABI_VERSION. Libraries stay loaded for the life of
// the process: bots hold their functions.
//
// Only the runner loads plugins, and only from a deployment config an operator wrote (run, a
// journal's recorded config for replay, --config for a capture replay): plugins are native
// code outside the script sandbox, so the control API can name a loaded plugin in a bot
// config but never load one. Relative paths are the working directory's.
//
// Errors name the plugin and its path: the file is missing or unreadable, not a shared
// library, not a botengine plugin (no entry point), a different ABI version, or a table with
// missing callbacks.
#pragma once

#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "strategies/plugin/catalog.hpp"

namespace be::cli {

Expected<plugin::LoadedPlugin, std::string> load_plugin(const std::string& name,
                                                        const std::string& path);
// Every plugin of the config's "plugins" object (none when the key is absent).
Expected<plugin::Plugins, std::string> load_plugins(std::string_view deployment_json);
// load_plugins, then plugin::install; `what` prefixes errors ("deployment.json: ...").
Expected<bool, std::string> install_plugins(std::string_view deployment_json,
                                            std::string_view what);

}  // namespace be::cli

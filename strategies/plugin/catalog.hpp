// The plugins this process loaded, by the name the deployment config gives them, and the
// builds a journal named that they are not.
//
// The runner loads plugins (runner/plugin_loader.hpp: dlopen, the ABI check, the SHA-256 of
// the library) from the deployment config before any engine, replay or backtest starts, and
// installs them here; the `plugin` bot type (plugin_bot.hpp) finds them by name. Nothing here
// loads or reads files: this layer only calls the function pointers it is handed.
//
// Thread-safety: install() and the refusal list take a mutex; find() returns a snapshot that
// stays valid while the caller holds it. Control path only (bot creation), never per input.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/include/botengine/sdk.h"

namespace be::plugin {

struct LoadedPlugin {
  std::string name;    // the deployment config's key
  std::string path;    // the library, as the config named it
  std::string sha256;  // of the library's bytes, lower-case hex: the build journaled
  const be_plugin* api = nullptr;
};

using Plugins = std::vector<LoadedPlugin>;

// Replaces the process's plugins (the libraries stay loaded: bots hold their functions).
void install(Plugins plugins);
// The installed plugins (empty when none).
std::shared_ptr<const Plugins> installed();
// The plugin named `name` in `plugins`, or nullptr.
const LoadedPlugin* find(const Plugins& plugins, std::string_view name) noexcept;

// A journaled bot config naming a build other than the loaded one was refused (plugin_bot.cpp
// notes it with both hashes). A recovery or replay that met one must stop rather than go on
// without the bot: Engine::open and `botengine replay` take the notes and fail with the first.
void note_refused_build(std::string message);
std::optional<std::string> take_refused_build();

}  // namespace be::plugin

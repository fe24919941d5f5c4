// A plugin built for another ABI version: the loader must refuse it before using any field
// past abi_version.
#include <botengine/sdk.h>

extern "C" __attribute__((visibility("default"))) const be_plugin* be_plugin_entry(void) {
  // Only the first fields matter: the loader must stop at abi_version.
  static be_plugin table{};
  table.abi_version = BE_SDK_ABI_VERSION + 41;
  table.struct_size = sizeof(be_plugin);
  table.name = "future";
  return &table;
}

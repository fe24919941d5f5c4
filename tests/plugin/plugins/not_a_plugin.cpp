// A shared library without the plugin entry point: loadable, but not a botengine plugin.
extern "C" __attribute__((visibility("default"))) int be_something_else(void) {
  return 1;
}

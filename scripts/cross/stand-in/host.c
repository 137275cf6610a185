/* Loads a Node-API addon the way node does, where node itself cannot run (musl here: this machine
 * has no node for it): dlopen with every symbol bound at once (RTLD_NOW), so each of its imports
 * must be found in the C library or in libnode-stand-in.so (the functions Node's headers declare),
 * then its napi_register_module_v1. The stand-in fails the addon's first real Node-API call, so the
 * addon's initialisation throws a C++ exception, which node-addon-api must catch and hand to
 * napi_throw: that exercises the addon's C++ runtime (static initialisers, exceptions, unwinding).
 *
 *   host <addon.node>      prints one JSON line; exit 0 when the addon loaded and returned
 *
 * Exit 1: dlopen or dlsym failed (the message says why); 3: the addon called napi_fatal_error. A
 * crash (an exception nothing caught, a missing symbol found late) is a signal. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

int stand_in_calls(void);
const char* stand_in_first_failed(void);
const char* stand_in_thrown(void);

static void print_json_string(const char* s) {
  if (s == NULL) {
    fputs("null", stdout);
    return;
  }
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') printf("\\%c", *s);
    else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
    else putchar(*s);
  }
  putchar('"');
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: host <addon.node>\n");
    return 2;
  }
  void* addon = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (addon == NULL) {
    fputs("{\"loaded\":false,\"error\":", stdout);
    print_json_string(dlerror());
    puts("}");
    return 1;
  }
  typedef void* (*init_t)(void* env, void* exports);
  typedef int32_t (*version_t)(void);
  init_t init = (init_t)dlsym(addon, "napi_register_module_v1");
  version_t version = (version_t)dlsym(addon, "node_api_module_get_api_version_v1");
  if (init == NULL) {
    puts("{\"loaded\":true,\"error\":\"no napi_register_module_v1\"}");
    return 1;
  }
  static int env, exports;
  void* returned = init(&env, &exports);
  printf("{\"loaded\":true,\"apiVersion\":%d,\"returnedExports\":%s,\"napiCalls\":%d,\"firstFailed\":", version ? version() : -1,
         returned == &exports ? "true" : "false", stand_in_calls());
  print_json_string(stand_in_first_failed());
  fputs(",\"thrown\":", stdout);
  print_json_string(stand_in_thrown());
  puts("}");
  return 0;
}

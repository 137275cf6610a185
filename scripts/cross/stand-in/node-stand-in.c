/* The Node-API functions an addon's failed initialisation goes through, done just enough to follow
 * it: creating a string and an Error from it, referencing the Error, handle scopes, throwing it.
 * Every other Node-API and libuv function is a stub that fails (stubs.c, generated from Node's
 * headers by gen-stubs.js). Together they are libnode-stand-in.so, which host.c links to, so that an
 * addon's undefined Node-API symbols resolve there as they would against the node executable.
 *
 * Written against the Node-API ABI (C linkage, pointer-sized handles, napi_status an int), not
 * Node's headers, so that it builds with any version of them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

enum { napi_ok = 0, napi_generic_failure = 9 };

/* A "JavaScript value": what the stand-in keeps of strings and errors is their text. */
typedef struct {
  char text[256];
} value_t;

static value_t values[64];
static int used_values;
static int dummy_handle;
static int calls;
static char first_failed[64];
static char thrown[256];
static int throws;

static value_t* new_value(const char* text, size_t length) {
  value_t* v = &values[used_values < 63 ? used_values++ : 63];
  if (length > sizeof(v->text) - 1) length = sizeof(v->text) - 1;
  memcpy(v->text, text, length);
  v->text[length] = 0;
  return v;
}

/* What the host reads after the addon's napi_register_module_v1 returned. */
EXPORT int stand_in_calls(void) { return calls; }
EXPORT const char* stand_in_first_failed(void) { return first_failed; }
EXPORT const char* stand_in_thrown(void) { return throws > 0 ? thrown : NULL; }

/* Called by every generated stub: counts the call, remembers the first one, fails. */
EXPORT int stand_in_fail(const char* name) {
  calls++;
  if (first_failed[0] == 0) snprintf(first_failed, sizeof(first_failed), "%s", name);
  return napi_generic_failure;
}

EXPORT void stand_in_uv(const char* name) {
  calls++;
  if (first_failed[0] == 0) snprintf(first_failed, sizeof(first_failed), "%s", name);
}

typedef struct {
  const char* error_message;
  void* engine_reserved;
  uint32_t engine_error_code;
  int error_code;
} extended_error_info_t;

EXPORT int napi_get_last_error_info(void* env, const extended_error_info_t** result) {
  static const extended_error_info_t info = {"the stand-in for node cannot do that", NULL, 0, napi_generic_failure};
  calls++;
  *result = &info;
  return napi_ok;
}

EXPORT int napi_is_exception_pending(void* env, _Bool* result) {
  calls++;
  *result = throws > 0;
  return napi_ok;
}

EXPORT int napi_create_string_utf8(void* env, const char* str, size_t length, void** result) {
  calls++;
  *result = new_value(str, length == (size_t)-1 ? strlen(str) : length);
  return napi_ok;
}

static int create_error(void* message, void** result) {
  calls++;
  *result = new_value(((value_t*)message)->text, strlen(((value_t*)message)->text));
  return napi_ok;
}
EXPORT int napi_create_error(void* env, void* code, void* msg, void** result) { return create_error(msg, result); }
EXPORT int napi_create_type_error(void* env, void* code, void* msg, void** result) { return create_error(msg, result); }
EXPORT int napi_create_range_error(void* env, void* code, void* msg, void** result) { return create_error(msg, result); }

/* A reference is the value itself. */
EXPORT int napi_create_reference(void* env, void* value, uint32_t count, void** result) {
  calls++;
  *result = value;
  return napi_ok;
}
EXPORT int napi_get_reference_value(void* env, void* ref, void** result) {
  calls++;
  *result = ref;
  return napi_ok;
}
EXPORT int napi_delete_reference(void* env, void* ref) {
  calls++;
  return napi_ok;
}
EXPORT int napi_reference_ref(void* env, void* ref, uint32_t* result) {
  calls++;
  if (result) *result = 1;
  return napi_ok;
}
EXPORT int napi_reference_unref(void* env, void* ref, uint32_t* result) {
  calls++;
  if (result) *result = 0;
  return napi_ok;
}

EXPORT int napi_open_handle_scope(void* env, void** result) {
  calls++;
  *result = &dummy_handle;
  return napi_ok;
}
EXPORT int napi_close_handle_scope(void* env, void* scope) {
  calls++;
  return napi_ok;
}
EXPORT int napi_open_escapable_handle_scope(void* env, void** result) { return napi_open_handle_scope(env, result); }
EXPORT int napi_close_escapable_handle_scope(void* env, void* scope) { return napi_close_handle_scope(env, scope); }
EXPORT int napi_escape_handle(void* env, void* scope, void* escapee, void** result) {
  calls++;
  *result = escapee;
  return napi_ok;
}

/* Every value is an object without properties (node-addon-api looks at an Error before throwing it). */
EXPORT int napi_typeof(void* env, void* value, int* result) {
  calls++;
  *result = 6; /* napi_object */
  return napi_ok;
}
EXPORT int napi_has_property(void* env, void* object, void* key, _Bool* result) {
  calls++;
  *result = 0;
  return napi_ok;
}

EXPORT int napi_throw(void* env, void* error) {
  calls++;
  throws++;
  snprintf(thrown, sizeof(thrown), "%s", error ? ((value_t*)error)->text : "(null)");
  return napi_ok;
}
EXPORT int napi_throw_error(void* env, const char* code, const char* msg) {
  calls++;
  throws++;
  snprintf(thrown, sizeof(thrown), "%s", msg ? msg : "(null)");
  return napi_ok;
}

/* An addon gives up: the host reports it (exit 3). */
EXPORT void napi_fatal_error(const char* location, size_t location_len, const char* message, size_t message_len) {
  if (location == NULL) location = "", location_len = 0;
  if (message == NULL) message = "", message_len = 0;
  printf("{\"fatal\":\"%.*s: %.*s\"}\n", (int)(location_len == (size_t)-1 ? strlen(location) : location_len), location,
         (int)(message_len == (size_t)-1 ? strlen(message) : message_len), message);
  fflush(stdout);
  _exit(3);
}

#include "binding/errors.h"

#include <cmath>
#include <cstdio>

namespace rivulet {

namespace {

std::string NumberText(double d) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", d);
  return text;
}

}  // namespace

Napi::Value MakeStorageError(Napi::Env env, const Status& status) {
  Napi::EscapableHandleScope scope(env);
  const Napi::Value code = Napi::String::New(env, status.codeName());
  const Napi::Value message = Napi::String::New(env, status.message());
  const Napi::Value sysErrno = status.sysErrno() != 0 ? Napi::Number::New(env, status.sysErrno()) : env.Undefined();
  const Napi::Value path = status.path().empty() ? env.Undefined() : Napi::String::New(env, status.path());
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data != nullptr && !data->storageErrorClass.IsEmpty()) {
    Napi::Object error = data->storageErrorClass.New({code, message, sysErrno, path});
    if (env.IsExceptionPending()) return Napi::Value();
    return scope.Escape(error);
  }
  Napi::Error error = Napi::Error::New(env, status.message());
  error.Set("code", code);
  error.Set("errno", sysErrno);
  error.Set("path", path);
  if (env.IsExceptionPending()) return Napi::Value();
  return scope.Escape(error.Value());
}

void ThrowStatus(Napi::Env env, const Status& status) {
  Napi::Value error = MakeStorageError(env, status);
  if (error.IsEmpty()) return;  // building it threw: that exception is pending instead
  Napi::Error(env, error).ThrowAsJavaScriptException();
}

void ThrowTypeError(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
}

void ThrowRangeError(Napi::Env env, const std::string& message) {
  Napi::RangeError::New(env, message).ThrowAsJavaScriptException();
}

bool GetInteger(Napi::Env env, Napi::Value value, const char* name, int64_t min, int64_t max, int64_t* out) {
  if (!value.IsNumber()) {
    ThrowTypeError(env, std::string(name) + " must be a number");
    return false;
  }
  const double d = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d) {
    ThrowRangeError(env, std::string(name) + " must be an integer, got " + NumberText(d));
    return false;
  }
  if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
    ThrowRangeError(env, std::string(name) + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                             ", got " + NumberText(d));
    return false;
  }
  *out = static_cast<int64_t>(d);
  return true;
}

bool GetOptionalInteger(Napi::Env env, Napi::Value value, const char* name, int64_t min, int64_t max, int64_t fallback,
                        int64_t* out) {
  if (value.IsUndefined()) {
    *out = fallback;
    return true;
  }
  return GetInteger(env, value, name, min, max, out);
}

bool GetBytes(Napi::Env env, Napi::Value value, const char* name, uint8_t** data, size_t* length, bool* shared) {
  // One napi_get_typedarray_info call (it fails, throwing nothing, for anything else): this is on
  // every append's path.
  napi_typedarray_type type = napi_int8_array;
  void* bytes = nullptr;
  napi_value buffer = nullptr;
  if (value.IsEmpty() || napi_get_typedarray_info(env, value, &type, length, &bytes, &buffer, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    ThrowTypeError(env, std::string(name) + " must be a Uint8Array or Buffer");
    return false;
  }
  *data = static_cast<uint8_t*>(bytes);
  if (shared != nullptr) {
    // A SharedArrayBuffer is not an ArrayBuffer to Node-API; when in doubt, count it shared.
    bool isArrayBuffer = false;
    *shared = napi_is_arraybuffer(env, buffer, &isArrayBuffer) != napi_ok || !isArrayBuffer;
  }
  return true;
}

bool GetString(Napi::Env env, Napi::Value value, const char* name, std::string* out) {
  if (!value.IsString()) {
    ThrowTypeError(env, std::string(name) + " must be a string");
    return false;
  }
  *out = value.As<Napi::String>().Utf8Value();
  return true;
}

Napi::Value RejectedPromise(Napi::Env env, Napi::Value error) {
  if (error.IsEmpty()) error = env.GetAndClearPendingException().Value();
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(error);
  return deferred.Promise();
}

}  // namespace rivulet

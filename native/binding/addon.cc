// Entry point of rivulet_native.node: the module functions of NativeAddon (src/log/native.ts)
// and the Segment class. Only src/log loads it.
#include <napi.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <string>
#include <vector>

#include "binding/dir_lock_wrap.h"
#include "binding/errors.h"
#include "binding/mapping_buffer.h"
#include "binding/segment_wrap.h"
#include "binding/workers.h"
#include "core/crc32c.h"
#include "core/limits.h"

namespace rivulet {

namespace {

constexpr int64_t kMaxCrc = 0xffffffffll;

// The (data, initial = 0) arguments of crc32c and crc32cUsing, from info[at] on; throws and
// returns false when they are not usable.
bool GetCrcArguments(const Napi::CallbackInfo& info, size_t at, uint8_t** data, size_t* length, uint32_t* initial) {
  int64_t value = 0;
  if (!GetBytes(info.Env(), info[at], "data", data, length) ||
      !GetOptionalInteger(info.Env(), info[at + 1], "initial", 0, kMaxCrc, 0, &value)) {
    return false;
  }
  *initial = static_cast<uint32_t>(value);
  return true;
}

// crc32c(data: Uint8Array, initial = 0): number
Napi::Value Crc32cJs(const Napi::CallbackInfo& info) {
  uint8_t* data = nullptr;
  size_t length = 0;
  uint32_t initial = 0;
  if (!GetCrcArguments(info, 0, &data, &length, &initial)) return Napi::Value();
  return Napi::Number::New(info.Env(), Crc32c(initial, data, length));
}

// trimMemory(): boolean. Hands the C heap's free pages back to the system (glibc malloc_trim):
// a transient peak of native allocations (uWebSockets.js's per-socket backpressure buffers, say)
// otherwise stays in the broker's RSS for good. False where there is nothing to call.
Napi::Value TrimMemoryJs(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

// keepLargeBlocksMapped(): boolean. Fixes glibc's mmap threshold at its default 128 KiB, which
// also turns off its dynamic raising. glibc raises the threshold (up to 32 MiB) each time a
// mmapped block is freed, after which megabyte-sized buffers (request and response buffers,
// ArrayBuffer backing stores) come from the heap instead, whose pages it keeps: the broker's RSS
// then steps up for good at its first peak. With the threshold fixed, large blocks stay mapped on
// their own and go back to the system when freed. The broker calls it when it starts; loading the
// addon does not, because an SDK client loads it too (for the CRC) and a library must not change
// its host's allocator: in a consumer, fixed mapping means fresh pages, and a page fault per 4 KiB,
// for every fetch response. False where there is no such setting (not glibc).
Napi::Value KeepLargeBlocksMappedJs(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  static constexpr int kMmapThresholdBytes = 128 * 1024;
  return Napi::Boolean::New(info.Env(), mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes) == 1);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

Napi::Value Crc32cImplJs(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), Crc32cImplName()); }

// crc32cImpls(): string[], every implementation this CPU runs, fastest first (tests check each).
Napi::Value Crc32cImplsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::vector<const char*> names = Crc32cImplNames();
  Napi::Array out = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); i++) out.Set(static_cast<uint32_t>(i), names[i]);
  return out;
}

// crc32cUsing(impl: string, data: Uint8Array, initial = 0): number, with the named implementation.
Napi::Value Crc32cUsingJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) {
    ThrowTypeError(env, "impl must be a string");
    return Napi::Value();
  }
  const std::string wanted = info[0].As<Napi::String>().Utf8Value();
  const std::vector<const char*> names = Crc32cImplNames();
  size_t index = names.size();
  for (size_t i = 0; i < names.size(); i++) {
    if (wanted == names[i]) index = i;
  }
  if (index == names.size()) {
    ThrowRangeError(env, "impl '" + wanted + "' is not one this CPU runs (see crc32cImpls())");
    return Napi::Value();
  }
  uint8_t* data = nullptr;
  size_t length = 0;
  uint32_t initial = 0;
  if (!GetCrcArguments(info, 1, &data, &length, &initial)) return Napi::Value();
  return Napi::Number::New(env, Crc32cUsing(index, initial, data, length));
}

Napi::Value StorageErrorCodesJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array codes = Napi::Array::New(env, kStorageErrorCodeCount);
  for (int i = 0; i < kStorageErrorCodeCount; i++) codes.Set(static_cast<uint32_t>(i), kStorageErrorCodeNames[i]);
  return codes;
}

// viewSpan(): Float64Array, where readSpan leaves [position, length] (see segment_wrap.h).
Napi::Value ViewSpanJs(const Napi::CallbackInfo& info) {
  return info.Env().GetInstanceData<AddonData>()->viewSpanArray.Value();
}

Napi::Value SetStorageErrorClassJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) {
    ThrowTypeError(env, "setStorageErrorClass expects a class");
    return Napi::Value();
  }
  AddonData* data = env.GetInstanceData<AddonData>();
  data->storageErrorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

Napi::Value CollectMappingBuffersSoonJs(const Napi::CallbackInfo& info) {
  CollectMappingBuffersSoon();
  return info.Env().Undefined();
}

// prepareSegment(dir, segmentBytes, indexBytes): Promise<void>. Misuse rejects too, so callers
// handle one failure path.
Napi::Value PrepareSegmentJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir;
  int64_t segmentBytes = 0;
  int64_t indexBytes = 0;
  if (!GetString(env, info[0], "dir", &dir) ||
      !GetInteger(env, info[1], "segmentBytes", kMinSegmentBytes, kMaxSegmentBytes, &segmentBytes) ||
      !GetInteger(env, info[2], "indexBytes", kMinIndexBytes, kMaxIndexBytes, &indexBytes)) {
    return RejectedPromise(env, Napi::Value());
  }
  if (dir.empty()) {
    ThrowRangeError(env, "dir must not be empty");
    return RejectedPromise(env, Napi::Value());
  }
  auto* worker =
      new PrepareWorker(env, std::move(dir), static_cast<uint64_t>(segmentBytes), static_cast<uint64_t>(indexBytes));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData(data);
  Napi::ArrayBuffer spanBuffer = Napi::ArrayBuffer::New(env, 2 * sizeof(double));
  data->viewSpan = static_cast<double*>(spanBuffer.Data());
  data->viewSpanArray = Napi::Persistent(Napi::Float64Array::New(env, 2, spanBuffer, 0));
  exports.Set("Segment", SegmentWrap::Define(env));
  exports.Set("DirLock", DirLockWrap::Define(env));
  exports.Set("prepareSegment", Napi::Function::New(env, PrepareSegmentJs, "prepareSegment"));
  exports.Set("crc32c", Napi::Function::New(env, Crc32cJs, "crc32c"));
  exports.Set("crc32cImpl", Napi::Function::New(env, Crc32cImplJs, "crc32cImpl"));
  exports.Set("crc32cImpls", Napi::Function::New(env, Crc32cImplsJs, "crc32cImpls"));
  exports.Set("crc32cUsing", Napi::Function::New(env, Crc32cUsingJs, "crc32cUsing"));
  exports.Set("trimMemory", Napi::Function::New(env, TrimMemoryJs, "trimMemory"));
  exports.Set("keepLargeBlocksMapped", Napi::Function::New(env, KeepLargeBlocksMappedJs, "keepLargeBlocksMapped"));
  exports.Set("storageErrorCodes", Napi::Function::New(env, StorageErrorCodesJs, "storageErrorCodes"));
  exports.Set("setStorageErrorClass", Napi::Function::New(env, SetStorageErrorClassJs, "setStorageErrorClass"));
  exports.Set("collectMappingBuffersSoon",
              Napi::Function::New(env, CollectMappingBuffersSoonJs, "collectMappingBuffersSoon"));
  exports.Set("viewSpan", Napi::Function::New(env, ViewSpanJs, "viewSpan"));
  return exports;
}

}  // namespace rivulet

// NODE_API_MODULE pastes the function name into an identifier: it needs an unqualified name.
static Napi::Object InitRivuletNative(Napi::Env env, Napi::Object exports) { return rivulet::Init(env, exports); }

NODE_API_MODULE(rivulet_native, InitRivuletNative)

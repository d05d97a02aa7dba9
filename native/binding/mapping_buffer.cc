#include "binding/mapping_buffer.h"

#include <v8.h>

#include <cstring>

namespace rivulet {

#if defined(V8_ENABLE_SANDBOX)

// Memory outside V8's sandbox cannot back a buffer there: reads copy instead (ReadSpan).
Napi::Value NewMappingBuffer(Napi::Env, const std::shared_ptr<MappedFile>&) { return Napi::Value(); }

void CollectMappingBuffersSoon() {}

#else

namespace {

using MappingRef = std::shared_ptr<MappedFile>;

// Runs wherever V8 frees the backing store, a collector thread included: releasing a MappedFile
// is safe on any thread (flush threads do it too).
void ReleaseMapping(void*, size_t, void* hold) { delete static_cast<MappingRef*>(hold); }

// A napi_value is a v8::Local in Node's implementation (v8impl::JsValueFromV8LocalValue), and the
// addon is compiled against the headers of the Node that loads it, so the two agree.
napi_value ToNapiValue(v8::Local<v8::SharedArrayBuffer> local) {
  static_assert(sizeof(napi_value) == sizeof(local), "a napi_value is a V8 handle");
  napi_value value = nullptr;
  std::memcpy(&value, &local, sizeof(value));
  return value;
}

}  // namespace

Napi::Value NewMappingBuffer(Napi::Env env, const MappingRef& file) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  // The pages are mapped read-only: a write through the buffer faults. Past the end of the file
  // they read zeros (MappedFile::ZeroFillPastEnd), so every byte of it can be read.
  void* base = const_cast<uint8_t*>(file->readable());
  std::unique_ptr<v8::BackingStore> store =
      v8::SharedArrayBuffer::NewBackingStore(base, file->mapBytes(), ReleaseMapping, new MappingRef(file));
  return Napi::Value(env, ToNapiValue(v8::SharedArrayBuffer::New(isolate, std::move(store))));
}

void CollectMappingBuffersSoon() {
  // Moderate pressure starts incremental marking, which tasks finish without a long pause.
  v8::Isolate::GetCurrent()->MemoryPressureNotification(v8::MemoryPressureLevel::kModerate);
}

#endif

}  // namespace rivulet

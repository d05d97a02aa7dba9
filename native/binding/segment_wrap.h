// The JavaScript `Segment` class (NativeSegment in src/log/native.ts): argument checks and
// conversions around core/segment.h, nothing else.
//
// Zero-copy reads: readSpan(offset, maxBytes) returns one SharedArrayBuffer spanning the segment's whole
// read-only mapping (the same object on every call) and writes the batches' position and length
// into the addon's view span (viewSpan() in addon.cc); src/log/native.ts slices the Buffer out of
// it. One buffer per mapping, which V8 does not count as memory of its own
// (binding/mapping_buffer.h): a Buffer per read made V8 count every byte read, and collect
// garbage in full every ~64 MiB of views.
#pragma once

#include <napi.h>

#include <memory>

#include "core/segment.h"

namespace rivulet {

class SegmentWrap : public Napi::ObjectWrap<SegmentWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit SegmentWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value GetBaseOffset(const Napi::CallbackInfo& info);
  Napi::Value GetNextOffset(const Napi::CallbackInfo& info);
  Napi::Value GetSize(const Napi::CallbackInfo& info);
  Napi::Value GetMaxTimestamp(const Napi::CallbackInfo& info);
  Napi::Value GetActive(const Napi::CallbackInfo& info);

  Napi::Value Recover(const Napi::CallbackInfo& info);
  Napi::Value Append(const Napi::CallbackInfo& info);
  Napi::Value ReadSpan(const Napi::CallbackInfo& info);
  Napi::Value PositionOf(const Napi::CallbackInfo& info);
  Napi::Value SetCacheTailBytes(const Napi::CallbackInfo& info);
  Napi::Value OffsetForTimestamp(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value TruncateTo(const Napi::CallbackInfo& info);
  Napi::Value Seal(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);

  // The SharedArrayBuffer over the `.log`'s whole read-only mapping, created on the first read;
  // empty when the runtime forbids external buffers (reads then copy).
  Napi::Value Mapping(Napi::Env env, const SegmentView& view);

  // Null only if construction failed (the object is then never handed to JavaScript).
  std::shared_ptr<Segment> segment_;
  // Held while the segment is open, so it is made once per mapping; close() and destroy() let
  // go, and the views sliced from it keep it (and, through it, the mapping) alive.
  Napi::Reference<Napi::Value> mapping_;
};

}  // namespace rivulet

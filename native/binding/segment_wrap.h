// The JavaScript `Segment` class (NativeSegment in src/log/native.ts): argument checks and
// conversions around core/segment.h, nothing else.
//
// Zero-copy reads: readSpan(offset, maxBytes) returns one ArrayBuffer spanning the segment's whole
// read-only mapping (the same object on every call) and writes the batches' position and length
// into the addon's view span (viewSpan() in addon.cc); src/log/native.ts slices the Buffer out of
// it. V8 counts an external ArrayBuffer's whole length as external memory when it is created, and
// collects garbage when that grows by tens of MiB: one ArrayBuffer per mapping costs that once,
// where a Buffer per read cost it on every read (a full collection every ~64 MiB of views).
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
  Napi::Value OffsetForTimestamp(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value TruncateTo(const Napi::CallbackInfo& info);
  Napi::Value Seal(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);

  // The ArrayBuffer over the `.log`'s whole read-only mapping, created on the first read; empty
  // when the runtime forbids external ArrayBuffers (reads then copy).
  Napi::Value Mapping(Napi::Env env, const SegmentView& view);

  // Null only if construction failed (the object is then never handed to JavaScript).
  std::shared_ptr<Segment> segment_;
  // Held while the segment is open, so it is made once per mapping; close() and destroy() let
  // go, and the views sliced from it keep it (and, through it, the mapping) alive.
  Napi::Reference<Napi::ArrayBuffer> mapping_;
};

}  // namespace rivulet

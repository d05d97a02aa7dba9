// The JavaScript `Segment` class (NativeSegment in src/log/native.ts): argument checks and
// conversions around core/segment.h, nothing else.
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
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value PositionOf(const Napi::CallbackInfo& info);
  Napi::Value OffsetForTimestamp(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value TruncateTo(const Napi::CallbackInfo& info);
  Napi::Value Seal(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);

  // Null only if construction failed (the object is then never handed to JavaScript).
  std::shared_ptr<Segment> segment_;
};

}  // namespace rivulet

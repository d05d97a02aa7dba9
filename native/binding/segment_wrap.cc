#include "binding/segment_wrap.h"

#include <cstring>

#include "binding/errors.h"
#include "binding/mapping_buffer.h"
#include "binding/workers.h"
#include "core/limits.h"

namespace rivulet {

namespace {

bool GetOffset(Napi::Env env, Napi::Value value, const char* name, int64_t* out) {
  return GetInteger(env, value, name, 0, kMaxSafeInteger, out);
}

}  // namespace

Napi::Function SegmentWrap::Define(Napi::Env env) {
  return DefineClass(env, "Segment",
                     {
                         InstanceAccessor("baseOffset", &SegmentWrap::GetBaseOffset, nullptr),
                         InstanceAccessor("nextOffset", &SegmentWrap::GetNextOffset, nullptr),
                         InstanceAccessor("size", &SegmentWrap::GetSize, nullptr),
                         InstanceAccessor("maxTimestamp", &SegmentWrap::GetMaxTimestamp, nullptr),
                         InstanceAccessor("active", &SegmentWrap::GetActive, nullptr),
                         InstanceMethod("recover", &SegmentWrap::Recover),
                         InstanceMethod("append", &SegmentWrap::Append),
                         InstanceMethod("readSpan", &SegmentWrap::ReadSpan),
                         InstanceMethod("positionOf", &SegmentWrap::PositionOf),
                         InstanceMethod("setCacheTailBytes", &SegmentWrap::SetCacheTailBytes),
                         InstanceMethod("offsetForTimestamp", &SegmentWrap::OffsetForTimestamp),
                         InstanceMethod("flush", &SegmentWrap::Flush),
                         InstanceMethod("truncateTo", &SegmentWrap::TruncateTo),
                         InstanceMethod("seal", &SegmentWrap::Seal),
                         InstanceMethod("close", &SegmentWrap::Close),
                         InstanceMethod("destroyFiles", &SegmentWrap::Destroy),
                     });
}

SegmentWrap::SegmentWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SegmentWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    ThrowTypeError(env, "Segment options must be an object");
    return;
  }
  Napi::Object opts = info[0].As<Napi::Object>();
  SegmentConfig config;
  int64_t baseOffset = 0;
  int64_t segmentBytes = 0;
  int64_t indexIntervalBytes = 0;
  int64_t indexBytes = 0;
  int64_t cacheTailBytes = -1;
  Napi::Value create = opts.Get("create");
  if (env.IsExceptionPending()) return;
  if (!GetString(env, opts.Get("dir"), "dir", &config.dir) ||
      !GetOffset(env, opts.Get("baseOffset"), "baseOffset", &baseOffset) ||
      !GetInteger(env, opts.Get("segmentBytes"), "segmentBytes", kMinSegmentBytes, kMaxSegmentBytes, &segmentBytes) ||
      !GetInteger(env, opts.Get("indexIntervalBytes"), "indexIntervalBytes", kMinIndexIntervalBytes,
                  kMaxIndexIntervalBytes, &indexIntervalBytes) ||
      !GetInteger(env, opts.Get("indexBytes"), "indexBytes", kMinIndexBytes, kMaxIndexBytes, &indexBytes) ||
      !GetOptionalInteger(env, opts.Get("cacheTailBytes"), "cacheTailBytes", -1, kMaxSafeInteger, -1,
                          &cacheTailBytes)) {
    return;
  }
  if (config.dir.empty()) {
    ThrowRangeError(env, "dir must not be empty");
    return;
  }
  if (!create.IsBoolean()) {
    ThrowTypeError(env, "create must be a boolean");
    return;
  }
  config.baseOffset = baseOffset;
  config.segmentBytes = static_cast<uint64_t>(segmentBytes);
  config.indexIntervalBytes = static_cast<uint64_t>(indexIntervalBytes);
  config.indexBytes = static_cast<uint64_t>(indexBytes);
  config.cacheTailBytes = cacheTailBytes;
  const Status status =
      create.As<Napi::Boolean>().Value() ? Segment::Create(config, &segment_) : Segment::Open(config, &segment_);
  if (!status.ok()) ThrowStatus(env, status);
}

Napi::Value SegmentWrap::GetBaseOffset(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(segment_->baseOffset()));
}

Napi::Value SegmentWrap::GetNextOffset(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(segment_->nextOffset()));
}

Napi::Value SegmentWrap::GetSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(segment_->size()));
}

Napi::Value SegmentWrap::GetMaxTimestamp(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(segment_->maxTimestamp()));
}

Napi::Value SegmentWrap::GetActive(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), segment_->active());
}

Napi::Value SegmentWrap::Recover(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() > 0 && !info[0].IsUndefined() && !info[0].IsBoolean()) {
    ThrowTypeError(env, "recover(full): full must be a boolean");
    return Napi::Value();
  }
  const bool full = info.Length() > 0 && info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value();
  RecoveryReport report;
  const Status status = segment_->Recover(&report, full);
  if (!status.ok()) {
    ThrowStatus(env, status);
    return Napi::Value();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("validBytes", Napi::Number::New(env, static_cast<double>(report.validBytes)));
  result.Set("truncatedBytes", Napi::Number::New(env, static_cast<double>(report.truncatedBytes)));
  result.Set("nextOffset", Napi::Number::New(env, static_cast<double>(report.nextOffset)));
  result.Set("reason", report.stoppedEarly ? Napi::Value(Napi::String::New(env, report.reason)) : env.Null());
  return result;
}

Napi::Value SegmentWrap::Append(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data = nullptr;
  size_t byteLength = 0;
  int64_t start = 0;
  int64_t length = 0;
  bool shared = true;
  if (!GetBytes(env, info[0], "batches", &data, &byteLength, &shared)) return Napi::Value();
  const int64_t total = static_cast<int64_t>(byteLength);
  if (!GetOptionalInteger(env, info[1], "start", 0, total, 0, &start) ||
      !GetOptionalInteger(env, info[2], "length", 0, total - start, total - start, &length)) {
    return Napi::Value();
  }
  int64_t nextOffset = -1;
  const Status status =
      segment_->Append(data + start, static_cast<uint64_t>(length), static_cast<uint64_t>(start), &nextOffset, !shared);
  if (!status.ok()) {
    ThrowStatus(env, status);
    return Napi::Value();
  }
  return Napi::Number::New(env, static_cast<double>(nextOffset));
}

Napi::Value SegmentWrap::Mapping(Napi::Env env, const SegmentView& view) {
  if (!mapping_.IsEmpty()) return mapping_.Value();
  // The mapping is unmapped only after this buffer (so every view sliced from it), the segment
  // and any flush let go of it.
  Napi::Value buffer = NewMappingBuffer(env, view.file);
  if (buffer.IsEmpty()) return buffer;
  mapping_ = Napi::Persistent(buffer);
  return buffer;
}

Napi::Value SegmentWrap::ReadSpan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t offset = 0;
  int64_t maxBytes = 0;
  if (!GetOffset(env, info[0], "offset", &offset) ||
      !GetInteger(env, info[1], "maxBytes", 0, kMaxSafeInteger, &maxBytes)) {
    return Napi::Value();
  }
  SegmentView view;
  const Status status = segment_->Read(offset, static_cast<uint64_t>(maxBytes), &view);
  if (!status.ok()) {
    ThrowStatus(env, status);
    return Napi::Value();
  }
  if (view.length == 0) return env.Undefined();
  double* span = env.GetInstanceData<AddonData>()->viewSpan;
  Napi::Value mapping = Mapping(env, view);
  if (!mapping.IsEmpty()) {
    span[0] = static_cast<double>(view.data - view.file->readable());
    span[1] = static_cast<double>(view.length);
    return mapping;
  }
  // Runtimes that forbid external buffers (a V8 sandbox) get a copy of the batches instead,
  // which is slower but equally correct.
  Napi::ArrayBuffer copy = Napi::ArrayBuffer::New(env, view.length);
  if (env.IsExceptionPending()) return Napi::Value();
  std::memcpy(copy.Data(), view.data, view.length);
  span[0] = 0;
  span[1] = static_cast<double>(view.length);
  return copy;
}

Napi::Value SegmentWrap::PositionOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t offset = 0;
  if (!GetOffset(env, info[0], "offset", &offset)) return Napi::Value();
  int64_t position = -1;
  const Status status = segment_->PositionOf(offset, &position);
  if (!status.ok()) {
    ThrowStatus(env, status);
    return Napi::Value();
  }
  return Napi::Number::New(env, static_cast<double>(position));
}

Napi::Value SegmentWrap::SetCacheTailBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t bytes = 0;
  if (!GetInteger(env, info[0], "cacheTailBytes", -1, kMaxSafeInteger, &bytes)) return Napi::Value();
  segment_->SetCacheTailBytes(bytes);
  return env.Undefined();
}

Napi::Value SegmentWrap::OffsetForTimestamp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t timestamp = 0;
  if (!GetInteger(env, info[0], "timestamp", 0, kMaxSafeInteger, &timestamp)) return Napi::Value();
  int64_t offset = -1;
  const Status status = segment_->OffsetForTimestamp(timestamp, &offset);
  if (!status.ok()) {
    ThrowStatus(env, status);
    return Napi::Value();
  }
  return Napi::Number::New(env, static_cast<double>(offset));
}

Napi::Value SegmentWrap::Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FlushJob job;
  const Status status = segment_->PrepareFlush(&job);
  if (!status.ok()) return RejectedPromise(env, MakeStorageError(env, status));
  // Owned by libuv from Queue() on; node-addon-api deletes it after OnOK.
  auto* worker = new FlushWorker(env, segment_, std::move(job));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value SegmentWrap::TruncateTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t offset = 0;
  if (!GetOffset(env, info[0], "offset", &offset)) return Napi::Value();
  const Status status = segment_->TruncateTo(offset);
  if (!status.ok()) ThrowStatus(env, status);
  return env.Undefined();
}

Napi::Value SegmentWrap::Seal(const Napi::CallbackInfo& info) {
  const Status status = segment_->Seal();
  if (!status.ok()) ThrowStatus(info.Env(), status);
  return info.Env().Undefined();
}

Napi::Value SegmentWrap::Close(const Napi::CallbackInfo& info) {
  mapping_.Reset();
  const Status status = segment_->Close();
  if (!status.ok()) ThrowStatus(info.Env(), status);
  return info.Env().Undefined();
}

// destroyFiles(recycle = false), behind destroy(): true when it let go of a mapping buffer, which
// src/log/native.ts then has collected (CollectMappingBuffersSoon).
Napi::Value SegmentWrap::Destroy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool recycle = info.Length() > 0 && info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value();
  const bool mapped = !mapping_.IsEmpty();
  mapping_.Reset();
  const Status status = segment_->Destroy(recycle);
  if (!status.ok()) {
    ThrowStatus(env, status);
    return Napi::Value();
  }
  return Napi::Boolean::New(env, mapped);
}

}  // namespace rivulet

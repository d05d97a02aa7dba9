// Work that blocks on the disk, run on libuv's thread pool and answered with a Promise:
// fdatasync of a segment (FlushWorker) and preallocation of a directory's spare files
// (PrepareWorker). Each worker owns everything Execute touches, so the segment may be closed or
// destroyed while it runs.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "core/segment.h"
#include "core/status.h"

namespace rivulet {

class FlushWorker : public Napi::AsyncWorker {
 public:
  FlushWorker(Napi::Env env, std::weak_ptr<Segment> segment, FlushJob job);
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override;
  void OnOK() override;

 private:
  Napi::Promise::Deferred deferred_;
  std::weak_ptr<Segment> segment_;  // only to fence it on failure, on the main thread
  FlushJob job_;
  Status status_;
};

class PrepareWorker : public Napi::AsyncWorker {
 public:
  PrepareWorker(Napi::Env env, std::string dir, uint64_t segmentBytes, uint64_t indexBytes);
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override;
  void OnOK() override;

 private:
  Napi::Promise::Deferred deferred_;
  std::string dir_;
  uint64_t segmentBytes_;
  uint64_t indexBytes_;
  Status status_;
};

}  // namespace rivulet

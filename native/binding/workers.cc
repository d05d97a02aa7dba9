#include "binding/workers.h"

#include "binding/errors.h"
#include "core/spare_files.h"

namespace rivulet {

namespace {

// Settles `deferred` from a Status, on the main thread.
void Settle(Napi::Env env, Napi::Promise::Deferred& deferred, const Status& status) {
  Napi::HandleScope scope(env);
  if (status.ok()) {
    deferred.Resolve(env.Undefined());
    return;
  }
  Napi::Value error = MakeStorageError(env, status);
  if (error.IsEmpty()) error = env.GetAndClearPendingException().Value();
  deferred.Reject(error);
}

}  // namespace

FlushWorker::FlushWorker(Napi::Env env, std::weak_ptr<Segment> segment, FlushJob job)
    : Napi::AsyncWorker(env, "rivulet:flush"),
      deferred_(Napi::Promise::Deferred::New(env)),
      segment_(std::move(segment)),
      job_(std::move(job)) {}

void FlushWorker::Execute() { status_ = job_.Run(); }

void FlushWorker::OnOK() {
  // A failed fdatasync may have dropped dirty pages (the kernel does not retry them): what was
  // appended cannot be trusted to be on disk, so the segment refuses further writes.
  if (!status_.ok()) {
    if (std::shared_ptr<Segment> segment = segment_.lock()) segment->Fence(status_);
  }
  Settle(Env(), deferred_, status_);
}

PrepareWorker::PrepareWorker(Napi::Env env, std::string dir, uint64_t segmentBytes, uint64_t indexBytes)
    : Napi::AsyncWorker(env, "rivulet:prepareSegment"),
      deferred_(Napi::Promise::Deferred::New(env)),
      dir_(std::move(dir)),
      segmentBytes_(segmentBytes),
      indexBytes_(indexBytes) {}

void PrepareWorker::Execute() { status_ = PrepareSpareFiles(dir_, segmentBytes_, indexBytes_); }

void PrepareWorker::OnOK() { Settle(Env(), deferred_, status_); }

}  // namespace rivulet

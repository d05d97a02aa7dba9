#include "binding/dir_lock_wrap.h"

#include "binding/errors.h"

namespace rivulet {

Napi::Function DirLockWrap::Define(Napi::Env env) {
  return DefineClass(env, "DirLock",
                     {
                         InstanceAccessor("path", &DirLockWrap::GetPath, nullptr),
                         InstanceAccessor("held", &DirLockWrap::GetHeld, nullptr),
                         InstanceMethod("release", &DirLockWrap::Release),
                     });
}

DirLockWrap::DirLockWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DirLockWrap>(info) {
  Napi::Env env = info.Env();
  std::string dir;
  if (!GetString(env, info[0], "dir", &dir)) return;
  if (dir.empty()) {
    ThrowRangeError(env, "dir must not be empty");
    return;
  }
  const Status status = DirLock::Acquire(dir, &lock_);
  if (!status.ok()) ThrowStatus(env, status);
}

Napi::Value DirLockWrap::GetPath(const Napi::CallbackInfo& info) {
  if (!lock_) return info.Env().Undefined();
  return Napi::String::New(info.Env(), lock_->path());
}

Napi::Value DirLockWrap::GetHeld(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), lock_ && lock_->held());
}

Napi::Value DirLockWrap::Release(const Napi::CallbackInfo& info) {
  if (lock_) lock_->Release();
  return info.Env().Undefined();
}

}  // namespace rivulet

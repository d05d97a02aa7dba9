// Turning core Statuses into JavaScript errors, and checking arguments (better-sqlite3's
// macros.cpp in spirit). Misuse is a TypeError or RangeError; a storage failure is an instance of
// the StorageError class that src/log/native.ts hands over once (setStorageErrorClass). Nothing
// here throws a C++ exception: an error is left pending on the env and the caller returns.
#pragma once

#include <napi.h>

#include <cstdint>

#include "core/status.h"

namespace rivulet {

// Per-env state (the addon may be loaded by several worker threads).
struct AddonData {
  Napi::FunctionReference storageErrorClass;
  // Where readSpan leaves [position, length] (a Float64Array over an ArrayBuffer the addon made
  // and keeps: its memory never moves), and that array, which viewSpan() hands to JavaScript.
  Napi::Reference<Napi::Float64Array> viewSpanArray;
  double* viewSpan = nullptr;
};

// A StorageError (or, before the class is set, an Error with the same fields) for `status`.
// Returns an empty value if building it threw; the exception is then pending.
Napi::Value MakeStorageError(Napi::Env env, const Status& status);
void ThrowStatus(Napi::Env env, const Status& status);
void ThrowTypeError(Napi::Env env, const std::string& message);
void ThrowRangeError(Napi::Env env, const std::string& message);

// A number that is an integer in [min, max]; otherwise throws (TypeError for a non-number,
// RangeError for the rest) and returns false.
bool GetInteger(Napi::Env env, Napi::Value value, const char* name, int64_t min, int64_t max, int64_t* out);
// Like GetInteger, `fallback` when the value is undefined.
bool GetOptionalInteger(Napi::Env env, Napi::Value value, const char* name, int64_t min, int64_t max, int64_t fallback,
                        int64_t* out);
// The bytes of a Uint8Array (a Buffer is one); otherwise throws a TypeError and returns false.
bool GetBytes(Napi::Env env, Napi::Value value, const char* name, uint8_t** data, size_t* length,
              bool* shared = nullptr);
bool GetString(Napi::Env env, Napi::Value value, const char* name, std::string* out);

// A promise already rejected with `error` (or with the pending exception if `error` is empty).
Napi::Value RejectedPromise(Napi::Env env, Napi::Value error);

}  // namespace rivulet
